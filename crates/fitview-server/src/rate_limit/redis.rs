//! GCRA in Redis, shared by every server that uses the same Redis.
//!
//! One key per limit and client, `<prefix>:ratelimit:<limit>:<BLAKE3 of the client key>` (no
//! email or IP address in Redis), holding the theoretical arrival time in microseconds of Redis's
//! own clock (`TIME`, so servers with skewed clocks agree). One Lua script reads, compares and
//! writes atomically, and sets the key to expire when its arrival time passes: an idle client's
//! key disappears by itself, so nothing grows without bound.
//!
//! When Redis does not answer (every command has the engine's `cache.redis_timeout`), the limit
//! fails over to this process's memory: still limited, per process instead of across servers,
//! rather than open (logins would be unprotected) or closed (the shop would stop). The transition
//! is logged once, each check answered from memory counts in
//! `fitview_rate_limit_fallbacks_total`, and Redis is tried again after `cache.redis_retry`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fitview_engine::CacheConfig;
use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{MemoryLimiter, Rate, RateLimit};

/// `KEYS[1]` the client's key; `ARGV[1]` the interval and `ARGV[2]` the tolerance, in µs.
/// Returns 0 when the event is counted, else the wait in µs.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local ahead = tat - now
if ahead > tolerance then return ahead - tolerance end
local new = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new), 'PX', math.ceil((new - now) / 1000))
return 0
";

#[derive(Debug, Default)]
struct Connection {
    conn: Option<MultiplexedConnection>,
    /// While down: when to try again.
    retry_at: Option<Instant>,
    /// Whether the last attempt failed (to log transitions once, not every request).
    down: bool,
}

/// The Redis of a server's limits: one connection shared by all of them. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RedisLimits {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    retry: Duration,
    state: Mutex<Connection>,
    fallbacks: Arc<AtomicU64>,
}

impl RedisLimits {
    /// Limits in the Redis at `url`, with the engine's cache settings (key prefix, command
    /// timeout, retry delay); checks answered from memory while it is down are counted in
    /// `fallbacks`. Connects lazily: a Redis that is down at start does not stop the server.
    pub fn new(
        url: &str,
        cache: &CacheConfig,
        fallbacks: Arc<AtomicU64>,
    ) -> Result<Self, redis::RedisError> {
        Ok(Self {
            inner: Arc::new(Inner {
                client: redis::Client::open(url)?,
                prefix: cache.key_prefix.clone(),
                timeout: cache.redis_timeout,
                retry: cache.redis_retry,
                state: Mutex::new(Connection::default()),
                fallbacks,
            }),
        })
    }

    /// The limit named `name` (e.g. `tryon`): every server giving the same name shares it.
    pub fn limiter(&self, name: &str, rate: Rate) -> RedisLimiter {
        RedisLimiter {
            redis: self.clone(),
            namespace: format!("{}:ratelimit:{name}:", self.inner.prefix),
            rate,
            fallback: MemoryLimiter::new(rate),
        }
    }

    /// A connection, connecting if needed; `None` while Redis is down.
    async fn connection(&self) -> Option<MultiplexedConnection> {
        let mut state = self.inner.state.lock().await;
        if let Some(conn) = &state.conn {
            return Some(conn.clone());
        }
        if state.retry_at.is_some_and(|at| Instant::now() < at) {
            return None;
        }
        let connect = self.inner.client.get_multiplexed_async_connection();
        match tokio::time::timeout(self.inner.timeout, connect).await {
            Ok(Ok(conn)) => {
                if state.down {
                    tracing::info!("rate limits: Redis is reachable again; limits are shared");
                }
                *state = Connection {
                    conn: Some(conn.clone()),
                    retry_at: None,
                    down: false,
                };
                Some(conn)
            }
            Ok(Err(err)) => self.mark_down(&mut state, &err.to_string()),
            Err(_) => self.mark_down(&mut state, "connect timed out"),
        }
    }

    fn mark_down(&self, state: &mut Connection, why: &str) -> Option<MultiplexedConnection> {
        if !state.down {
            tracing::warn!(
                error = why,
                retry_in_s = self.inner.retry.as_secs_f64(),
                "rate limits: Redis unavailable; limiting per process until it answers"
            );
        }
        *state = Connection {
            conn: None,
            retry_at: Some(Instant::now() + self.inner.retry),
            down: true,
        };
        None
    }

    /// Runs the GCRA script on `key`: `Some(0)` counted, `Some(wait µs)` refused, `None` down.
    async fn gcra(&self, key: &str, rate: Rate) -> Option<u64> {
        let mut conn = self.connection().await?;
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let mut command = redis::cmd("EVAL");
        command
            .arg(GCRA)
            .arg(1)
            .arg(key)
            .arg(micros(rate.interval))
            .arg(micros(rate.tolerance));
        let reply = tokio::time::timeout(self.inner.timeout, command.query_async(&mut conn)).await;
        let why = match reply {
            Ok(Ok(wait)) => return Some(wait),
            Ok(Err(err)) => err.to_string(),
            Err(_) => "timed out".to_owned(),
        };
        let mut state = self.inner.state.lock().await;
        self.mark_down(&mut state, &why);
        None
    }
}

