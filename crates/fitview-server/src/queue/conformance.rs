//! The queue's conformance suite: the same scenarios on SQLite and on PostgreSQL (given
//! `FITVIEW_TEST_POSTGRES_URL`, in a fresh schema), so both databases claim, lease, retry and
//! dead-letter alike. Every scenario gets an empty database and a hand-moved clock: leases and
//! backoff run out by moving the clock, never by waiting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::AnyPool;

use super::{Backoff, Clock, Dialect, Failed, Queue, QueueError, QueueSettings};

const LEASE: Duration = Duration::from_secs(30);

/// An empty queue database shared by the workers of one scenario, and their clock.
struct Fixture {
    pool: AnyPool,
    dialect: Dialect,
    clock: Clock,
    _dir: Option<tempfile::TempDir>,
}

impl Fixture {
    fn settings(max_attempts: u32) -> QueueSettings {
        QueueSettings {
            lease: LEASE,
            max_attempts,
            backoff: Backoff {
                first: Duration::from_secs(10),
                max: Duration::from_secs(60),
            },
            poll_interval: Duration::from_millis(50),
        }
    }

    /// A worker with this id.
    fn worker(&self, id: &str) -> Queue {
        self.worker_with(id, Self::settings(3))
    }

    fn worker_with(&self, id: &str, settings: QueueSettings) -> Queue {
        Queue::new(
            self.pool.clone(),
            self.dialect,
            id,
            settings,
            self.clock.clone(),
        )
    }
}

async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("queue.db").display()
    );
    Fixture {
        pool: crate::db::connect(&url).await.unwrap(),
        dialect: Dialect::Sqlite,
        clock: Clock::manual(1_700_000_000_000),
        _dir: Some(dir),
    }
}

async fn postgres(url: &str) -> Fixture {
    use sqlx::Connection as _;
    let schema = format!("queue_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    Fixture {
        pool: crate::db::connect(&url).await.unwrap(),
        dialect: Dialect::Postgres,
        clock: Clock::manual(1_700_000_000_000),
        _dir: None,
    }
}

