//! Workers: claim a job, run its handler while a heartbeat renews the lease, then record how it
//! ended. Each kind of work implements [`Handler`]; this loop is the same for all of them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Claimed, Failed, Queue};

/// A failed attempt, as the handler judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    /// A stable machine code (e.g. `rate_limited`, `content_refused`).
    pub code: String,
    /// A message safe to show the job's owner.
    pub public_message: String,
    /// What went wrong, for the operator: kept as the job's `last_error` (no secrets, no image
    /// bytes).
    pub detail: String,
    /// Whether a later attempt can succeed (a rate limit, a timeout, an unavailable upstream).
    pub retryable: bool,
    /// When the failure says a retry can succeed (e.g. a provider's `Retry-After`).
    pub retry_after: Option<Duration>,
}

/// The work of one kind of job.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Runs one attempt of `job`. It may run again after a crash, so it must be safe to repeat.
    async fn run(&self, job: &Claimed) -> Result<(), JobFailure>;

    /// The job failed for good (attempts exhausted or not retryable): record that where its
    /// owner will see it. The queue keeps the job as a dead letter.
    async fn dead(&self, job: &Claimed, failure: &JobFailure);

    /// The attempt ended (succeeded, retrying or dead): e.g. tell whoever waits for it.
    fn ended(&self, _job: &Claimed, _outcome: &Outcome) {}
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Succeeded,
    /// Failed; see how.
    Failed(Failed),
}

/// A pool of workers on one queue; closing it lets running jobs finish and leaves the rest queued.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    handles: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl Workers {
    /// Starts `count` workers (at least one) claiming jobs of `kinds` and running them with
    /// `handler`.
    pub fn spawn(
        queue: Arc<Queue>,
        kinds: &[&'static str],
        handler: Arc<dyn Handler>,
        count: usize,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let handles = (0..count.max(1))
            .map(|_| {
                tokio::spawn(work(
                    queue.clone(),
                    kinds.to_vec(),
                    handler.clone(),
                    stopped.clone(),
                ))
            })
            .collect();
        Self {
            stop,
            handles: std::sync::Mutex::new(handles),
        }
    }

    /// Stops claiming, and waits until the jobs being run have ended. Jobs still queued stay in
    /// the database for the next start or another server.
    pub async fn close(&self, queue: &Queue) {
        let _ = self.stop.send(true);
        queue.wake_all();
        let handles: Vec<_> = self
            .handles
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .drain(..)
            .collect();
        for handle in handles {
            if let Err(error) = handle.await {
                tracing::error!(%error, "a queue worker ended abnormally");
            }
        }
    }

    /// Whether the workers still claim jobs.
    pub fn is_open(&self) -> bool {
        !*self.stop.borrow()
    }
}

async fn work(
    queue: Arc<Queue>,
    kinds: Vec<&'static str>,
    handler: Arc<dyn Handler>,
    mut stopped: watch::Receiver<bool>,
) {
    while !*stopped.borrow() {
        match queue.claim(&kinds).await {
            Ok(Some(job)) => {
                let span = tracing::info_span!("queue_job", job_id = %job.id, kind = %job.kind, attempt = job.attempts);
                tracing::Instrument::instrument(attempt(&queue, handler.as_ref(), job), span).await;
            }
            Ok(None) => {
                tokio::select! {
                    () = queue.wait_for_work() => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot claim queued work; trying again shortly");
                tokio::select! {
                    () = tokio::time::sleep(queue.settings().poll_interval) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    }
}

/// One attempt of `job`, with the heartbeat, then its outcome recorded.
async fn attempt(queue: &Queue, handler: &dyn Handler, job: Claimed) {
    if job.took_over() {
        tracing::warn!("took over a job whose worker's lease ran out");
    }
    let result = if job.is_exhausted() {
        Err(JobFailure {
            code: "abandoned".to_owned(),
            public_message: "the job was interrupted too often; try again".to_owned(),
            detail: format!(
                "abandoned: the workers of its {} attempts stopped before finishing",
                job.max_attempts
            ),
            retryable: false,
            retry_after: None,
        })
    } else {
        run_with_heartbeat(queue, handler, &job).await
    };
    let outcome = match result {
        Ok(()) => match queue.succeed(&job).await {
            Ok(true) => Outcome::Succeeded,
            Ok(false) => Outcome::Failed(Failed::LeaseLost),
            Err(error) => {
                // The lease runs out and the job runs again; the handler is safe to repeat.
                tracing::error!(%error, "cannot record a finished job");
                return;
            }
        },
        Err(failure) => {
            let error = format!("{}: {}", failure.code, failure.detail);
            match queue
                .fail(&job, &error, failure.retryable, failure.retry_after)
                .await
            {
                Ok(Failed::Dead) => {
                    tracing::warn!(%error, "job failed for good (dead letter)");
                    handler.dead(&job, &failure).await;
                    Outcome::Failed(Failed::Dead)
                }
                Ok(failed) => {
                    tracing::info!(%error, ?failed, "job attempt failed");
                    Outcome::Failed(failed)
                }
                Err(error) => {
                    tracing::error!(%error, "cannot record a failed attempt");
                    return;
                }
            }
        }
    };
    handler.ended(&job, &outcome);
}

/// Runs the handler while renewing the lease every third of it.
async fn run_with_heartbeat(
    queue: &Queue,
    handler: &dyn Handler,
    job: &Claimed,
) -> Result<(), JobFailure> {
    let every = (queue.settings().lease / 3).max(Duration::from_millis(10));
    let run = handler.run(job);
    tokio::pin!(run);
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            result = &mut run => return result,
            _ = beat.tick() => match queue.renew(job).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!("lost the lease of a running job; it may run twice"),
                Err(error) => tracing::warn!(%error, "cannot renew a job's lease"),
            },
        }
    }
}
