//! Never pay for the same try-on twice: the layers between a content key and the provider.
//!
//! 1. **memory**: this process's results (moka, bounded by bytes, TTL). Concurrent misses for
//!    one key coalesce here: one request (the leader) goes on, the others wait for its result.
//!    Failures are not cached and reach every waiter; a cancelled leader is replaced by a waiter.
//! 2. **shared** (optional, cargo feature `redis`): results shared by several processes, and a
//!    short lock per key so that processes coalesce too (the others poll for the result).
//! 3. **store**: the durable [`ResultStore`].
//!
//! A leader looks the key up in the shared layer, then the store; on a miss it takes the lock,
//! runs the provider stage, writes the result to the store and the shared layer, and releases the
//! lock. Redis failures never fail a request: the engine logs once and goes on without it.
//! `docs/caching.md` describes the whole design.

mod config;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod stats;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::time::Instant;

pub use config::CacheConfig;
pub use stats::{CacheStats, InputStats, LayerStats, Outcomes};

use crate::error::{Error, Result};
use crate::key::{ContentKey, InputHash};
use crate::provider::Usage;
use crate::result::{CacheStatus, OutputImage, StageTimings};
use crate::store::{DeleteReport, GcReport, Provenance, ResultStore, Sidecar};
use memory::MemoryLayer;
use stats::{Counters, bump};

#[cfg(feature = "redis")]
use self::redis::{Down, LockGuard, RedisLayer as Shared};
#[cfg(not(feature = "redis"))]
use disabled::{Down, LockGuard, Shared};

/// A result as the layers hold it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) sidecar: Sidecar,
    pub(crate) images: Vec<OutputImage>,
    /// How the request that brought it into this process got it.
    pub(crate) origin: Origin,
    /// When it entered this process (tells a coalesced wait from an earlier hit).
    pub(crate) arrived: Instant,
}

/// How a result was obtained, with the provider's accounting when it was made.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub(crate) status: CacheStatus,
    pub(crate) attempts: u32,
    pub(crate) usage: Usage,
    pub(crate) timings: StageTimings,
}

impl Origin {
    fn found(status: CacheStatus) -> Self {
        Origin {
            status,
            attempts: 0,
            usage: Usage::default(),
            timings: StageTimings::default(),
        }
    }
}

/// What the provider stage made, for the layers to keep.
#[derive(Debug)]
pub(crate) struct Made {
    pub(crate) images: Vec<OutputImage>,
    pub(crate) provenance: Provenance,
    /// The uploads by hash, to keep in the store; empty when the hashes could not be computed
    /// (then the result is kept in memory only, as it could not be found by input).
    pub(crate) uploads: Vec<(InputHash, Bytes)>,
    pub(crate) attempts: u32,
    pub(crate) usage: Usage,
    /// Provider and postprocess durations.
    pub(crate) timings: StageTimings,
}

/// The outcome of a lookup: the result and where it came from, for this request.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) entry: Arc<Entry>,
    pub(crate) status: CacheStatus,
}

/// How a wait for another process ended.
enum Waited {
    /// This process now holds the lock and makes the result.
    Lock(LockGuard),
    /// The result arrived.
    Ready(Arc<Entry>),
    /// Redis is unavailable or the wait is over: make it without a lock.
    Alone,
}

/// The cache layers of one engine.
#[derive(Debug)]
pub(crate) struct Caches {
    memory: MemoryLayer,
    shared: Option<Shared>,
    store: Option<ResultStore>,
    counters: Counters,
    shared_max_bytes: u64,
    poll_interval: Duration,
    /// Longest wait for another process before making the result regardless.
    max_wait: Duration,
}

impl Caches {
    pub(crate) fn new(config: &CacheConfig, store: Option<ResultStore>) -> Result<Self> {
        let shared = config
            .effective_redis_url()
            .map(|url| Shared::new(url, config))
            .transpose()?;
        Ok(Self {
            memory: MemoryLayer::new(config.memory_bytes, config.ttl),
            shared,
            store,
            counters: Counters::default(),
            shared_max_bytes: config.shared_max_bytes,
            poll_interval: config.poll_interval,
            max_wait: config.lock_ttl + config.poll_interval * 2,
        })
    }

    pub(crate) fn store(&self) -> Option<&ResultStore> {
        self.store.as_ref()
    }

