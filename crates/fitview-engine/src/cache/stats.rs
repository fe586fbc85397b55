//! Counters of the cache layers: hits, misses, coalesced waits, stores and errors per layer, and
//! what each request's result came from. Read with [`crate::Engine::cache_stats`].

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::result::CacheStatus;

/// Counters of one layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LayerStats {
    /// Lookups that found the result.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Requests that waited for a concurrent identical one and got its result (memory: in this
    /// process; shared: in another process).
    pub coalesced: u64,
    /// Results written to the layer.
    pub stored: u64,
    /// Operations that failed (the request went on without the layer).
    pub errors: u64,
}

/// Where the requests' results came from, one count per request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    /// Made by the provider.
    pub miss: u64,
    /// Served from this process's memory.
    pub hit_memory: u64,
    /// Served from Redis.
    pub hit_shared: u64,
    /// Served from the result store.
    pub hit_store: u64,
    /// Shared with a concurrent identical request.
    pub coalesced: u64,
    /// Failed (provider error, cancelled).
    pub failed: u64,
}

/// Counters of the prepared inputs kept for reuse (person and garment photos, see
/// [`CacheConfig::inputs_bytes`](crate::CacheConfig::inputs_bytes)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InputStats {
    /// Photos decoded and normalized (failed attempts included).
    pub prepared: u64,
    /// Photos taken as already prepared, by this request or a concurrent one.
    pub reused: u64,
}

/// A snapshot of the cache counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CacheStats {
    /// Try-ons that reached the cache (valid inputs).
    pub requests: u64,
    /// Where their results came from.
    pub outcomes: Outcomes,
    /// The in-process layer.
    pub memory: LayerStats,
    /// The shared layer (Redis), all zero when there is none.
    pub shared: LayerStats,
    /// The durable result store, all zero when there is none.
    pub store: LayerStats,
    /// Results held in memory now (approximate).
    pub memory_entries: u64,
    /// Bytes held in memory now (approximate).
    pub memory_bytes: u64,
    /// The prepared inputs kept for reuse.
    pub inputs: InputStats,
    /// Whether Redis answers; `None` without a shared layer.
    pub shared_available: Option<bool>,
    /// Share of answered requests served without a provider call.
    pub hit_rate: f64,
}

impl Outcomes {
    /// Requests answered without a provider call.
    pub fn hits(&self) -> u64 {
        self.hit_memory + self.hit_shared + self.hit_store + self.coalesced
    }

    /// Share of answered (not failed) requests served without a provider call; 0 with none.
    pub fn hit_rate(&self) -> f64 {
        let answered = self.hits() + self.miss;
        if answered == 0 {
            0.0
        } else {
            self.hits() as f64 / answered as f64
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct LayerCounters {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) coalesced: AtomicU64,
    pub(crate) stored: AtomicU64,
    pub(crate) errors: AtomicU64,
}

impl LayerCounters {
    fn snapshot(&self) -> LayerStats {
        LayerStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            coalesced: self.coalesced.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) memory: LayerCounters,
    pub(crate) shared: LayerCounters,
    pub(crate) store: LayerCounters,
    outcome: [AtomicU64; 6],
}

impl Counters {
    /// Counts the outcome of one request (`None`: it failed).
    pub(crate) fn outcome(&self, status: Option<CacheStatus>) {
        let slot = match status {
            Some(CacheStatus::Miss) => 0,
            Some(CacheStatus::HitMemory) => 1,
            Some(CacheStatus::HitShared) => 2,
            Some(CacheStatus::HitStore) => 3,
            Some(CacheStatus::Coalesced) => 4,
            None => 5,
        };
        bump(&self.outcome[slot]);
    }

    pub(crate) fn snapshot(&self) -> CacheStats {
        let o = |i: usize| self.outcome[i].load(Ordering::Relaxed);
        let outcomes = Outcomes {
            miss: o(0),
            hit_memory: o(1),
            hit_shared: o(2),
            hit_store: o(3),
            coalesced: o(4),
            failed: o(5),
        };
        CacheStats {
            requests: self.requests.load(Ordering::Relaxed),
            outcomes,
            memory: self.memory.snapshot(),
            shared: self.shared.snapshot(),
            store: self.store.snapshot(),
            memory_entries: 0,
            memory_bytes: 0,
            inputs: InputStats::default(),
            shared_available: None,
            hit_rate: outcomes.hit_rate(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_rate_counts_answered_requests_only() {
        let counters = Counters::default();
        assert_eq!(counters.snapshot().hit_rate, 0.0);
        for status in [
            Some(CacheStatus::Miss),
            Some(CacheStatus::HitMemory),
            Some(CacheStatus::Coalesced),
            None,
        ] {
            counters.outcome(status);
        }
        counters.outcome(Some(CacheStatus::HitStore));
        let stats = counters.snapshot();
        assert_eq!(stats.outcomes.failed, 1);
        assert_eq!(stats.outcomes.hits(), 3);
        assert!((stats.hit_rate - 0.75).abs() < 1e-9);
    }
}
