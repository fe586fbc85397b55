//! Waits between attempts of a queued job: exponential, capped, with jitter so that jobs which
//! failed together (a provider outage) do not all come back at once.

use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};

/// Exponential backoff: the wait after attempt `n` is uniform in `[c/2, c]`, where
/// `c = min(first · 2^(n-1), max)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the wait after the first attempt.
    pub first: Duration,
    /// Ceiling of every wait.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(5),
            max: Duration::from_secs(10 * 60),
        }
    }
}

impl Backoff {
    /// The ceiling of the wait after `attempt` (1-based) failed.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(24);
        self.first.saturating_mul(1 << exponent).min(self.max)
    }

    /// A wait after `attempt` failed: in `[ceiling/2, ceiling]`.
    pub fn after(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        half + half.mul_f64(Self::unit_random())
    }

    /// A uniform random number in `[0, 1)`, for jitter.
    pub fn unit_random() -> f64 {
        (OsRng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_within_jitter_and_stop_at_the_cap() {
        let backoff = Backoff {
            first: Duration::from_secs(4),
            max: Duration::from_secs(60),
        };
        assert_eq!(backoff.ceiling(1), Duration::from_secs(4));
        assert_eq!(backoff.ceiling(3), Duration::from_secs(16));
        assert_eq!(backoff.ceiling(40), Duration::from_secs(60));
        for attempt in 1..8 {
            let wait = backoff.after(attempt);
            let ceiling = backoff.ceiling(attempt);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{attempt}: {wait:?}"
            );
        }
    }
}
