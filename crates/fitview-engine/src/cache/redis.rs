//! The shared cache layer on Redis: results packed into one value each, a short-lived lock per key
//! so that several processes make a result once, and a set per input listing the results made
//! from it (for deletion by input).
//!
//! Keys (with the configured prefix, `fitview` by default):
//!
//! ```text
//! fitview:result:<key>   packed result (sidecar + files), expires after cache.shared_ttl
//! fitview:lock:<key>     token of the process making it; SET NX PX cache.lock_ttl
//! fitview:input:<hash>   set of result keys made from that input, same expiry as results
//! ```
//!
//! Redis is an optimisation, never a dependency: every command has a timeout, and when Redis
//! fails the layer logs once, answers "unavailable" for `cache.redis_retry`, then tries to
//! reconnect. The engine meanwhile serves from memory and the store.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::config::CacheConfig;
use crate::error::{Error, Result};
use crate::key::{ContentKey, InputHash};

/// Redis did not answer; already logged. The caller goes on without the shared layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Down;

/// Compare-and-delete: release the lock only if we still hold it.
const UNLOCK: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

#[derive(Debug)]
struct Connection {
    conn: Option<MultiplexedConnection>,
    /// While down: when to try again.
    retry_at: Option<Instant>,
    /// Whether the last attempt failed (to log transitions once, not every request).
    down: bool,
}

#[derive(Debug)]
struct Inner {
    client: redis::Client,
    /// Where Redis is, without credentials (for logs).
    display: String,
    state: Mutex<Connection>,
    prefix: String,
    timeout: Duration,
    retry: Duration,
    ttl: Duration,
    lock_ttl: Duration,
}

/// The Redis layer. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct RedisLayer {
    inner: Arc<Inner>,
}

/// A held lock on a key; released explicitly, or in the background if dropped (a cancelled
/// request), so other processes never wait for the full `lock_ttl` after a cancellation.
#[derive(Debug)]
pub(crate) struct LockGuard {
    layer: RedisLayer,
    key: String,
    token: String,
    released: bool,
}

impl LockGuard {
    /// Releases the lock if this process still holds it.
    pub(crate) async fn release(mut self) {
        self.released = true;
        let _ = self.layer.unlock(&self.key, &self.token).await;
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (layer, key, token) = (
                self.layer.clone(),
                std::mem::take(&mut self.key),
                std::mem::take(&mut self.token),
            );
            runtime.spawn(async move {
                let _ = layer.unlock(&key, &token).await;
            });
        }
    }
}

/// The URL without a password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