    /// The result for `key`: from a layer, from a concurrent identical request (here or in
    /// another process), or made by `make` (the provider stage), then kept in every layer.
    pub(crate) async fn get_or_make<F, Fut>(&self, key: &ContentKey, make: F) -> Result<Found>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Made>>,
    {
        bump(&self.counters.requests);
        let started = Instant::now();
        if let Some(entry) = self.memory.get(key).await {
            bump(&self.counters.memory.hits);
            self.counters.outcome(Some(CacheStatus::HitMemory));
            return Ok(Found {
                entry,
                status: CacheStatus::HitMemory,
            });
        }
        let fill = self.fill(key, make);
        let outcome = self
            .memory
            .cache
            .entry(key.clone())
            .or_try_insert_with(fill)
            .await;
        let found = match outcome {
            Ok(entry) if entry.is_fresh() => {
                bump(&self.counters.memory.stored);
                let entry = entry.into_value();
                Found {
                    status: entry.origin.status,
                    entry,
                }
            }
            Ok(entry) => {
                let entry = entry.into_value();
                if entry.arrived >= started {
                    bump(&self.counters.memory.coalesced);
                    let status = match entry.origin.status {
                        CacheStatus::Miss => CacheStatus::Coalesced,
                        other => other,
                    };
                    Found { entry, status }
                } else {
                    bump(&self.counters.memory.hits);
                    Found {
                        entry,
                        status: CacheStatus::HitMemory,
                    }
                }
            }
            Err(err) => {
                self.counters.outcome(None);
                return Err(Error::clone(&err));
            }
        };
        self.counters.outcome(Some(found.status));
        Ok(found)
    }

    /// The leader's work: lower layers, then the provider stage, then write-back.
    async fn fill<F, Fut>(&self, key: &ContentKey, make: F) -> Result<Arc<Entry>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Made>>,
    {
        bump(&self.counters.memory.misses);
        if let Some(entry) = self.lower_lookup(key).await {
            return Ok(entry);
        }
        let mut lock = None;
        if let Some(shared) = &self.shared {
            match self.wait_for_others(shared, key).await {
                Waited::Ready(entry) => return Ok(entry),
                Waited::Lock(guard) => lock = Some(guard),
                Waited::Alone => {}
            }
        }
        let begun = SystemTime::now();
        let made = match make().await {
            Ok(made) => made,
            Err(err) => {
                if let Some(lock) = lock {
                    lock.release().await;
                }
                return Err(err);
            }
        };
        let entry = self.keep(key, made, begun).await;
        if let Some(lock) = lock {
            lock.release().await;
        }
        entry
    }

    /// Looks in the shared layer, then the store; a store hit is copied to the shared layer.
    async fn lower_lookup(&self, key: &ContentKey) -> Option<Arc<Entry>> {
        if let Some(shared) = &self.shared
            && let Some(entry) = self.shared_get(shared, key, CacheStatus::HitShared).await
        {
            bump(&self.counters.shared.hits);
            return Some(entry);
        }
        let store = self.store.as_ref()?;
        match store.get(key).await {
            Ok(Some(stored)) => {
                bump(&self.counters.store.hits);
                if let Some(shared) = &self.shared {
                    self.shared_put(shared, &stored.sidecar, &stored.images)
                        .await;
                }
                Some(Arc::new(Entry {
                    sidecar: stored.sidecar,
                    images: stored.images,
                    origin: Origin::found(CacheStatus::HitStore),
                    arrived: Instant::now(),
                }))
            }
            Ok(None) => {
                bump(&self.counters.store.misses);
                None
            }
            Err(err) => {
                bump(&self.counters.store.errors);
                tracing::warn!(key = %key, error = %err, "result store lookup failed; making the result anew");
                None
            }
        }
    }

    /// Reads and unpacks a result from the shared layer; counts misses and errors.
    async fn shared_get(
        &self,
        shared: &Shared,
        key: &ContentKey,
        status: CacheStatus,
    ) -> Option<Arc<Entry>> {
        match shared.get(key).await {
            Ok(Some(packed)) => match Sidecar::unpack(packed) {
                Ok((sidecar, images)) if sidecar.key == *key => Some(Arc::new(Entry {
                    sidecar,
                    images,
                    origin: Origin::found(status),
                    arrived: Instant::now(),
                })),
                Ok(_) | Err(_) => {
                    bump(&self.counters.shared.errors);
                    tracing::warn!(key = %key, "unreadable result in the shared cache; ignoring it");
                    None
                }
            },
            Ok(None) => {
                if status == CacheStatus::HitShared {
                    bump(&self.counters.shared.misses);
                }
                None
            }
            Err(Down) => {
                bump(&self.counters.shared.errors);
                None
            }
        }
    }