/// One limit in Redis, falling back to this process's memory while Redis is down.
#[derive(Debug)]
pub struct RedisLimiter {
    redis: RedisLimits,
    namespace: String,
    rate: Rate,
    fallback: MemoryLimiter,
}

impl RedisLimiter {
    fn key(&self, key: &str) -> String {
        let digest = blake3::hash(key.as_bytes()).to_hex();
        format!("{}{}", self.namespace, &digest[..32])
    }
}

#[async_trait::async_trait]
impl RateLimit for RedisLimiter {
    async fn acquire(&self, key: &str) -> Result<(), Duration> {
        match self.redis.gcra(&self.key(key), self.rate).await {
            Some(0) => Ok(()),
            Some(wait) => Err(Duration::from_micros(wait)),
            None => {
                self.redis.inner.fallbacks.fetch_add(1, Ordering::Relaxed);
                self.fallback.acquire(key).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Redis from `FITVIEW_TEST_REDIS_URL`, or `None` after saying that `test` is skipped.
    fn redis_url(test: &str) -> Option<String> {
        match std::env::var("FITVIEW_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var_os("CI").is_some() => {
                panic!(
                    "FITVIEW_TEST_REDIS_URL is not set in CI: .ci/services/redis.sh must start it"
                )
            }
            _ => {
                eprintln!(
                    "SKIPPED {test}: FITVIEW_TEST_REDIS_URL is not set (.ci/services/redis.sh starts one)"
                );
                None
            }
        }
    }

    /// Limits under a prefix no other test run uses.
    fn limits(url: &str) -> (RedisLimits, Arc<AtomicU64>) {
        let cache = CacheConfig {
            key_prefix: format!("fitview-test-{}", uuid::Uuid::new_v4().simple()),
            ..CacheConfig::default()
        };
        let fallbacks = Arc::new(AtomicU64::new(0));
        (
            RedisLimits::new(url, &cache, fallbacks.clone()).unwrap(),
            fallbacks,
        )
    }

    #[tokio::test]
    async fn conforms() {
        let Some(url) = redis_url("rate_limit::redis::conforms") else {
            return;
        };
        let (limits, fallbacks) = limits(&url);
        let counter = AtomicU64::new(0);
        super::super::conformance::run_all(&|per_minute| {
            // A limit of its own for every scenario.
            let n = counter.fetch_add(1, Ordering::Relaxed);
            limits.limiter(&format!("scenario-{n}"), Rate::per_minute(per_minute))
        })
        .await;
        assert_eq!(
            fallbacks.load(Ordering::Relaxed),
            0,
            "Redis answered every check"
        );
    }

    #[tokio::test]
    async fn two_servers_share_one_budget_and_keys_expire() {
        let Some(url) = redis_url("rate_limit::redis::two_servers_share_one_budget") else {
            return;
        };
        let (a, _) = limits(&url);
        // Another server: its own connection, the same prefix.
        let b = RedisLimits::new(
            &url,
            &CacheConfig {
                key_prefix: a.inner.prefix.clone(),
                ..CacheConfig::default()
            },
            Arc::new(AtomicU64::new(0)),
        )
        .unwrap();
        let (on_a, on_b) = (
            a.limiter("tryon", Rate::per_minute(4)),
            b.limiter("tryon", Rate::per_minute(4)),
        );
        for limiter in [&on_a, &on_b, &on_a, &on_b] {
            limiter.acquire("user-1").await.unwrap();
        }
        assert!(on_a.acquire("user-1").await.is_err());
        assert!(on_b.acquire("user-1").await.is_err());
        // Another limit of the same servers is separate.
        a.limiter("login", Rate::per_minute(4))
            .acquire("user-1")
            .await
            .unwrap();

        let mut conn = a.connection().await.unwrap();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(on_a.key("user-1"))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            ttl > 0 && ttl <= 60_000,
            "the key expires within the window: {ttl}"
        );
        let raw: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", on_a.namespace))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(raw.len(), 1);
        assert!(
            !raw[0].contains("user-1"),
            "client keys are hashed: {raw:?}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_redis_limits_per_process() {
        // Nothing listens on port 1.
        let (limits, fallbacks) = limits("redis://127.0.0.1:1/");
        let limiter = limits.limiter("login", Rate::per_minute(2));
        limiter.acquire("ip").await.unwrap();
        limiter.acquire("ip").await.unwrap();
        let wait = limiter.acquire("ip").await.unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert_eq!(fallbacks.load(Ordering::Relaxed), 3);
    }
}
