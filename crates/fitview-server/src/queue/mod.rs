//! The durable queue: accepted work lives in the database (SQLite or PostgreSQL), so it survives
//! the process that accepted it and is shared by every server on the same database.
//!
//! A worker claims a job with a lease (`locked_until_ms`) and renews it while the work runs
//! ([`worker`]). When a lease runs out (the worker died), any server may claim the job again; a
//! server that restarts releases the jobs it held at once ([`Queue::release_own`]). A failure
//! that can succeed later is retried with backoff ([`Backoff`]); after `max_attempts` the job
//! stays `failed` with its error: a dead letter, visible to the operator.
//!
//! The claim is one statement per dialect (`claim.rs`): PostgreSQL picks with
//! `FOR UPDATE SKIP LOCKED`, so servers never wait on each other's rows; SQLite has one writer at
//! a time, so the same update is atomic there.

mod backoff;
mod claim;
mod clock;
#[cfg(test)]
mod conformance;
pub mod identity;
pub mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::Notify;

pub use backoff::Backoff;
pub use clock::Clock;

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The database did not answer or refused the statement.
    #[error("queue database: {0}")]
    Database(#[from] sqlx::Error),
    /// A job with this id is already queued.
    #[error("a job with id {0} already exists")]
    Duplicate(String),
}

/// The queue's tunables.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// How long a claim holds a job without a heartbeat: a dead worker's job is taken over by
    /// another server after at most this long.
    pub lease: Duration,
    /// Attempts before a job is dead-lettered.
    pub max_attempts: u32,
    /// Wait between attempts of a job that failed in a way that can succeed later.
    pub backoff: Backoff,
    /// How often an idle worker looks for work queued by other servers (work queued by this
    /// server wakes it at once).
    pub poll_interval: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            max_attempts: 5,
            backoff: Backoff::default(),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// SQL dialect of the queue's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: one writer at a time.
    Sqlite,
    /// PostgreSQL: claims skip rows other servers hold.
    Postgres,
}

impl Dialect {
    /// The dialect of a database URL.
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres") {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        }
    }
}

/// A job claimed by this worker.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Claimed {
    /// The job's id.
    pub id: String,
    /// What kind of work (each kind has its handler).
    pub kind: String,
    /// The job's input, as its handler wrote it (JSON).
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// 1 when this claim took the job over from a worker whose lease ran out.
    pub reclaimed: i64,
}

impl Claimed {
    /// Whether this claim took the job over from a worker whose lease ran out.
    pub fn took_over(&self) -> bool {
        self.reclaimed != 0
    }

    /// Whether attempts are exhausted already (the workers that had it all died).
    pub fn is_exhausted(&self) -> bool {
        self.attempts > self.max_attempts
    }
}

/// How a failed attempt ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failed {
    /// Queued again; the next attempt waits this long.
    Retrying(Duration),
    /// Dead-lettered: `failed` with its error.
    Dead,
    /// This worker no longer held the job (its lease ran out and another took it).
    LeaseLost,
}

/// A job as stored (for the operator and tests).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRecord {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// `queued`, `running` or `failed` (a job that succeeded is gone).
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// The worker holding it, if running.
    pub locked_by: Option<String>,
}

/// A snapshot of one kind of work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Jobs waiting to run (retries included).
    pub depth: u64,
    /// Jobs held by a worker.
    pub running: u64,
    /// Age of the oldest job not yet done (waiting or running), if any.
    pub oldest_age: Option<Duration>,
    /// Dead letters.
    pub dead: u64,
}

/// Counts of this process's queue events since start.
#[derive(Debug, Default)]
pub struct QueueCounters {
    /// Jobs this process took over from a worker whose lease had run out.
    pub lease_expiries: AtomicU64,
    /// Jobs this process dead-lettered.
    pub dead_letters: AtomicU64,
    /// Attempts this process queued again after a retryable failure.
    pub retries: AtomicU64,
}

/// The durable queue on one database, worked as `worker_id`.
#[derive(Debug)]
pub struct Queue {
    pool: AnyPool,
    dialect: Dialect,
    worker_id: String,
    settings: QueueSettings,
    clock: Clock,
    wake: Notify,
    counters: Arc<QueueCounters>,
}