    async fn shared_put(&self, shared: &Shared, sidecar: &Sidecar, images: &[OutputImage]) {
        if sidecar.total_bytes() > self.shared_max_bytes {
            return;
        }
        let Ok(packed) = sidecar.pack(images) else {
            return;
        };
        let inputs = sidecar.input_hashes().cloned().collect();
        match shared.put(&sidecar.key, packed, inputs).await {
            Ok(()) => bump(&self.counters.shared.stored),
            Err(Down) => bump(&self.counters.shared.errors),
        }
    }

    /// Takes the key's lock, or waits for the process holding it: until its result appears in
    /// Redis (coalesced), or the lock goes without one (then the store is checked and the lock
    /// tried again), or Redis fails or the wait passes `lock_ttl` (then this process makes it).
    async fn wait_for_others(&self, shared: &Shared, key: &ContentKey) -> Waited {
        let deadline = Instant::now() + self.max_wait;
        loop {
            match shared.try_lock(key).await {
                Ok(Some(guard)) => return Waited::Lock(guard),
                Ok(None) => {}
                Err(Down) => {
                    bump(&self.counters.shared.errors);
                    return Waited::Alone;
                }
            }
            tracing::debug!(key = %key, "another process is making this result; waiting for it");
            loop {
                tokio::time::sleep(self.poll_interval).await;
                if let Some(entry) = self.shared_get(shared, key, CacheStatus::Coalesced).await {
                    bump(&self.counters.shared.coalesced);
                    return Waited::Ready(entry);
                }
                match shared.is_locked(key).await {
                    Ok(true) if Instant::now() < deadline => continue,
                    Ok(true) => {
                        tracing::warn!(key = %key, "waited past cache.lock_ttl for another process; making the result here");
                        return Waited::Alone;
                    }
                    Ok(false) => break,
                    Err(Down) => {
                        bump(&self.counters.shared.errors);
                        return Waited::Alone;
                    }
                }
            }
            // The other process finished without sharing a result (it failed, or the result was
            // too big for Redis): the store may have it; otherwise try to take over.
            if let Some(store) = &self.store
                && let Ok(Some(stored)) = store.get(key).await
            {
                bump(&self.counters.store.hits);
                return Waited::Ready(Arc::new(Entry {
                    sidecar: stored.sidecar,
                    images: stored.images,
                    origin: Origin::found(CacheStatus::HitStore),
                    arrived: Instant::now(),
                }));
            }
            if Instant::now() >= deadline {
                return Waited::Alone;
            }
        }
    }

    /// Writes a freshly made result to the store and the shared layer; failures are logged and
    /// counted, never returned: the result is good, only its reuse is lost. The one error: an
    /// input of the result was forgotten (`fitview forget`, an erased account) after the work
    /// `begun`; the result is then deleted again and not returned, so that nothing made from a
    /// forgotten photo outlives the forgetting.
    async fn keep(&self, key: &ContentKey, made: Made, begun: SystemTime) -> Result<Arc<Entry>> {
        let stage = Instant::now();
        let complete = !made.uploads.is_empty();
        let sidecar = Sidecar::describe(key, made.provenance, &made.images);
        if complete {
            if let Some(store) = &self.store {
                let written = async {
                    for (hash, bytes) in &made.uploads {
                        store.put_input(hash, bytes.clone()).await?;
                    }
                    store.put(&sidecar, &made.images).await
                };
                match written.await {
                    Ok(()) => bump(&self.counters.store.stored),
                    Err(err) => {
                        bump(&self.counters.store.errors);
                        tracing::warn!(key = %key, error = %err, "could not write the result to the store");
                    }
                }
                // After the sidecar: a forgetting that listed the results before this one was
                // there wrote its mark first, so it is seen here.
                let hashes: Vec<InputHash> = made.uploads.iter().map(|(h, _)| h.clone()).collect();
                match store.forgotten_since(&hashes, begun).await {
                    Ok(false) => {}
                    Ok(true) => {
                        if let Err(err) = store.delete(key).await {
                            tracing::warn!(key = %key, error = %err, "could not delete the result of a forgotten input");
                        }
                        return Err(Error::invalid_input(
                            "an input photo was forgotten while this try-on was being made; its result was not kept",
                        ));
                    }
                    Err(err) => {
                        tracing::warn!(key = %key, error = %err, "could not check whether an input was forgotten meanwhile");
                    }
                }
            }
            if let Some(shared) = &self.shared {
                self.shared_put(shared, &sidecar, &made.images).await;
            }
        }
        let mut timings = made.timings;
        timings.store = stage.elapsed();
        Ok(Arc::new(Entry {
            sidecar,
            images: made.images,
            origin: Origin {
                status: CacheStatus::Miss,
                attempts: made.attempts,
                usage: made.usage,
                timings,
            },
            arrived: Instant::now(),
        }))
    }

