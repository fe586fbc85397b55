//! The one retry policy for every provider call: exponential backoff with jitter, the provider's
//! own wait honoured, a timeout per attempt and a deadline over all of them.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::error::{Error, Result};

/// When and how often a failed provider call is tried again.
///
/// Only errors for which [`Error::is_retryable`] holds are retried (rate limits, timeouts,
/// unavailable upstreams); refusals, bad input and auth errors return at once.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubles each time.
    #[serde(with = "secs")]
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    #[serde(with = "secs")]
    pub max_backoff: Duration,
    /// Time one attempt may take.
    #[serde(with = "secs")]
    pub attempt_timeout: Duration,
    /// Time all attempts and waits together may take.
    #[serde(with = "secs")]
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            attempt_timeout: Duration::from_secs(90),
            deadline: Duration::from_secs(120),
        }
    }
}

/// The outcome of a retried operation, with the number of attempts it took.
#[derive(Debug)]
pub(crate) struct Retried<T> {
    pub(crate) result: Result<T>,
    pub(crate) attempts: u32,
}

impl RetryPolicy {
    /// Every problem with this policy.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.max_attempts == 0 {
            problems.push("retry.max_attempts must be at least 1".to_owned());
        }
        if self.attempt_timeout.is_zero() {
            problems.push("retry.attempt_timeout must be greater than zero".to_owned());
        }
        if self.deadline < self.attempt_timeout {
            problems.push("retry.deadline must be at least retry.attempt_timeout".to_owned());
        }
        problems
    }

    /// The wait before attempt `attempt + 1` after a failure with `error`: the provider's own
    /// wait if it gave one, otherwise exponential backoff with full jitter.
    fn wait_after(&self, attempt: u32, error: &Error) -> Duration {
        if let Some(asked) = error.retry_after() {
            return asked;
        }
        let exponent = attempt.saturating_sub(1).min(16);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // Full jitter (AWS architecture blog): uniform in [ceiling/2, ceiling] keeps a floor so a
        // burst of clients does not hammer the provider again at once.
        let half = ceiling / 2;
        half + half.mul_f64(random_unit())
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts or deadline run out.
    pub(crate) async fn run<T, F, Fut>(&self, mut attempt: F) -> Retried<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let deadline = Instant::now() + self.deadline;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let limit = self.attempt_timeout.min(remaining);
            let outcome = match tokio::time::timeout(limit, attempt()).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Error::Timeout { after: limit }),
            };
            let error = match outcome {
                Ok(value) => {
                    return Retried {
                        result: Ok(value),
                        attempts,
                    };
                }
                Err(error) => error,
            };
            if !error.is_retryable() || attempts >= self.max_attempts {
                return Retried {
                    result: Err(error),
                    attempts,
                };
            }
            let wait = self.wait_after(attempts, &error);
            if Instant::now() + wait >= deadline {
                tracing::warn!(
                    attempts,
                    wait_ms = wait.as_millis() as u64,
                    "giving up: the next retry would pass the deadline"
                );
                return Retried {
                    result: Err(error),
                    attempts,
                };
            }
            tracing::info!(
                attempts,
                code = error.code(),
                wait_ms = wait.as_millis() as u64,
                "retrying provider call"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// A uniform number in [0, 1) from the standard library's per-process random hasher keys, so
/// jitter needs no extra dependency.
fn random_unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x9e37_79b9_7f4a_7c15);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(30),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn refusal_is_not_retried() {
        let calls = AtomicU32::new(0);
        let out = policy()
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(Error::ContentPolicy {
                    reason: "IMAGE_SAFETY".into(),
                })
            })
            .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(matches!(out.result, Err(Error::ContentPolicy { .. })));
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limit_waits_the_asked_delay_then_succeeds() {
        let calls = AtomicU32::new(0);
        let start = Instant::now();
        let out = policy()
            .run(|| async {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(Error::RateLimited {
                        retry_after: Some(Duration::from_secs(7)),
                    })
                } else {
                    Ok(42)
                }
            })
            .await;
        assert_eq!(out.result.unwrap(), 42);
        assert_eq!(out.attempts, 2);
        assert!(start.elapsed() >= Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn hanging_attempts_time_out_and_surface_as_timeout() {
        let out = policy()
            .run(|| async {
                std::future::pending::<()>().await;
                Ok(())
            })
            .await;
        assert_eq!(out.attempts, 3);
        assert!(
            matches!(out.result, Err(Error::Timeout { after }) if after == Duration::from_secs(5))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_gives_up_early() {
        let calls = AtomicU32::new(0);
        let out = policy()
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(Error::RateLimited {
                    retry_after: Some(Duration::from_secs(60)),
                })
            })
            .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(matches!(out.result, Err(Error::RateLimited { .. })));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = policy();
        let err = Error::Unavailable {
            detail: "503".into(),
        };
        for _ in 0..50 {
            let first = p.wait_after(1, &err);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let late = p.wait_after(12, &err);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
    }
}