const RECORD_COLUMNS: &str = "id, kind, status, attempts, last_error, locked_by";

impl Queue {
    /// A queue on `pool` (of `dialect`), whose claims this process makes as `worker_id` (stable
    /// across restarts of the same server, so it can release its own jobs at start).
    pub fn new(
        pool: AnyPool,
        dialect: Dialect,
        worker_id: impl Into<String>,
        settings: QueueSettings,
        clock: Clock,
    ) -> Self {
        Self {
            pool,
            dialect,
            worker_id: worker_id.into(),
            settings,
            clock,
            wake: Notify::new(),
            counters: Arc::new(QueueCounters::default()),
        }
    }

    /// A queue on the same database, worked under the same id with the same clock and
    /// counters, with other settings (another kind of work with its own attempts and leases).
    pub fn sibling(&self, settings: QueueSettings) -> Self {
        Self {
            pool: self.pool.clone(),
            dialect: self.dialect,
            worker_id: self.worker_id.clone(),
            settings,
            clock: self.clock.clone(),
            wake: Notify::new(),
            counters: self.counters.clone(),
        }
    }

    /// This worker's id.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// The settings in force.
    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    /// This process's counts of lease expiries, retries and dead letters.
    pub fn counters(&self) -> &QueueCounters {
        &self.counters
    }