    /// A result already made, from any layer, without making it; hits are kept in memory.
    pub(crate) async fn lookup(&self, key: &ContentKey) -> Option<Found> {
        if let Some(entry) = self.memory.get(key).await {
            bump(&self.counters.memory.hits);
            return Some(Found {
                entry,
                status: CacheStatus::HitMemory,
            });
        }
        bump(&self.counters.memory.misses);
        let entry = self.lower_lookup(key).await?;
        self.memory.insert(key.clone(), entry.clone()).await;
        Some(Found {
            status: entry.origin.status,
            entry,
        })
    }

    /// Expires old results from the store and drops them from the other layers.
    pub(crate) async fn gc(&self, older_than: Duration, dry_run: bool) -> Result<GcReport> {
        let store = self.store.as_ref().ok_or_else(no_store)?;
        let report = store.gc(older_than, dry_run).await?;
        if !dry_run {
            self.memory.invalidate(&report.results).await;
            if let Some(shared) = &self.shared {
                let _ = shared.delete(&report.results).await;
            }
        }
        Ok(report)
    }

    /// Deletes every result made from `input` from every layer, and the kept upload.
    pub(crate) async fn delete_derived_from(
        &self,
        input: &InputHash,
        dry_run: bool,
    ) -> Result<DeleteReport> {
        let mut report = match &self.store {
            Some(store) => store.delete_derived_from(input, dry_run).await?,
            None => DeleteReport {
                dry_run,
                input: Some(input.clone()),
                ..DeleteReport::default()
            },
        };
        let mut keys = self.memory.derived_from(input);
        if let Some(shared) = &self.shared {
            match shared.derived_from(input, !dry_run).await {
                Ok(shared_keys) => keys.extend(shared_keys),
                Err(Down) => {
                    return Err(Error::Storage {
                        detail: "the shared cache (Redis) is unavailable: results derived from this input may remain there; try again".to_owned(),
                    });
                }
            }
        }
        if !dry_run {
            self.memory.invalidate(&keys).await;
        }
        report.merge(DeleteReport {
            dry_run,
            results: keys,
            ..DeleteReport::default()
        });
        Ok(report)
    }

    /// A snapshot of the counters and of memory use.
    pub(crate) async fn stats(&self) -> CacheStats {
        let mut stats = self.counters.snapshot();
        (stats.memory_entries, stats.memory_bytes) = self.memory.usage().await;
        if let Some(shared) = &self.shared {
            stats.shared_available = Some(shared.available().await);
        }
        stats
    }
}

fn no_store() -> Error {
    Error::Config {
        problems: vec!["no result store is configured (store.url)".to_owned()],
    }
}

/// Without the `redis` feature there is no shared layer: these types have no values, so every
/// branch that would use one is statically unreachable.
#[cfg(not(feature = "redis"))]
mod disabled {
    use bytes::Bytes;

    use super::CacheConfig;
    use crate::error::{Error, Result};
    use crate::key::{ContentKey, InputHash};

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Down;

    #[derive(Debug)]
    pub(crate) enum Shared {}

    #[derive(Debug)]
    pub(crate) enum LockGuard {}

    impl LockGuard {
        pub(crate) async fn release(self) {
            match self {}
        }
    }

    impl Shared {
        pub(crate) fn new(url: &str, _config: &CacheConfig) -> Result<Self> {
            Err(Error::Config {
                problems: vec![format!(
                    "cache.redis_url is set ({url}) but this build has no Redis support"
                )],
            })
        }
        pub(crate) async fn available(&self) -> bool {
            match *self {}
        }
        pub(crate) async fn get(&self, _key: &ContentKey) -> Result<Option<Bytes>, Down> {
            match *self {}
        }
        pub(crate) async fn put(
            &self,
            _key: &ContentKey,
            _packed: Vec<u8>,
            _inputs: Vec<InputHash>,
        ) -> Result<(), Down> {
            match *self {}
        }
        pub(crate) async fn try_lock(&self, _key: &ContentKey) -> Result<Option<LockGuard>, Down> {
            match *self {}
        }
        pub(crate) async fn is_locked(&self, _key: &ContentKey) -> Result<bool, Down> {
            match *self {}
        }
        pub(crate) async fn delete(&self, _keys: &[ContentKey]) -> Result<(), Down> {
            match *self {}
        }
        pub(crate) async fn derived_from(
            &self,
            _input: &InputHash,
            _delete: bool,
        ) -> Result<Vec<ContentKey>, Down> {
            match *self {}
        }
    }
}
