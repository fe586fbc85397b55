//! The try-on queue: a bounded channel feeding a fixed pool of workers that run the engine.
//!
//! A full queue refuses new jobs (503 with `Retry-After`) instead of growing. On shutdown the
//! queue is closed, and the workers finish every job already accepted before they exit.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fitview_engine::{BodyLandmarks, GarmentCategory, TryOnRequest, TryOnResult};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::cache::PairEntry;
use crate::db;
use crate::db::models::ModelRow;
use crate::db::products::ProductRow;
use crate::db::tryon::ResultRow;
use crate::error::{ApiError, ApiResult};
use crate::files::UploadKind;
use crate::results::StoredImage;
use crate::routes::quality;
use crate::state::AppState;

/// What a client is told to wait before retrying when the queue is full.
const QUEUE_FULL_RETRY: Duration = Duration::from_secs(5);

/// One accepted try-on.
#[derive(Debug, Clone)]
pub struct TryOnJob {
    /// The job record's id.
    pub id: String,
    /// The model.
    pub model: ModelRow,
    /// The product.
    pub product: ProductRow,
    /// The durable cache key.
    pub cache_key: String,
}

type Receiver = Arc<tokio::sync::Mutex<mpsc::Receiver<TryOnJob>>>;

/// The queue and its workers.
#[derive(Debug)]
pub struct JobQueue {
    sender: Mutex<Option<mpsc::Sender<TryOnJob>>>,
    receiver: Receiver,
    finished: broadcast::Sender<String>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl JobQueue {
    /// A queue holding at most `capacity` waiting jobs (at least one).
    pub fn new(capacity: usize) -> Self {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let (finished, _) = broadcast::channel(1024);
        Self {
            sender: Mutex::new(Some(sender)),
            receiver: Arc::new(tokio::sync::Mutex::new(receiver)),
            finished,
            workers: Mutex::new(Vec::new()),
        }
    }

    /// Starts `count` workers (at least one) running jobs with `state`.
    pub fn start(&self, state: &AppState, count: usize) {
        let mut workers = lock(&self.workers);
        for _ in 0..count.max(1) {
            let state = state.clone();
            let receiver = self.receiver.clone();
            workers.push(tokio::spawn(worker(state, receiver)));
        }
    }

    /// Jobs waiting for a worker.
    pub fn depth(&self) -> usize {
        lock(&self.sender)
            .as_ref()
            .map_or(0, |s| s.max_capacity() - s.capacity())
    }

    /// Whether the queue still accepts jobs.
    pub fn is_open(&self) -> bool {
        lock(&self.sender).is_some()
    }

    /// Queues a job, or refuses at once when the queue is full or closed.
    pub fn submit(&self, job: TryOnJob) -> ApiResult<()> {
        let sender = lock(&self.sender);
        let Some(sender) = sender.as_ref() else {
            return Err(ApiError::Unavailable);
        };
        sender.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ApiError::QueueFull {
                retry_after: QUEUE_FULL_RETRY,
            },
            mpsc::error::TrySendError::Closed(_) => ApiError::Unavailable,
        })
    }

    /// Ids of jobs as they finish (successfully or not).
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.finished.subscribe()
    }

    /// Stops accepting jobs and waits until the workers have finished every accepted one.
    pub async fn close_and_drain(&self) {
        lock(&self.sender).take();
        let workers: Vec<_> = lock(&self.workers).drain(..).collect();
        for worker in workers {
            if let Err(error) = worker.await {
                tracing::error!(%error, "try-on worker ended abnormally");
            }
        }
    }
}

async fn worker(state: AppState, receiver: Receiver) {
    loop {
        let job = { receiver.lock().await.recv().await };
        let Some(job) = job else { break };
        let id = job.id.clone();
        let span = tracing::info_span!("tryon_job", job_id = %id);
        let outcome = tracing::Instrument::instrument(run(&state, job), span).await;
        state.analytics.job_finished(&id, outcome.is_ok()).await;
        if let Err(error) = outcome {
            let message = error.public_message();
            tracing::warn!(job_id = %id, code = error.code(), %error, "try-on job failed");
            if let Err(db_error) =
                db::tryon::mark_failed(&state.db, &id, error.code(), &message).await
            {
                tracing::error!(job_id = %id, error = %db_error, "could not record a job failure");
            }
        }
        let _ = state.jobs.finished.send(id);
    }
}

/// Runs a try-on through the engine, counting the call (and its failure) in the metrics.
pub async fn try_on_counted(state: &AppState, request: TryOnRequest) -> ApiResult<TryOnResult> {
    try_on_counted_by(state, &state.engine, request).await
}

/// [`try_on_counted`] with another engine than the server's (e.g. [`AppState::ephemeral`]).
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

/// Runs one job: reuses a result recorded meanwhile, else calls the engine (which stores a good
/// result's images itself).
///
/// A result that failed the engine's quality checks is shown to the user who asked (with the
/// failed checks), but not remembered as the pair's result: the next request makes it again.
async fn run(state: &AppState, job: TryOnJob) -> ApiResult<()> {
    db::tryon::mark_running(&state.db, &job.id).await?;
    // The failed quality checks (as stored) of a flagged result; `None` for a good one.
    let (result_key, images, failed_checks) =
        match db::tryon::get_result(&state.db, &job.cache_key).await? {
            Some(row) => (row.result_key, parse_images(&row.images)?, None),
            None => {
                let request = engine_request(state, &job.model, &job.product).await?;
                // Kept for a flagged result, which the server stores with the photos it was
                // made from (cheap clones of the same bytes).
                let photos = request.clone();
                let result = try_on_counted(state, request).await?;
                state.analytics.job_cost(&job.id, &result.usage);
                let failed_checks = quality::to_column(&result.failed_checks)?;
                if failed_checks.is_some() {
                    state
                        .metrics
                        .flagged_results
                        .fetch_add(1, Ordering::Relaxed);
                    let inputs = state.engine.sidecar_inputs(&photos).await?;
                    let (key, images) = state
                        .results
                        .put_flagged(&state.engine, &job.id, &result, inputs)
                        .await?;
                    (key.as_str().to_owned(), images, failed_checks)
                } else {
                    let images = state.results.of_result(&state.engine, &result).await?;
                    let result_key = result.key.as_str().to_owned();
                    let row = ResultRow {
                        result_key: result_key.clone(),
                        images: serde_json::to_string(&images).map_err(ApiError::internal)?,
                    };
                    db::tryon::put_result(&state.db, &job.cache_key, &row).await?;
                    (result_key, images, failed_checks)
                }
            }
        };
    let json = serde_json::to_string(&images).map_err(ApiError::internal)?;
    db::tryon::mark_succeeded(
        &state.db,
        &job.id,
        &result_key,
        &json,
        failed_checks.as_deref(),
    )
    .await?;
    db::models::count_tryon(&state.db, &job.model.id).await?;
    if failed_checks.is_none() {
        state
            .cache
            .put(
                &job.model.id,
                &job.product.id,
                PairEntry {
                    retailer_id: job.model.retailer_id.clone(),
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
