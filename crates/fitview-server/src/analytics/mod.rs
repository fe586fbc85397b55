//! Retailer analytics: events from shoppers, retailers and the server itself go into a bounded
//! in-memory buffer, which is flushed to the database every few minutes or every hundred
//! events (both configurable) and on graceful shutdown; each flush writes the new events and
//! adds them to the daily rollups the retailer's figures are read from, then drops the
//! retailer's cached answers. The maths lives in `fitview-insights`.
//!
//! | idea | file |
//! |---|---|
//! | the bounded buffer | `buffer.rs` |
//! | events and rollups in SQL | `store.rs` |
//! | the funnel's table, kept at flush time | `funnel_table.rs` |
//! | who may send which event | `ingest.rs` |
//! | the 30-minute answer cache | `cache.rs` |
//! | the HTTP routes | `routes.rs` |
//! | the CSV export | `export.rs` |

mod buffer;
mod cache;
pub mod export;
pub mod funnel_table;
mod ingest;
pub mod report;
pub mod routes;
pub mod store;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use fitview_engine::provider::Usage;
use fitview_insights::{Event, EventKind};
use sqlx::AnyPool;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use buffer::{EventBuffer, Full, Pending};
pub use cache::AnswerCache;
pub use ingest::{BatchError, check_batch};
pub use store::Written;

use crate::config::AnalyticsSettings;

/// Analytics counters, exported on `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    /// Events accepted into the buffer.
    pub accepted: AtomicU64,
    /// Server events dropped because the buffer was full.
    pub shed: AtomicU64,
    /// Client events refused (503) because the buffer was full.
    pub refused: AtomicU64,
    /// Events written (new to the database).
    pub written: AtomicU64,
    /// Events that were no-ops (an id already stored).
    pub duplicates: AtomicU64,
    /// Flushes done.
    pub flushes: AtomicU64,
    /// Flushes that failed (their events went back into the buffer).
    pub flush_failures: AtomicU64,
    /// Events waiting in the buffer (sampled at each change).
    pub buffered: AtomicU64,
}

impl Counters {
    /// Appends the counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let counters = [
            (
                "fitview_analytics_events_accepted_total",
                "Analytics events accepted into the buffer.",
                &self.accepted,
            ),
            (
                "fitview_analytics_events_shed_total",
                "Server analytics events dropped: buffer full.",
                &self.shed,
            ),
            (
                "fitview_analytics_events_refused_total",
                "Client analytics events refused: buffer full.",
                &self.refused,
            ),
            (
                "fitview_analytics_events_written_total",
                "Analytics events written to the database.",
                &self.written,
            ),
            (
                "fitview_analytics_events_duplicate_total",
                "Analytics events resent with a known id (no-ops).",
                &self.duplicates,
            ),
            (
                "fitview_analytics_flushes_total",
                "Analytics buffer flushes.",
                &self.flushes,
            ),
            (
                "fitview_analytics_flush_failures_total",
                "Analytics flushes that failed (events kept for the next).",
                &self.flush_failures,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP fitview_analytics_buffered_events Analytics events waiting for a flush.\n# TYPE fitview_analytics_buffered_events gauge\nfitview_analytics_buffered_events {}",
            self.buffered.load(Ordering::Relaxed)
        );
    }
}

