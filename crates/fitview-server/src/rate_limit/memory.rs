//! Keyed rate limiting with GCRA (the generic cell rate algorithm) in a bounded map.
//!
//! `n` events per minute, in a burst of up to `n`: each key keeps one instant, its "theoretical
//! arrival time". The map holds at most `max_keys` keys; expired keys are swept when it is full,
//! so memory stays bounded whatever the number of distinct clients.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{ApiError, ApiResult};

/// Most keys a limiter remembers.
const DEFAULT_MAX_KEYS: usize = 100_000;

/// A per-key limiter of `per_minute` events per minute.
#[derive(Debug)]
pub struct RateLimiter {
    /// Time between two events at the sustained rate.
    interval: Duration,
    /// How far ahead of now a key's arrival time may run (the burst).
    tolerance: Duration,
    max_keys: usize,
    state: Mutex<HashMap<String, Instant>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` events per minute per key (0 is treated as 1).
    pub fn per_minute(per_minute: u32) -> Self {
        let n = per_minute.max(1);
        let interval = Duration::from_secs(60) / n;
        Self {
            interval,
            tolerance: interval * (n - 1),
            max_keys: DEFAULT_MAX_KEYS,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event for `key`; refuses with the wait until one would be allowed.
    pub fn check(&self, key: &str) -> ApiResult<()> {
        self.check_at(key, Instant::now())
            .map_err(|retry_after| ApiError::RateLimited { retry_after })
    }

    /// [`check`](Self::check) at a given instant; `Err` holds the wait.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tat = state.get(key).copied().map_or(now, |tat| tat.max(now));
        let ahead = tat - now;
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        if state.len() >= self.max_keys && !state.contains_key(key) {
            state.retain(|_, tat| *tat > now);
            if state.len() >= self.max_keys
                && let Some(victim) = state.keys().next().cloned()
            {
                state.remove(&victim);
            }
        }
        state.insert(key.to_owned(), tat + self.interval);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_refuses_with_the_wait() {
        let limiter = RateLimiter::per_minute(5);
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
        let mut limiter = RateLimiter::per_minute(1);
        limiter.max_keys = 10;
        let t0 = Instant::now();
        for i in 0..100 {
            limiter.check_at(&format!("k{i}"), t0).unwrap();
        }
        assert!(limiter.state.lock().unwrap().len() <= 10);
    }
}
