//! Try-on jobs on the durable queue ([`crate::queue`]): accepted work is a row in the database,
//! so it survives a crash and any server on the same database may run it.
//!
//! A full queue refuses new jobs (503 with `Retry-After`) instead of growing. On shutdown the
//! workers finish the jobs they are running; jobs still waiting stay queued for the next start
//! (which resumes them) or for another server.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fitview_engine::{BodyLandmarks, GarmentCategory, TryOnRequest, TryOnResult};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::cache::{PairEntry, durable_key};
use crate::db;
use crate::db::models::ModelRow;
use crate::db::products::ProductRow;
use crate::db::tryon::ResultRow;
use crate::error::{ApiError, ApiResult};
use crate::files::UploadKind;
use crate::job_events::JobEvents;
use crate::queue::worker::{Handler, JobFailure, Outcome, Workers};
use crate::queue::{Claimed, Failed, Queue, QueueError, QueueStats};
use crate::results::StoredImage;
use crate::routes::quality;
use crate::state::AppState;

/// What a client is told to wait before retrying when the queue is full.
const QUEUE_FULL_RETRY: Duration = Duration::from_secs(5);

/// The queue kind of try-on jobs.
pub const TRYON_KIND: &str = "tryon";

/// How often a request waiting for a job looks at the database, for jobs finished by another
/// server without Redis to say so (this server's own finish, or word through Redis, wakes it
/// at once).
const WAIT_RECHECK: Duration = Duration::from_millis(500);

/// The durable part of a try-on job: the record's id (the record holds the model and product).
#[derive(Debug, Serialize, Deserialize)]
struct TryOnPayload {
    job_id: String,
}

/// Try-on jobs: admission, the durable queue and this server's workers.
#[derive(Debug)]
pub struct JobQueue {
    queue: Arc<Queue>,
    capacity: usize,
    events: JobEvents,
    workers: OnceLock<Workers>,
}

impl JobQueue {
    /// Try-on jobs on `queue`, at most `capacity` waiting (at least one), their changes told
    /// through `events`.
    pub fn new(queue: Arc<Queue>, capacity: usize, events: JobEvents) -> Self {
        Self {
            queue,
            capacity: capacity.max(1),
            events,
            workers: OnceLock::new(),
        }
    }

    /// The durable queue under the jobs.
    pub fn queue(&self) -> &Arc<Queue> {
        &self.queue
    }