impl RedisLayer {
    /// Prepares the client; connects lazily, so a Redis that is down at start-up does not stop
    /// the engine.
    pub(crate) fn new(url: &str, config: &CacheConfig) -> Result<Self> {
        let client = redis::Client::open(url).map_err(|e| Error::Config {
            problems: vec![format!("cache.redis_url {}: {e}", redact(url))],
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                display: redact(url),
                state: Mutex::new(Connection {
                    conn: None,
                    retry_at: None,
                    down: false,
                }),
                prefix: config.key_prefix.clone(),
                timeout: config.redis_timeout,
                retry: config.redis_retry,
                ttl: config.shared_ttl,
                lock_ttl: config.lock_ttl,
            }),
        })
    }

    fn result_key(&self, key: &ContentKey) -> String {
        format!("{}:result:{key}", self.inner.prefix)
    }

    fn lock_key(&self, key: &ContentKey) -> String {
        format!("{}:lock:{key}", self.inner.prefix)
    }

    fn input_key(&self, hash: &InputHash) -> String {
        format!("{}:input:{hash}", self.inner.prefix)
    }

    /// Whether the last command got an answer.
    pub(crate) async fn available(&self) -> bool {
        !self.inner.state.lock().await.down
    }

    /// A connection, connecting if needed (unless Redis failed less than `redis_retry` ago).
    async fn connection(&self) -> Result<MultiplexedConnection, Down> {
        let mut state = self.inner.state.lock().await;
        if let Some(conn) = &state.conn {
            return Ok(conn.clone());
        }
        if state.retry_at.is_some_and(|at| Instant::now() < at) {
            return Err(Down);
        }
        let connect = self.inner.client.get_multiplexed_async_connection();
        match tokio::time::timeout(self.inner.timeout, connect).await {
            Ok(Ok(conn)) => {
                if state.down {
                    tracing::info!(redis = %self.inner.display, "shared cache (Redis) is reachable again");
                }
                state.down = false;
                state.retry_at = None;
                state.conn = Some(conn.clone());
                Ok(conn)
            }
            Ok(Err(err)) => Err(self.mark_down(&mut state, &err.to_string())),
            Err(_) => Err(self.mark_down(&mut state, "connect timed out")),
        }
    }

    fn mark_down(&self, state: &mut Connection, why: &str) -> Down {
        if !state.down {
            tracing::warn!(
                redis = %self.inner.display,
                error = why,
                retry_in_s = self.inner.retry.as_secs_f64(),
                "shared cache (Redis) unavailable; serving from memory and the result store"
            );
        }
        state.down = true;
        state.conn = None;
        state.retry_at = Some(Instant::now() + self.inner.retry);
        Down
    }

    /// Runs one command (or pipeline) with the timeout; a failure marks Redis down.
    async fn run<T, F, Fut>(&self, what: &str, command: F) -> Result<T, Down>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection().await?;
        let why = match tokio::time::timeout(self.inner.timeout, command(conn)).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(err)) => format!("{what}: {err}"),
            Err(_) => format!("{what}: timed out"),
        };
        let mut state = self.inner.state.lock().await;
        Err(self.mark_down(&mut state, &why))
    }

    /// The packed result, if Redis has it.
    pub(crate) async fn get(&self, key: &ContentKey) -> Result<Option<Bytes>, Down> {
        let k = self.result_key(key);
        let value: Option<Vec<u8>> = self
            .run("GET", |mut c| async move {
                redis::cmd("GET").arg(k).query_async(&mut c).await
            })
            .await?;
        Ok(value.map(Bytes::from))
    }

    /// Stores a packed result and records it under each input.
    pub(crate) async fn put(
        &self,
        key: &ContentKey,
        packed: Vec<u8>,
        inputs: Vec<InputHash>,
    ) -> Result<(), Down> {
        let ttl = self.inner.ttl.as_secs().max(1);
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(self.result_key(key))
            .arg(packed)
            .arg("EX")
            .arg(ttl)
            .ignore();
        for input in &inputs {
            let set = self.input_key(input);
            pipe.cmd("SADD").arg(&set).arg(key.as_str()).ignore();
            pipe.cmd("EXPIRE").arg(&set).arg(ttl).ignore();
        }
        self.run("SET", |mut c| async move {
            pipe.query_async::<()>(&mut c).await
        })
        .await
    }

    /// Tries to take the lock on a key: `Some` if this process now makes the result, `None` if
    /// another holds it.
    pub(crate) async fn try_lock(&self, key: &ContentKey) -> Result<Option<LockGuard>, Down> {
        let k = self.lock_key(key);
        let token = lock_token();
        let ms = u64::try_from(self.inner.lock_ttl.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let (k2, t2) = (k.clone(), token.clone());
        let reply: Option<String> = self
            .run("SET NX", |mut c| async move {
                redis::cmd("SET")
                    .arg(k2)
                    .arg(t2)
                    .arg("NX")
                    .arg("PX")
                    .arg(ms)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(reply.map(|_| LockGuard {
            layer: self.clone(),
            key: k,
            token,
            released: false,
        }))
    }

    /// Whether some process holds the lock on a key.
    pub(crate) async fn is_locked(&self, key: &ContentKey) -> Result<bool, Down> {
        let k = self.lock_key(key);
        let n: u64 = self
            .run("EXISTS", |mut c| async move {
                redis::cmd("EXISTS").arg(k).query_async(&mut c).await
            })
            .await?;
        Ok(n > 0)
    }

    async fn unlock(&self, lock_key: &str, token: &str) -> Result<(), Down> {
        let (k, t) = (lock_key.to_owned(), token.to_owned());
        self.run("EVAL", |mut c| async move {
            redis::cmd("EVAL")
                .arg(UNLOCK)
                .arg(1)
                .arg(k)
                .arg(t)
                .query_async::<i64>(&mut c)
                .await
        })
        .await
        .map(|_| ())
    }

    /// Deletes results.
    pub(crate) async fn delete(&self, keys: &[ContentKey]) -> Result<(), Down> {
        if keys.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = keys.iter().map(|k| self.result_key(k)).collect();
        self.run("DEL", |mut c| async move {
            redis::cmd("DEL")
                .arg(names)
                .query_async::<i64>(&mut c)
                .await
        })
        .await
        .map(|_| ())
    }

    /// The results recorded under an input; with `delete`, deletes them and the record.
    pub(crate) async fn derived_from(
        &self,
        input: &InputHash,
        delete: bool,
    ) -> Result<Vec<ContentKey>, Down> {
        let set = self.input_key(input);
        let s2 = set.clone();
        let members: Vec<String> = self
            .run("SMEMBERS", |mut c| async move {
                redis::cmd("SMEMBERS").arg(s2).query_async(&mut c).await
            })
            .await?;
        let keys: Vec<ContentKey> = members.iter().filter_map(|m| m.parse().ok()).collect();
        if delete {
            self.delete(&keys).await?;
            self.run("DEL", |mut c| async move {
                redis::cmd("DEL").arg(set).query_async::<i64>(&mut c).await
            })
            .await?;
        }
        Ok(keys)
    }
}

/// A token unique to this lock attempt (process, time, counter).
fn lock_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut h = blake3::Hasher::new();
    h.update(&std::process::id().to_le_bytes());
    h.update(&NEXT.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(&now.as_nanos().to_le_bytes());
    h.finalize().to_hex()[..32].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact("redis://:s3cret@cache:6379/0"),
            "redis://…@cache:6379/0"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_reported_down_quickly_and_retried_later() {
        // Port 1 on loopback refuses connections.
        let config = CacheConfig {
            redis_retry: Duration::from_secs(60),
            ..CacheConfig::default()
        };
        let layer = RedisLayer::new("redis://127.0.0.1:1/", &config).unwrap();
        let key: ContentKey = "aa".repeat(32).parse().unwrap();
        assert_eq!(layer.get(&key).await, Err(Down));
        assert!(!layer.available().await);
        // Within redis_retry no connection is attempted at all.
        assert_eq!(layer.try_lock(&key).await.map(|g| g.is_some()), Err(Down));
    }
}