    /// Queues a job of `kind` with `payload`, runnable at once, and wakes an idle worker.
    pub async fn enqueue(&self, id: &str, kind: &str, payload: &str) -> Result<(), QueueError> {
        let now = self.clock.now_ms();
        let inserted = sqlx::query(
            "INSERT INTO queue_jobs (id, kind, payload, status, attempts, max_attempts, \
             run_after_ms, reclaimed, created_at_ms, updated_at_ms) \
             VALUES ($1, $2, $3, 'queued', 0, $4, $5, 0, $5, $5)",
        )
        .bind(id.to_owned())
        .bind(kind.to_owned())
        .bind(payload.to_owned())
        .bind(i64::from(self.settings.max_attempts))
        .bind(now)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => {
                self.wake.notify_one();
                Ok(())
            }
            Err(e) if crate::db::is_unique_violation(&e) => Err(QueueError::Duplicate(id.into())),
            Err(e) => Err(e.into()),
        }
    }

    /// Claims the job of one of `kinds` that has waited longest and is runnable now (queued and
    /// due, or running under a lease that ran out), leasing it to this worker.
    pub async fn claim(&self, kinds: &[&str]) -> Result<Option<Claimed>, QueueError> {
        let now = self.clock.now_ms();
        let until = now + millis(self.settings.lease);
        let claimed =
            claim::claim(&self.pool, self.dialect, &self.worker_id, kinds, now, until).await?;
        if claimed.as_ref().is_some_and(Claimed::took_over) {
            self.counters.lease_expiries.fetch_add(1, Ordering::Relaxed);
        }
        Ok(claimed)
    }

    /// Extends the lease of a job this worker holds; `false` when it no longer holds it.
    pub async fn renew(&self, job: &Claimed) -> Result<bool, QueueError> {
        let now = self.clock.now_ms();
        let done = sqlx::query(
            "UPDATE queue_jobs SET locked_until_ms = $1, updated_at_ms = $2 \
             WHERE id = $3 AND status = 'running' AND locked_by = $4",
        )
        .bind(now + millis(self.settings.lease))
        .bind(now)
        .bind(job.id.clone())
        .bind(self.worker_id.clone())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends a job that succeeded (its row goes); `false` when this worker no longer held it.
    pub async fn succeed(&self, job: &Claimed) -> Result<bool, QueueError> {
        let done = sqlx::query(
            "DELETE FROM queue_jobs WHERE id = $1 AND status = 'running' AND locked_by = $2",
        )
        .bind(job.id.clone())
        .bind(self.worker_id.clone())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed attempt: queued again after the backoff (or `retry_after` when the
    /// failure says when, whichever is longer) if `retryable` and attempts remain, else
    /// dead-lettered with `error`.
    pub async fn fail(
        &self,
        job: &Claimed,
        error: &str,
        retryable: bool,
        retry_after: Option<Duration>,
    ) -> Result<Failed, QueueError> {
        let now = self.clock.now_ms();
        let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
        let outcome = if retryable && job.attempts < job.max_attempts {
            let wait = self.settings.backoff.after(attempts);
            Failed::Retrying(retry_after.map_or(wait, |r| r.max(wait)))
        } else {
            Failed::Dead
        };
        let (status, run_after) = match outcome {
            Failed::Retrying(wait) => ("queued", now + millis(wait)),
            _ => ("failed", now),
        };
        let done = sqlx::query(
            "UPDATE queue_jobs SET status = $1, run_after_ms = $2, last_error = $3, \
             locked_by = NULL, locked_until_ms = NULL, updated_at_ms = $4 \
             WHERE id = $5 AND status = 'running' AND locked_by = $6",
        )
        .bind(status)
        .bind(run_after)
        .bind(error.to_owned())
        .bind(now)
        .bind(job.id.clone())
        .bind(self.worker_id.clone())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(Failed::LeaseLost);
        }
        let counter = match outcome {
            Failed::Retrying(_) => &self.counters.retries,
            _ => &self.counters.dead_letters,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(outcome)
    }

    /// Makes every job this worker id held runnable again at once (a restarted server's jobs
    /// need not wait for their leases to run out); returns how many.
    pub async fn release_own(&self) -> Result<u64, QueueError> {
        let now = self.clock.now_ms();
        let done = sqlx::query(
            "UPDATE queue_jobs SET status = 'queued', run_after_ms = $1, locked_by = NULL, \
             locked_until_ms = NULL, updated_at_ms = $1 WHERE status = 'running' AND locked_by = $2",
        )
        .bind(now)
        .bind(self.worker_id.clone())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() > 0 {
            self.wake.notify_waiters();
        }
        Ok(done.rows_affected())
    }

    /// The job with this id, if it is still stored (waiting, running or dead).
    pub async fn get(&self, id: &str) -> Result<Option<JobRecord>, QueueError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM queue_jobs WHERE id = $1"
        ))
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Dead letters of `kind`, newest first (at most `limit`).
    pub async fn dead_letters(&self, kind: &str, limit: i64) -> Result<Vec<JobRecord>, QueueError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM queue_jobs WHERE kind = $1 AND status = 'failed' \
             ORDER BY updated_at_ms DESC, id LIMIT $2"
        ))
        .bind(kind.to_owned())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Depth, running, oldest age and dead letters of `kind`.
    pub async fn stats(&self, kind: &str) -> Result<QueueStats, QueueError> {
        let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT status, COUNT(*), MIN(created_at_ms) FROM queue_jobs WHERE kind = $1 \
             GROUP BY status",
        )
        .bind(kind.to_owned())
        .fetch_all(&self.pool)
        .await?;
        let now = self.clock.now_ms();
        let mut stats = QueueStats::default();
        for (status, count, oldest) in rows {
            let count = u64::try_from(count).unwrap_or(0);
            match status.as_str() {
                "queued" => stats.depth = count,
                "running" => stats.running = count,
                "failed" => {
                    stats.dead = count;
                    continue;
                }
                _ => continue,
            }
            if let Some(oldest) = oldest {
                let age = Duration::from_millis(u64::try_from(now - oldest).unwrap_or(0));
                stats.oldest_age = Some(stats.oldest_age.map_or(age, |a| a.max(age)));
            }
        }
        Ok(stats)
    }

    /// Jobs of `kind` waiting to run (for admission control).
    pub async fn depth(&self, kind: &str) -> Result<u64, QueueError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM queue_jobs WHERE kind = $1 AND status = 'queued'")
                .bind(kind.to_owned())
                .fetch_one(&self.pool)
                .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Completes when work may have been queued: at once after an [`enqueue`](Self::enqueue)
    /// in this process, else after the poll interval.
    pub async fn wait_for_work(&self) {
        let _ = tokio::time::timeout(self.settings.poll_interval, self.wake.notified()).await;
    }

    /// Wakes every idle worker (e.g. to see that the queue is closing).
    pub fn wake_all(&self) {
        self.wake.notify_waiters();
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