    /// Resumes the work accepted before this server stopped (its own leased jobs at once, and
    /// records accepted but never queued), then starts `count` workers (at least one).
    pub async fn start(&self, state: &AppState, count: usize) -> Result<(), QueueError> {
        let released = self.queue.release_own().await?;
        let mut requeued = 0;
        for id in db::tryon::unfinished_without_queue_job(&state.db).await? {
            match self.enqueue(&id).await {
                Ok(()) => requeued += 1,
                Err(QueueError::Duplicate(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if released + requeued > 0 {
            tracing::info!(released, requeued, "resuming accepted try-ons");
        }
        let handler = Arc::new(TryOnHandler {
            state: state.clone(),
        });
        let workers = Workers::spawn(self.queue.clone(), &[TRYON_KIND], handler, count);
        if self.workers.set(workers).is_err() {
            tracing::warn!("try-on workers were started twice; the second start is ignored");
        }
        Ok(())
    }

    async fn enqueue(&self, job_id: &str) -> Result<(), QueueError> {
        let payload = serde_json::to_string(&TryOnPayload {
            job_id: job_id.to_owned(),
        })
        .unwrap_or_default();
        self.queue.enqueue(job_id, TRYON_KIND, &payload).await
    }

    /// Depth, running jobs, oldest age and dead letters of the try-on queue.
    pub async fn stats(&self) -> Result<QueueStats, QueueError> {
        self.queue.stats(TRYON_KIND).await
    }

    /// Whether the queue still accepts jobs.
    pub fn is_open(&self) -> bool {
        self.workers.get().is_none_or(Workers::is_open)
    }

    /// Refuses at once when the queue is full or closing; call before recording a new job.
    pub async fn admit(&self) -> ApiResult<()> {
        if !self.is_open() {
            return Err(ApiError::Unavailable);
        }
        let depth = self.queue.depth(TRYON_KIND).await.map_err(queue_error)?;
        if depth >= self.capacity as u64 {
            return Err(ApiError::QueueFull {
                retry_after: QUEUE_FULL_RETRY,
            });
        }
        Ok(())
    }

    /// Queues the recorded job `job_id` (see [`admit`](Self::admit)).
    pub async fn submit(&self, job_id: &str) -> ApiResult<()> {
        if !self.is_open() {
            return Err(ApiError::Unavailable);
        }
        self.enqueue(job_id).await.map_err(queue_error)
    }

    /// Ids of jobs as they start running or end, on this server (and, with Redis, on every
    /// server).
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.events.subscribe()
    }

    /// The channel of job changes.
    pub fn events(&self) -> &JobEvents {
        &self.events
    }

    /// Waits up to `wait` for the job `job_id` to end, on whichever server runs it.
    pub async fn wait_for(&self, state: &AppState, job_id: &str, wait: Duration) {
        let mut changes = self.subscribe();
        let ended = || async {
            matches!(
                db::tryon::get_job(&state.db, job_id, None).await,
                Ok(Some(ref r)) if r.status == "succeeded" || r.status == "failed"
            )
        };
        // Timing out only means answering 202.
        let _ = tokio::time::timeout(wait, async {
            loop {
                if ended().await {
                    break;
                }
                // Word of a change (this job started or ended, or another job changed), missed
                // messages, or time to look again: look again.
                if let Ok(Err(RecvError::Closed)) =
                    tokio::time::timeout(WAIT_RECHECK, changes.recv()).await
                {
                    tokio::time::sleep(WAIT_RECHECK).await;
                }
            }
        })
        .await;
    }

    /// Stops claiming jobs and waits until the workers have finished the ones they run.
    pub async fn close_and_drain(&self) {
        if let Some(workers) = self.workers.get() {
            workers.close(&self.queue).await;
        }
    }
}

fn queue_error(error: QueueError) -> ApiError {
    match error {
        QueueError::Database(e) => ApiError::Database(e),
        other => ApiError::internal(other),
    }
}

/// Runs try-on jobs for the workers.
struct TryOnHandler {
    state: AppState,
}

#[async_trait::async_trait]
impl Handler for TryOnHandler {
    async fn run(&self, job: &Claimed) -> Result<(), JobFailure> {
        let payload: TryOnPayload = serde_json::from_str(&job.payload).map_err(|e| JobFailure {
            code: "internal".to_owned(),
            public_message: "something went wrong".to_owned(),
            detail: format!("unreadable payload: {e}"),
            retryable: false,
            retry_after: None,
        })?;
        let outcome = run(&self.state, &payload.job_id).await;
        outcome.map_err(|error| {
            let failure = failure_of(&error);
            if failure.retryable {
                tracing::info!(code = error.code(), %error, "try-on attempt failed; retrying later");
            }
            failure
        })
    }

    async fn dead(&self, job: &Claimed, failure: &JobFailure) {
        let Ok(payload) = serde_json::from_str::<TryOnPayload>(&job.payload) else {
            return;
        };
        let ended = Ended::Failed {
            code: &failure.code,
            message: &failure.public_message,
        };
        if let Err(error) = finish(&self.state, &payload.job_id, ended).await {
            tracing::error!(job_id = %payload.job_id, %error, "could not record a job failure");
        }
    }

    fn ended(&self, job: &Claimed, outcome: &Outcome) {
        if matches!(outcome, Outcome::Succeeded | Outcome::Failed(Failed::Dead))
            && let Ok(payload) = serde_json::from_str::<TryOnPayload>(&job.payload)
        {
            self.state.jobs.events.changed(&payload.job_id);
        }
    }
}

/// How a failed attempt is judged: engine failures that can succeed later (rate limits,
/// timeouts, an unavailable provider) and database or storage hiccups are retried.
fn failure_of(error: &ApiError) -> JobFailure {
    let (retryable, retry_after) = match error {
        ApiError::Engine(e) => (e.is_retryable(), e.retry_after()),
        ApiError::Database(_) | ApiError::Io(_) => (true, None),
        _ => (false, None),
    };
    JobFailure {
        code: error.code().to_owned(),
        public_message: error.public_message(),
        detail: error.to_string(),
        retryable,
        retry_after,
    }
}

/// How a try-on job ended.
enum Ended<'a> {
    /// Made: the result's content key, its images (JSON) and the quality checks it failed.
    Succeeded {
        result_key: &'a str,
        images: &'a str,
        failed_checks: Option<&'a str>,
    },
    /// Failed for good, with a stable code and a public message.
    Failed { code: &'a str, message: &'a str },
}

/// The one place where a try-on job reaches `succeeded` or `failed`.
async fn finish(state: &AppState, job_id: &str, ended: Ended<'_>) -> ApiResult<()> {
    let succeeded = matches!(ended, Ended::Succeeded { .. });
    match ended {
        Ended::Succeeded {
            result_key,
            images,
            failed_checks,
        } => {
            db::tryon::mark_succeeded(&state.db, job_id, result_key, images, failed_checks).await?
        }
        Ended::Failed { code, message } => {
            db::tryon::mark_failed(&state.db, job_id, code, message).await?
        }
    }
    state.analytics.job_finished(job_id, succeeded).await;
    notify_ended(state, job_id).await?;
    Ok(())
}

/// Queues the `tryon.completed` or `tryon.failed` webhook of an ended job for the retailer whose
/// catalog it tried on. Safe to repeat: one job's event is delivered once per endpoint.
async fn notify_ended(state: &AppState, job_id: &str) -> ApiResult<()> {
    let Some(job) = db::tryon::get_job(&state.db, job_id, None).await? else {
        return Ok(());
    };
    let event_type = match job.status.as_str() {
        "succeeded" => "tryon.completed",
        "failed" => "tryon.failed",
        _ => return Ok(()),
    };
    let Some(product) = db::products::get(&state.db, &job.product_id, None).await? else {
        return Ok(());
    };
    let data = serde_json::json!({
        "job_id": job.id,
        "model_id": job.model_id,
        "product_id": job.product_id,
        "status": job.status,
        "error_code": job.error_code,
    });
    // A failure here fails the attempt: the next one finds the job ended and queues it again.
    state
        .webhooks
        .emit(&product.retailer_id, event_type, &job.id, data)
        .await
        .map_err(queue_error)?;
    Ok(())
}

/// Runs a try-on through the engine, counting the call (and its failure) in the metrics.
pub async fn try_on_counted(state: &AppState, request: TryOnRequest) -> ApiResult<TryOnResult> {
    try_on_counted_by(state, &state.engine, request).await
}

/// [`try_on_counted`] with another engine than the server's (e.g. the state's `ephemeral` one).
pub async fn try_on_counted_by(
    state: &AppState,
    engine: &fitview_engine::Engine,
    request: TryOnRequest,
) -> ApiResult<TryOnResult> {
    state.metrics.provider_calls.fetch_add(1, Ordering::Relaxed);
    engine.try_on(request).await.map_err(|error| {
        state
            .metrics
            .provider_failures
            .fetch_add(1, Ordering::Relaxed);
        error.into()
    })
}

/// Runs one attempt of the job `job_id`: reuses a result recorded meanwhile, else calls the
/// engine (which stores a good result's images itself). Safe to repeat after a crash: a job
/// already ended is left alone, and the engine's content-key cache answers a result it stored.
///
/// A result that failed the engine's quality checks is shown to the user who asked (with the
/// failed checks), but not remembered as the pair's result: the next request makes it again.
async fn run(state: &AppState, job_id: &str) -> ApiResult<()> {
    let Some(record) = db::tryon::get_job(&state.db, job_id, None).await? else {
        // The record was deleted (e.g. the account): nothing to make.
        return Ok(());
    };
    if record.status == "succeeded" || record.status == "failed" {
        // Ended by an attempt that stopped before its queue job was done: its webhook may not
        // have been queued yet.
        return notify_ended(state, job_id).await;
    }
    let model = db::models::get(&state.db, &record.model_id, None)
        .await?
        .ok_or_else(|| ApiError::Validation("the model was deleted".to_owned()))?;
    let product = db::products::get(&state.db, &record.product_id, None)
        .await?
        .ok_or_else(|| ApiError::Validation("the product was deleted".to_owned()))?;
    let cache_key = durable_key(&state.engine, &model, &product);
    db::tryon::mark_running(&state.db, job_id).await?;
    state.jobs.events.changed(job_id);
    // The failed quality checks (as stored) of a flagged result; `None` for a good one.
    let (result_key, images, failed_checks) =
        match db::tryon::get_result(&state.db, &cache_key).await? {
            Some(row) => (row.result_key, parse_images(&row.images)?, None),
            None => {
                crate::spend::check(state, &product.retailer_id).await?;
                let request = engine_request(state, &model, &product).await?;
                // Kept for a flagged result, which the server stores with the photos it was
                // made from (cheap clones of the same bytes).
                let photos = request.clone();
                let result = try_on_counted(state, request).await?;
                crate::spend::record_logged(
                    &state.db,
                    &product.retailer_id,
                    &result.provider,
                    &result.model,
                    result.usage.estimated_cost_usd,
                )
                .await;
                state.analytics.job_cost(job_id, &result.usage);
                let failed_checks = quality::to_column(&result.failed_checks)?;
                if failed_checks.is_some() {
                    state
                        .metrics
                        .flagged_results
                        .fetch_add(1, Ordering::Relaxed);
                    let inputs = state.engine.sidecar_inputs(&photos).await?;
                    let (key, images) = state
                        .results
                        .put_flagged(&state.engine, job_id, &result, inputs)
                        .await?;
                    (key.as_str().to_owned(), images, failed_checks)
                } else {
                    let images = state.results.of_result(&state.engine, &result).await?;
                    let result_key = result.key.as_str().to_owned();
                    let row = ResultRow {
                        result_key: result_key.clone(),
                        images: serde_json::to_string(&images).map_err(ApiError::internal)?,
                    };
                    db::tryon::put_result(&state.db, &cache_key, &row).await?;
                    (result_key, images, failed_checks)
                }
            }
        };
    let json = serde_json::to_string(&images).map_err(ApiError::internal)?;
    let ended = Ended::Succeeded {
        result_key: &result_key,
        images: &json,
        failed_checks: failed_checks.as_deref(),
    };
    finish(state, job_id, ended).await?;
    db::models::count_tryon(&state.db, &model.id).await?;
    if failed_checks.is_none() {
        state
            .cache
            .put(
                &model.id,
                &product.id,
                PairEntry {
                    retailer_id: model.retailer_id.clone(),
                    result_key,
                    images,
                },
            )
            .await;
    }
    Ok(())
}

/// The engine request for a model wearing a product.
async fn engine_request(
    state: &AppState,
    model: &ModelRow,
    product: &ProductRow,
) -> ApiResult<TryOnRequest> {
    let garment_file = product
        .image_file
        .as_deref()
        .ok_or_else(|| ApiError::Validation("the product has no garment image".to_owned()))?;
    let person = state
        .files
        .read_upload(UploadKind::Model, &model.image_file)
        .await?;
    let garment = state
        .files
        .read_upload(UploadKind::Product, garment_file)
        .await?;
    let category: GarmentCategory = product.garment_category.parse()?;
    let mut request = TryOnRequest::new(person, garment).with_category(category);
    if let Some(landmarks) = &model.landmarks {
        let landmarks: BodyLandmarks =
            serde_json::from_str(landmarks).map_err(ApiError::internal)?;
        request = request.with_person_landmarks(landmarks);
    }
    Ok(request)
}

/// Provider work done inside a request (try-ons of uploaded photos, style variations), bounded
/// like the queue: when every slot is busy the server answers 503 instead of piling up work.
#[derive(Debug)]
pub struct DirectSlots(tokio::sync::Semaphore);

impl DirectSlots {
    /// `count` slots (at least one).
    pub fn new(count: usize) -> Self {
        Self(tokio::sync::Semaphore::new(count.max(1)))
    }

    /// Takes a slot for as long as the permit lives, or refuses at once when all are busy.
    pub fn try_acquire(&self) -> ApiResult<tokio::sync::SemaphorePermit<'_>> {
        self.0.try_acquire().map_err(|_| ApiError::QueueFull {
            retry_after: QUEUE_FULL_RETRY,
        })
    }
}

/// Parses stored images JSON.
pub fn parse_images(json: &str) -> ApiResult<Vec<StoredImage>> {
    serde_json::from_str(json).map_err(ApiError::internal)
}
