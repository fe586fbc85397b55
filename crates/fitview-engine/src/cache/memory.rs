//! The in-process layer: a moka cache bounded by the bytes of the results it holds, with a TTL.
//! Its entry API is also what coalesces concurrent identical requests in this process.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use super::Entry;
use crate::key::{ContentKey, InputHash};

/// Bytes counted for an entry beyond its files (sidecar, bookkeeping).
const ENTRY_OVERHEAD: u64 = 2048;

/// Results held in memory.
#[derive(Debug, Clone)]
pub(crate) struct MemoryLayer {
    pub(crate) cache: Cache<ContentKey, Arc<Entry>>,
}

impl MemoryLayer {
    pub(crate) fn new(max_bytes: u64, ttl: Duration) -> Self {
        let cache = Cache::builder()
            .name("fitview-results")
            .max_capacity(max_bytes)
            .weigher(|_key: &ContentKey, entry: &Arc<Entry>| {
                u32::try_from(entry.sidecar.total_bytes() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
            })
            .time_to_live(ttl)
            .build();
        Self { cache }
    }

    pub(crate) async fn get(&self, key: &ContentKey) -> Option<Arc<Entry>> {
        self.cache.get(key).await
    }

    pub(crate) async fn insert(&self, key: ContentKey, entry: Arc<Entry>) {
        self.cache.insert(key, entry).await;
    }

    pub(crate) async fn invalidate(&self, keys: &[ContentKey]) {
        for key in keys {
            self.cache.invalidate(key).await;
        }
    }

    /// Keys of the entries made from `input`.
    pub(crate) fn derived_from(&self, input: &InputHash) -> Vec<ContentKey> {
        self.cache
            .iter()
            .filter(|(_, entry)| entry.sidecar.input_hashes().any(|h| h == input))
            .map(|(key, _)| ContentKey::clone(&key))
            .collect()
    }

    /// Entries and weighted bytes, after pending evictions are applied.
    pub(crate) async fn usage(&self) -> (u64, u64) {
        self.cache.run_pending_tasks().await;
        (self.cache.entry_count(), self.cache.weighted_size())
    }
}