/// The analytics service: buffer, flusher, answer cache.
#[derive(Debug)]
pub struct Analytics {
    buffer: EventBuffer,
    db: AnyPool,
    settings: AnalyticsSettings,
    /// Answers of the retailer routes.
    pub cache: AnswerCache,
    counters: Arc<Counters>,
    job_costs: Mutex<HashMap<String, i64>>,
    flushing: tokio::sync::Mutex<()>,
    flusher: Mutex<Option<JoinHandle<()>>>,
    closing: watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Millionths of a dollar of a provider call's estimated cost.
fn cost_micros(usage: &Usage) -> i64 {
    // Costs are cents to dollars: far inside i64 once in millionths.
    (usage.estimated_cost_usd * 1e6).round() as i64
}

/// An event the server records itself (try-ons, variations): its id is new, its retailer is
/// found from the product when it is written.
pub fn server_event(
    kind: EventKind,
    user_id: &str,
    product_id: &str,
    model_id: Option<&str>,
    usage: Option<&Usage>,
) -> Pending {
    Pending {
        retailer_id: None,
        event: Event {
            id: crate::db::new_id(),
            kind,
            occurred_at: Utc::now(),
            product_id: product_id.to_owned(),
            model_id: model_id.map(str::to_owned),
            size: None,
            quantity: 1,
            value_cents: None,
            currency: None,
            session_id: None,
            user_id: Some(user_id.to_owned()),
            reason: None,
            provider_cost_micros: usage.map_or(0, cost_micros),
        },
    }
}

impl Analytics {
    /// The service over `db` (not flushing until [`start`](Self::start)).
    pub fn new(db: AnyPool, settings: AnalyticsSettings, counters: Arc<Counters>) -> Arc<Self> {
        Arc::new(Self {
            buffer: EventBuffer::new(settings.max_buffered, settings.flush_events),
            cache: AnswerCache::new(settings.cache_ttl, 10_000),
            db,
            settings,
            counters,
            job_costs: Mutex::new(HashMap::new()),
            flushing: tokio::sync::Mutex::new(()),
            flusher: Mutex::new(None),
            closing: watch::channel(false).0,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &AnalyticsSettings {
        &self.settings
    }

    /// Starts the flusher: every `flush_interval`, or as soon as `flush_events` are waiting.
    pub fn start(self: &Arc<Self>) {
        let analytics = Arc::clone(self);
        let mut closing = self.closing.subscribe();
        let task = tokio::spawn(async move {
            analytics.rebuild_funnel_table().await;
            loop {
                tokio::select! {
                    () = tokio::time::sleep(analytics.settings.flush_interval) => {}
                    () = analytics.buffer.filled() => {}
                    _ = closing.changed() => break,
                }
                // A failed flush keeps its events and is logged; the next one retries.
                let _ = analytics.flush().await;
            }
        });
        *lock(&self.flusher) = Some(task);
    }

    /// Builds the funnel table from events stored before it existed (once, at the first start
    /// after the migration); no flush runs meanwhile.
    async fn rebuild_funnel_table(&self) {
        let _one_at_a_time = self.flushing.lock().await;
        match funnel_table::rebuild_if_pending(&self.db).await {
            Ok(0) => {}
            Ok(shoppers) => tracing::info!(shoppers, "funnel table built from the stored events"),
            Err(error) => {
                tracing::error!(%error, "cannot build the funnel table; funnels stay incomplete")
            }
        }
    }

    fn sample(&self) {
        self.counters
            .buffered
            .store(self.buffer.len() as u64, Ordering::Relaxed);
    }

    /// Accepts checked client events, all or none: `Err(Full)` is back-pressure (the caller
    /// answers 503 with `Retry-After`).
    pub fn submit(&self, batch: Vec<Pending>) -> Result<(), Full> {
        let n = batch.len() as u64;
        let pushed = self.buffer.push_all(batch);
        let counter = if pushed.is_ok() {
            &self.counters.accepted
        } else {
            &self.counters.refused
        };
        counter.fetch_add(n, Ordering::Relaxed);
        self.sample();
        pushed
    }

    /// Records an event of the server's own; when the buffer is full it is shed and counted.
    pub fn record(&self, pending: Pending) {
        if self.buffer.push_all(vec![pending]).is_err() {
            self.counters.shed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("analytics buffer full: an event was shed");
        } else {
            self.counters.accepted.fetch_add(1, Ordering::Relaxed);
        }
        self.sample();
    }

    /// Records a try-on event of the server's (no provider cost).
    pub fn tryon(&self, kind: EventKind, user_id: &str, product_id: &str, model_id: &str) {
        self.record(server_event(
            kind,
            user_id,
            product_id,
            Some(model_id),
            None,
        ));
    }

    /// Records a try-on answered from a cache: requested and delivered at once.
    pub fn tryon_served(&self, user_id: &str, product_id: &str, model_id: &str) {
        for kind in [EventKind::TryonRequested, EventKind::TryonCompleted] {
            self.tryon(kind, user_id, product_id, model_id);
        }
    }

    /// Remembers what the provider call of a try-on job cost, for its `tryon_completed`.
    pub fn job_cost(&self, job_id: &str, usage: &Usage) {
        lock(&self.job_costs).insert(job_id.to_owned(), cost_micros(usage));
    }

    /// Records how a try-on job ended (`tryon_completed` with its cost, or `tryon_failed`).
    pub async fn job_finished(&self, job_id: &str, succeeded: bool) {
        let cost = lock(&self.job_costs).remove(job_id).unwrap_or(0);
        match crate::db::tryon::get_job(&self.db, job_id, None).await {
            Ok(Some(job)) => {
                let kind = if succeeded {
                    EventKind::TryonCompleted
                } else {
                    EventKind::TryonFailed
                };
                let mut event = server_event(
                    kind,
                    &job.user_id,
                    &job.product_id,
                    Some(&job.model_id),
                    None,
                );
                event.event.provider_cost_micros = cost;
                self.record(event);
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, job_id, "cannot record a try-on's analytics"),
        }
    }

    /// Writes every waiting event now. On failure the events go back into the buffer (as many
    /// as fit) for the next flush.
    pub async fn flush(&self) -> Result<Written, sqlx::Error> {
        let _one_at_a_time = self.flushing.lock().await;
        let batch = self.buffer.take();
        if batch.is_empty() {
            return Ok(Written::default());
        }
        let kept = batch.clone();
        let outcome = store::write(&self.db, batch).await;
        match &outcome {
            Ok(written) => {
                self.cache.invalidate(&written.retailers);
                self.counters
                    .written
                    .fetch_add(written.new_events as u64, Ordering::Relaxed);
                self.counters
                    .duplicates
                    .fetch_add(written.duplicates as u64, Ordering::Relaxed);
                self.counters.flushes.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                self.counters.flush_failures.fetch_add(1, Ordering::Relaxed);
                let shed = self.buffer.put_back(kept);
                self.counters.shed.fetch_add(shed as u64, Ordering::Relaxed);
                tracing::error!(%error, shed, "analytics flush failed; events kept for the next");
            }
        }
        self.sample();
        outcome
    }

    /// Stops the flusher and writes what is left (graceful shutdown).
    pub async fn close(&self) {
        self.closing.send_replace(true);
        let task = lock(&self.flusher).take();
        if let Some(task) = task
            && let Err(error) = task.await
        {
            tracing::error!(%error, "analytics flusher ended abnormally");
        }
        if let Err(error) = self.flush().await {
            tracing::error!(%error, lost = self.buffer.len(), "analytics events lost at shutdown");
        }
    }

    /// Cuts a deleted shopper's link to their events, buffered and stored: the counts stay
    /// under a pseudonym no one can trace back.
    pub async fn forget_shopper(&self, user_id: &str) -> Result<(), sqlx::Error> {
        // No flush may hold the shopper's events in flight meanwhile.
        let _no_flush = self.flushing.lock().await;
        let pseudonym = format!("deleted-{}", crate::db::new_id());
        self.buffer.rename_shopper(user_id, &pseudonym);
        store::rename_shopper(&self.db, user_id, &pseudonym).await?;
        Ok(())
    }
}
