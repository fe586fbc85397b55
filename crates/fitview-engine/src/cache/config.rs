//! What a user can tune in the cache layers.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::retry::secs;

/// Settings of the in-process and shared (Redis) cache layers. Durations are in seconds in
/// configuration files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Bytes of results (images and thumbnails) kept in this process; 0 keeps none, though
    /// concurrent identical requests still share one provider call.
    pub memory_bytes: u64,
    /// How long a result stays in this process's memory.
    #[serde(with = "secs")]
    pub ttl: Duration,
    /// Bytes of prepared inputs (decoded, normalized person and garment canvases) kept in this
    /// process, so a photo used by many try-ons — a model across a catalog — is prepared once;
    /// 0 keeps none.
    pub inputs_bytes: u64,
    /// How long a prepared input is kept after its last use.
    #[serde(with = "secs")]
    pub inputs_ttl: Duration,
    /// Redis URL of the shared layer (`redis://host:6379/0`); unset for none. Needs the `redis`
    /// cargo feature.
    pub redis_url: Option<String>,
    /// How long a result stays in Redis.
    #[serde(with = "secs")]
    pub shared_ttl: Duration,
    /// Largest result (all its files) put in Redis; larger ones are shared through the store.
    pub shared_max_bytes: u64,
    /// How long a process may hold the "I am making this" lock on a key before others take
    /// over. Must cover a whole provider call with its retries (`retry.deadline`).
    #[serde(with = "secs")]
    pub lock_ttl: Duration,
    /// How often a process waiting for another's result polls Redis.
    #[serde(with = "secs")]
    pub poll_interval: Duration,
    /// Longest wait for one Redis command; past it Redis counts as unavailable.
    #[serde(with = "secs")]
    pub redis_timeout: Duration,
    /// After Redis fails, how long to serve without it before trying to reconnect.
    #[serde(with = "secs")]
    pub redis_retry: Duration,
    /// Prefix of every Redis key, so several deployments can share one Redis.
    pub key_prefix: String,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            memory_bytes: 256 * 1024 * 1024,
            ttl: Duration::from_secs(3600),
            inputs_bytes: 256 * 1024 * 1024,
            inputs_ttl: Duration::from_secs(600),
            redis_url: None,
            shared_ttl: Duration::from_secs(3600),
            shared_max_bytes: 16 * 1024 * 1024,
            lock_ttl: Duration::from_secs(180),
            poll_interval: Duration::from_millis(100),
            redis_timeout: Duration::from_secs(1),
            redis_retry: Duration::from_secs(5),
            key_prefix: "fitview".to_owned(),
        }
    }
}

impl CacheConfig {
    /// The Redis URL, unless unset or empty.
    pub fn effective_redis_url(&self) -> Option<&str> {
        self.redis_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
    }

    /// Every problem with these settings; `provider_deadline` is the retry policy's deadline,
    /// which the lock must outlive.
    pub fn problems(&self, provider_deadline: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        if self.ttl.is_zero() || self.inputs_ttl.is_zero() {
            problems.push("cache.ttl and cache.inputs_ttl must be greater than zero".to_owned());
        }
        if let Some(url) = self.effective_redis_url() {
            if !cfg!(feature = "redis") {
                problems.push(format!(
                    "cache.redis_url is set ({url}) but this build has no Redis support (cargo feature `redis`)"
                ));
            }
            if !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("unix://"))
            {
                problems.push(
                    "cache.redis_url must start with redis://, rediss:// or unix://".to_owned(),
                );
            }
        }
        if self.shared_ttl.is_zero() {
            problems.push("cache.shared_ttl must be greater than zero".to_owned());
        }
        if self.lock_ttl < provider_deadline {
            problems.push(format!(
                "cache.lock_ttl ({:.0}s) must be at least retry.deadline ({:.0}s)",
                self.lock_ttl.as_secs_f64(),
                provider_deadline.as_secs_f64()
            ));
        }
        if self.poll_interval.is_zero() || self.redis_timeout.is_zero() {
            problems.push(
                "cache.poll_interval and cache.redis_timeout must be greater than zero".to_owned(),
            );
        }
        if self.key_prefix.is_empty() || self.key_prefix.contains(char::is_whitespace) {
            problems.push("cache.key_prefix must be non-empty, without spaces".to_owned());
        }
        problems
    }
}
