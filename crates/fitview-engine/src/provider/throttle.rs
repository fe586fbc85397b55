//! Per-provider request limits: at most N requests in flight and at most M started per minute.
//!
//! Every HTTP request a provider sends first takes a [`ThrottlePermit`], so a batch of any size
//! never exceeds the provider's quota, and retries (which are new requests) count too. The rate
//! is a GCRA (generic cell rate algorithm, the "virtual scheduling" form of a token bucket): each
//! request advances a theoretical arrival time by `60 s / rpm`, and a request may start once that
//! time is at most one burst ahead of now. It runs on tokio's clock, so paused-time tests need no
//! real waiting.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::error::{Error, Result};

/// How much a provider may be asked at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Most requests in flight at once.
    pub max_concurrency: usize,
    /// Most requests started per minute; `None` or 0 for no rate limit (a config file says
    /// `requests_per_minute = 0`, since leaving it out keeps the default).
    pub requests_per_minute: Option<u32>,
    /// Requests that may start back to back before the per-minute pacing applies.
    pub burst: u32,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_concurrency: 4,
            requests_per_minute: Some(20),
            burst: 2,
        }
    }
}

impl ThrottleConfig {
    /// What is wrong with these limits (field name first).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.max_concurrency == 0 {
            problems.push("max_concurrency must be at least 1".to_owned());
        }
        if self.burst == 0 {
            problems.push("burst must be at least 1".to_owned());
        }
        problems
    }
}

/// Enforces a [`ThrottleConfig`] for one provider instance.
#[derive(Debug)]
pub struct Throttle {
    slots: Arc<Semaphore>,
    /// Spacing between request starts, when rate limited.
    interval: Option<Duration>,
    /// How far the theoretical arrival time may run ahead of now.
    tolerance: Duration,
    /// GCRA's theoretical arrival time of the next request.
    next: Mutex<Option<Instant>>,
}

/// Held while one request is in flight; dropping it frees the slot.
#[derive(Debug)]
pub struct ThrottlePermit {
    _slot: OwnedSemaphorePermit,
}

impl Throttle {
    /// A throttle with these limits (zero concurrency is raised to one).
    pub fn new(config: ThrottleConfig) -> Self {
        let interval = config
            .requests_per_minute
            .filter(|rpm| *rpm > 0)
            .map(|rpm| Duration::from_secs(60) / rpm);
        let tolerance = interval
            .map(|i| i.saturating_mul(config.burst.max(1) - 1))
            .unwrap_or_default();
        Self {
            slots: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
            interval,
            tolerance,
            next: Mutex::new(None),
        }
    }

    /// A throttle that never makes a request wait (until it is [closed](Self::close)).
    pub fn unbounded() -> Self {
        Self::new(ThrottleConfig {
            max_concurrency: Semaphore::MAX_PERMITS,
            requests_per_minute: None,
            burst: 1,
        })
    }

    /// Refuses every request from now on: those waiting and those to come fail with
    /// [`Error::Cancelled`]; those holding a permit go on.
    pub fn close(&self) {
        self.slots.close();
    }

    /// Waits for a free slot, then for the rate to allow one more request; fails with
    /// [`Error::Cancelled`] once the throttle is closed.
    pub async fn acquire(&self) -> Result<ThrottlePermit> {
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Cancelled)?;
        if let Some(interval) = self.interval {
            loop {
                let wait = self.reserve(interval)?;
                if wait.is_zero() {
                    break;
                }
                tokio::time::sleep(wait).await;
            }
        }
        if self.slots.is_closed() {
            return Err(Error::Cancelled);
        }
        Ok(ThrottlePermit { _slot: slot })
    }

    /// Takes a start time if one is free now (returns zero), else says how long to wait.
    fn reserve(&self, interval: Duration) -> Result<Duration> {
        let mut next = self
            .next
            .lock()
            .map_err(|_| Error::internal("throttle state poisoned"))?;
        let now = Instant::now();
        let tat = next.map_or(now, |t| t.max(now));
        let ahead = tat - now;
        if ahead <= self.tolerance {
            *next = Some(tat + interval);
            Ok(Duration::ZERO)
        } else {
            Ok(ahead - self.tolerance)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn starts_are_paced_to_the_per_minute_rate_after_the_burst() {
        let throttle = Arc::new(Throttle::new(ThrottleConfig {
            max_concurrency: 100,
            requests_per_minute: Some(6),
            burst: 2,
        }));
        let started = Arc::new(AtomicUsize::new(0));
        for _ in 0..10 {
            let (throttle, started) = (throttle.clone(), started.clone());
            tokio::spawn(async move {
                let _permit = throttle.acquire().await.unwrap();
                started.fetch_add(1, Ordering::SeqCst);
            });
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            started.load(Ordering::SeqCst),
            2,
            "the burst starts at once"
        );
        tokio::time::sleep(Duration::from_secs(60)).await;
        // One more every 10 s: 2 + 6 within the first minute (t = 10, 20, ..., 60).
        assert_eq!(started.load(Ordering::SeqCst), 8);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(started.load(Ordering::SeqCst), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_throttle_refuses_waiting_and_new_requests_but_not_those_in_flight() {
        let throttle = Arc::new(Throttle::new(ThrottleConfig {
            max_concurrency: 1,
            requests_per_minute: None,
            burst: 1,
        }));
        let in_flight = throttle.acquire().await.unwrap();
        let waiting = tokio::spawn({
            let throttle = throttle.clone();
            async move { throttle.acquire().await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(!waiting.is_finished(), "the only slot is taken");
        throttle.close();
        assert!(matches!(waiting.await.unwrap(), Err(Error::Cancelled)));
        assert!(matches!(throttle.acquire().await, Err(Error::Cancelled)));
        drop(in_flight);
        assert!(matches!(throttle.acquire().await, Err(Error::Cancelled)));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_requests_per_minute_switches_pacing_off() {
        let config = ThrottleConfig {
            max_concurrency: 50,
            requests_per_minute: Some(0),
            burst: 1,
        };
        assert!(config.problems().is_empty(), "{:?}", config.problems());
        let throttle = Throttle::new(config);
        let start = Instant::now();
        let mut permits = Vec::new();
        for _ in 0..50 {
            permits.push(throttle.acquire().await.unwrap());
        }
        // The paused clock only moves when something waits: any pacing would move it.
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_than_max_concurrency_in_flight() {
        let throttle = Arc::new(Throttle::new(ThrottleConfig {
            max_concurrency: 3,
            requests_per_minute: None,
            burst: 1,
        }));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let (throttle, in_flight, peak) = (throttle.clone(), in_flight.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = throttle.acquire().await.unwrap();
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
