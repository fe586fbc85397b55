//! Keyed rate limits behind one small trait, [`RateLimit`]: in this process's memory by default
//! ([`MemoryLimiter`]), or in Redis when several servers share one ([`RedisLimiter`],
//! `--redis-url`), so that a user's budget is the same whichever server answers.
//!
//! Both run GCRA (the generic cell rate algorithm) with the same [`Rate`]: `n` events per minute,
//! in a burst of up to `n`; each key keeps one instant, its "theoretical arrival time", and a
//! refusal says how long until one more event would be allowed (the `Retry-After` of a 429).

#[cfg(test)]
mod conformance;
mod memory;
mod redis;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

pub use memory::MemoryLimiter;
pub use redis::{RedisLimiter, RedisLimits};

use crate::error::{ApiError, ApiResult};

/// A keyed rate limit.
#[async_trait::async_trait]
pub trait RateLimit: Debug + Send + Sync {
    /// Counts one event for `key`, or refuses it with the wait until one would be allowed.
    async fn acquire(&self, key: &str) -> Result<(), Duration>;
}

/// The GCRA parameters of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Time between two events at the sustained rate.
    pub interval: Duration,
    /// How far ahead of now a key's arrival time may run (the burst).
    pub tolerance: Duration,
}

impl Rate {
    /// `per_minute` events per minute in a burst of as many (0 is treated as 1).
    pub fn per_minute(per_minute: u32) -> Self {
        let n = per_minute.max(1);
        let interval = Duration::from_secs(60) / n;
        Self {
            interval,
            tolerance: interval * (n - 1),
        }
    }
}

/// A rate limit as handlers use it: a refusal is [`ApiError::RateLimited`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Limiter(Arc<dyn RateLimit>);

impl Limiter {
    /// Wraps a limit.
    pub fn new(limit: impl RateLimit + 'static) -> Self {
        Self(Arc::new(limit))
    }

    /// Counts one event for `key`; refuses with the wait until one would be allowed.
    pub async fn check(&self, key: &str) -> ApiResult<()> {
        self.0
            .acquire(key)
            .await
            .map_err(|retry_after| ApiError::RateLimited { retry_after })
    }
}
