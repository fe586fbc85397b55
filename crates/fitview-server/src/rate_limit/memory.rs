//! GCRA in a bounded map in this process's memory.
//!
//! The map holds at most `max_keys` keys; expired keys are swept when it is full, so memory stays
//! bounded whatever the number of distinct clients.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Rate, RateLimit};

/// Most keys a limiter remembers.
const DEFAULT_MAX_KEYS: usize = 100_000;

/// A per-key limit kept in memory (one process's view).
#[derive(Debug)]
pub struct MemoryLimiter {
    rate: Rate,
    max_keys: usize,
    state: Mutex<HashMap<String, Instant>>,
}

impl MemoryLimiter {
    /// A limiter of `rate`.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            max_keys: DEFAULT_MAX_KEYS,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// A limiter allowing `per_minute` events per minute per key (0 is treated as 1).
    pub fn per_minute(per_minute: u32) -> Self {
        Self::new(Rate::per_minute(per_minute))
    }

    /// Counts one event for `key` at a given instant; `Err` holds the wait.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tat = state.get(key).copied().map_or(now, |tat| tat.max(now));
        let ahead = tat - now;
        if ahead > self.rate.tolerance {
            return Err(ahead - self.rate.tolerance);
        }
        if state.len() >= self.max_keys && !state.contains_key(key) {
            state.retain(|_, tat| *tat > now);
            if state.len() >= self.max_keys
                && let Some(victim) = state.keys().next().cloned()
            {
                state.remove(&victim);
            }
        }
        state.insert(key.to_owned(), tat + self.rate.interval);
        Ok(())
    }
}

#[async_trait::async_trait]
impl RateLimit for MemoryLimiter {
    async fn acquire(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conforms() {
        super::super::conformance::run_all(&|per_minute| MemoryLimiter::per_minute(per_minute))
            .await;
    }

    #[test]
    fn allows_the_burst_then_refuses_with_the_wait() {
        let limiter = MemoryLimiter::per_minute(5);
        let t0 = Instant::now();
        for _ in 0..5 {
            limiter.check_at("a", t0).unwrap();
        }
        let wait = limiter.check_at("a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(12));
        // Another key is independent.
        limiter.check_at("b", t0).unwrap();
        // One interval later one more event is allowed.
        limiter.check_at("a", t0 + Duration::from_secs(12)).unwrap();
        assert!(limiter.check_at("a", t0 + Duration::from_secs(12)).is_err());
    }

    #[test]
    fn the_map_stays_bounded() {
        let mut limiter = MemoryLimiter::per_minute(1);
        limiter.max_keys = 10;
        let t0 = Instant::now();
        for i in 0..100 {
            limiter.check_at(&format!("k{i}"), t0).unwrap();
        }
        assert!(limiter.state.lock().unwrap().len() <= 10);
    }
}