/// Runs every scenario, each on a fresh database from `make`.
async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Fixture>,
{
    a_job_is_claimed_once_and_gone_when_done(&make().await).await;
    jobs_come_out_oldest_first_and_by_kind(&make().await).await;
    a_dead_workers_job_is_taken_over_when_its_lease_runs_out(&make().await).await;
    the_heartbeat_keeps_a_job_from_other_workers(&make().await).await;
    retryable_failures_back_off_then_dead_letter(&make().await).await;
    a_failure_that_cannot_succeed_is_dead_at_once(&make().await).await;
    a_restarted_worker_reclaims_its_own_jobs_at_once(&make().await).await;
    jobs_whose_workers_keep_dying_are_exhausted(&make().await).await;
    concurrent_claims_get_each_job_exactly_once(&make().await).await;
    stats_count_waiting_running_and_dead_jobs(&make().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms() {
    run_all(sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms() {
    let Ok(url) = std::env::var("FITVIEW_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED postgres_conforms: FITVIEW_TEST_POSTGRES_URL is not set");
        return;
    };
    run_all(|| postgres(&url)).await;
}

async fn a_job_is_claimed_once_and_gone_when_done(f: &Fixture) {
    let queue = f.worker("w1");
    queue.enqueue("a", "tryon", r#"{"n":1}"#).await.unwrap();
    let job = queue.claim(&["tryon"]).await.unwrap().unwrap();
    assert_eq!(
        (job.id.as_str(), job.payload.as_str(), job.attempts),
        ("a", r#"{"n":1}"#, 1)
    );
    assert!(!job.took_over());
    assert_eq!(queue.claim(&["tryon"]).await.unwrap(), None);
    assert_eq!(
        queue.get("a").await.unwrap().unwrap().locked_by.as_deref(),
        Some("w1")
    );
    assert!(queue.succeed(&job).await.unwrap());
    assert_eq!(queue.get("a").await.unwrap(), None);
    assert!(matches!(queue.enqueue("b", "tryon", "{}").await, Ok(())));
    assert!(matches!(
        queue.enqueue("b", "tryon", "{}").await,
        Err(QueueError::Duplicate(id)) if id == "b"
    ));
}

async fn jobs_come_out_oldest_first_and_by_kind(f: &Fixture) {
    let queue = f.worker("w1");
    for (id, kind) in [("1", "tryon"), ("2", "webhook"), ("3", "tryon")] {
        queue.enqueue(id, kind, "{}").await.unwrap();
        f.clock.advance(Duration::from_millis(1));
    }
    let first = queue.claim(&["tryon"]).await.unwrap().unwrap();
    let second = queue.claim(&["tryon"]).await.unwrap().unwrap();
    assert_eq!((first.id.as_str(), second.id.as_str()), ("1", "3"));
    assert_eq!(queue.claim(&["tryon"]).await.unwrap(), None);
    let other = queue.claim(&["tryon", "webhook"]).await.unwrap().unwrap();
    assert_eq!(other.kind, "webhook");
}

async fn a_dead_workers_job_is_taken_over_when_its_lease_runs_out(f: &Fixture) {
    let dead = f.worker("dead");
    let alive = f.worker("alive");
    dead.enqueue("j", "tryon", "{}").await.unwrap();
    let held = dead.claim(&["tryon"]).await.unwrap().unwrap();
    f.clock.advance(LEASE - Duration::from_millis(1));
    assert_eq!(
        alive.claim(&["tryon"]).await.unwrap(),
        None,
        "lease still held"
    );
    f.clock.advance(Duration::from_millis(1));
    let taken = alive.claim(&["tryon"]).await.unwrap().unwrap();
    assert_eq!((taken.id.as_str(), taken.attempts), ("j", 2));
    assert!(taken.took_over());
    assert_eq!(alive.counters().lease_expiries.load(Ordering::Relaxed), 1);
    // The worker that lost the lease can neither renew, finish nor fail it.
    assert!(!dead.renew(&held).await.unwrap());
    assert!(!dead.succeed(&held).await.unwrap());
    assert_eq!(
        dead.fail(&held, "late", true, None).await.unwrap(),
        Failed::LeaseLost
    );
    assert!(alive.succeed(&taken).await.unwrap());
}

async fn the_heartbeat_keeps_a_job_from_other_workers(f: &Fixture) {
    let holder = f.worker("holder");
    let other = f.worker("other");
    holder.enqueue("j", "tryon", "{}").await.unwrap();
    let job = holder.claim(&["tryon"]).await.unwrap().unwrap();
    for _ in 0..3 {
        f.clock.advance(LEASE - Duration::from_secs(1));
        assert!(holder.renew(&job).await.unwrap());
        assert_eq!(other.claim(&["tryon"]).await.unwrap(), None);
    }
}

async fn retryable_failures_back_off_then_dead_letter(f: &Fixture) {
    let queue = f.worker("w");
    queue.enqueue("j", "tryon", "{}").await.unwrap();
    for attempt in 1..=2 {
        let job = queue.claim(&["tryon"]).await.unwrap().unwrap();
        assert_eq!(job.attempts, attempt);
        let Failed::Retrying(wait) = queue.fail(&job, "upstream 503", true, None).await.unwrap()
        else {
            panic!("attempt {attempt} should be retried");
        };
        let ceiling = Fixture::settings(3)
            .backoff
            .ceiling(u32::try_from(attempt).unwrap());
        assert!(wait >= ceiling / 2 && wait <= ceiling, "{wait:?}");
        let record = queue.get("j").await.unwrap().unwrap();
        assert_eq!(
            (record.status.as_str(), record.last_error.as_deref()),
            ("queued", Some("upstream 503"))
        );
        f.clock.advance(wait - Duration::from_millis(1));
        assert_eq!(queue.claim(&["tryon"]).await.unwrap(), None, "backing off");
        f.clock.advance(Duration::from_millis(1));
    }
    let last = queue.claim(&["tryon"]).await.unwrap().unwrap();
    // A wait the failure asks for is honoured when longer than the backoff.
    assert_eq!(
        queue
            .fail(&last, "still down", true, Some(Duration::from_secs(600)))
            .await
            .unwrap(),
        Failed::Dead,
        "the third of three attempts is the last"
    );
    let record = queue.get("j").await.unwrap().unwrap();
    assert_eq!((record.status.as_str(), record.attempts), ("failed", 3));
    assert_eq!(record.last_error.as_deref(), Some("still down"));
    f.clock.advance(Duration::from_secs(3600));
    assert_eq!(queue.claim(&["tryon"]).await.unwrap(), None);
    let dead = queue.dead_letters("tryon", 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(queue.counters().dead_letters.load(Ordering::Relaxed), 1);
    assert_eq!(queue.counters().retries.load(Ordering::Relaxed), 2);

    // Retry-After longer than the backoff is what the next attempt waits.
    queue.enqueue("k", "tryon", "{}").await.unwrap();
    let job = queue.claim(&["tryon"]).await.unwrap().unwrap();
    assert_eq!(
        queue
            .fail(&job, "rate limited", true, Some(Duration::from_secs(120)))
            .await
            .unwrap(),
        Failed::Retrying(Duration::from_secs(120))
    );
}

async fn a_failure_that_cannot_succeed_is_dead_at_once(f: &Fixture) {
    let queue = f.worker("w");
    queue.enqueue("j", "tryon", "{}").await.unwrap();
    let job = queue.claim(&["tryon"]).await.unwrap().unwrap();
    assert_eq!(
        queue
            .fail(&job, "content refused", false, None)
            .await
            .unwrap(),
        Failed::Dead
    );
    assert_eq!(queue.get("j").await.unwrap().unwrap().status, "failed");
}

async fn a_restarted_worker_reclaims_its_own_jobs_at_once(f: &Fixture) {
    let before = f.worker("server-a");
    before.enqueue("j", "tryon", "{}").await.unwrap();
    before.enqueue("k", "tryon", "{}").await.unwrap();
    let other = f.worker("server-b");
    other.claim(&["tryon"]).await.unwrap().unwrap();
    before.claim(&["tryon"]).await.unwrap().unwrap();
    // The process dies; the same server starts again, before the lease runs out.
    let after = f.worker("server-a");
    assert_eq!(after.release_own().await.unwrap(), 1);
    let again = after.claim(&["tryon"]).await.unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    // Another server's job is not touched.
    assert_eq!(after.claim(&["tryon"]).await.unwrap(), None);
}

async fn jobs_whose_workers_keep_dying_are_exhausted(f: &Fixture) {
    let queue = f.worker_with("w", Fixture::settings(2));
    queue.enqueue("j", "tryon", "{}").await.unwrap();
    for _ in 0..2 {
        let job = queue.claim(&["tryon"]).await.unwrap().unwrap();
        assert!(!job.is_exhausted());
        f.clock.advance(LEASE);
    }
    let job = queue.claim(&["tryon"]).await.unwrap().unwrap();
    assert!(job.is_exhausted(), "{job:?}");
    assert_eq!(
        queue.fail(&job, "abandoned", false, None).await.unwrap(),
        Failed::Dead
    );
}

async fn concurrent_claims_get_each_job_exactly_once(f: &Fixture) {
    let setup = f.worker("setup");
    for i in 0..24 {
        setup
            .enqueue(&format!("job-{i:02}"), "tryon", "{}")
            .await
            .unwrap();
    }
    let workers: Vec<Queue> = (0..6).map(|i| f.worker(&format!("w{i}"))).collect();
    let claimed = futures::future::join_all(workers.iter().map(|queue| async move {
        let mut mine = Vec::new();
        loop {
            match queue.claim(&["tryon"]).await {
                Ok(Some(job)) => mine.push(job.id),
                Ok(None) => break,
                // SQLite may report a busy database under concurrent writers: try again.
                Err(QueueError::Database(_)) => tokio::task::yield_now().await,
                Err(e) => panic!("{e}"),
            }
        }
        mine
    }))
    .await;
    let all: Vec<String> = claimed.into_iter().flatten().collect();
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 24, "{all:?}");
    assert_eq!(distinct.len(), 24);
}

async fn stats_count_waiting_running_and_dead_jobs(f: &Fixture) {
    let queue = f.worker("w");
    assert_eq!(
        queue.stats("tryon").await.unwrap(),
        super::QueueStats::default()
    );
    for id in ["a", "b", "c"] {
        queue.enqueue(id, "tryon", "{}").await.unwrap();
    }
    queue.enqueue("x", "webhook", "{}").await.unwrap();
    f.clock.advance(Duration::from_secs(7));
    let running = queue.claim(&["tryon"]).await.unwrap().unwrap();
    let dead = queue.claim(&["tryon"]).await.unwrap().unwrap();
    queue.fail(&dead, "refused", false, None).await.unwrap();
    let stats = queue.stats("tryon").await.unwrap();
    assert_eq!((stats.depth, stats.running, stats.dead), (1, 1, 1));
    assert_eq!(stats.oldest_age, Some(Duration::from_secs(7)));
    assert_eq!(queue.depth("tryon").await.unwrap(), 1);
    assert!(queue.succeed(&running).await.unwrap());
}
