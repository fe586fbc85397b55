//! Try-ons: answered from the cache at once, else queued as a job to poll (or waited on for a
//! bounded time); job status, a user's history, and feedback on a result.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use fitview_insights::EventKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::cache::{PairEntry, durable_key};
use crate::db::{self, tryon::FeedbackRow, tryon::JobRow};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorDetail};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::jobs::parse_images;
use crate::results::StoredImage;
use crate::routes::quality::{self, FailedCheck};
use crate::routes::{ImageView, Page};
use crate::state::AppState;

/// A try-on to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryOnBody {
    /// The model (person photo).
    pub model_id: String,
    /// The product (garment photo); must belong to the model's retailer.
    pub product_id: String,
    /// Wait up to this long for the result before answering 202 (capped by the server).
    #[schema(minimum = 0)]
    pub wait_ms: Option<u64>,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// Being made.
    Running,
    /// Done: `result` holds the images.
    Succeeded,
    /// Failed: `error` says why.
    Failed,
}

impl JobStatus {
    fn parse(s: &str) -> JobStatus {
        match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            _ => JobStatus::Failed,
        }
    }

    /// Whether the job will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed)
    }
}

/// A result image with its thumbnails.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultImage {
    /// The image.
    #[serde(flatten)]
    pub image: ImageView,
    /// MIME type.
    pub mime: String,
    /// Smaller copies.
    pub thumbnails: Vec<ImageView>,
}

/// A finished try-on.
#[derive(Debug, Serialize, ToSchema)]
pub struct TryOnResultView {
    /// Content key: the same inputs always give the same key.
    pub key: String,
    /// The images.
    pub images: Vec<ResultImage>,
}

/// A try-on job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// Job id.
    pub job_id: String,
    /// Status.
    pub status: JobStatus,
    /// Whether it was answered from the cache.
    pub cached: bool,
    /// The model.
    pub model_id: String,
    /// The product.
    pub product_id: String,
    /// Where to poll it.
    pub poll_url: String,
    /// The result, once succeeded.
    pub result: Option<TryOnResultView>,
    /// The error, once failed.
    pub error: Option<ErrorDetail>,
    /// The quality checks the result failed; empty for a good result. A flagged result is
    /// shown to the user who asked but never cached: asking again makes it again.
    pub failed_checks: Vec<FailedCheck>,
    /// Creation time (seconds since the epoch).
    pub created_at: i64,
}

/// The API view of stored result images under `key`.
pub fn result_view(key: &str, images: &[StoredImage]) -> TryOnResultView {
    let url = |file: &str| format!("/api/v1/images/{key}/{file}");
    TryOnResultView {
        key: key.to_owned(),
        images: images
            .iter()
            .map(|img| ResultImage {
                image: ImageView {
                    url: url(&img.file),
                    width: img.width,
                    height: img.height,
                },
                mime: img.mime.clone(),
                thumbnails: img
                    .thumbnails
                    .iter()
                    .map(|t| ImageView {
                        url: url(&t.file),
                        width: t.width,
                        height: t.height,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A stored job as the API shows it.
pub fn job_view(row: JobRow) -> ApiResult<JobView> {
    let status = JobStatus::parse(&row.status);
    let result = match (&row.result_key, &row.images) {
        (Some(key), Some(images)) if status == JobStatus::Succeeded => {
            Some(result_view(key, &parse_images(images)?))
        }
        _ => None,
    };
    let error = match (row.error_code, row.error_message) {
        (Some(code), Some(message)) => Some(ErrorDetail { code, message }),
        _ => None,
    };
    Ok(JobView {
        failed_checks: quality::from_column(row.failed_checks.as_deref())?,
        poll_url: format!("/api/v1/tryon/{}", row.id),
        job_id: row.id,
        status,
        cached: row.cached != 0,
        model_id: row.model_id,
        product_id: row.product_id,
        result,
        error,
        created_at: row.created_at,
    })
}

/// Records a cache hit in the user's history, once per user, model and product in a while, so a
/// burst of identical lookups costs one insert.
async fn record_hit(
    state: &AppState,
    user: &AuthUser,
    model_id: &str,
    product_id: &str,
    entry: &PairEntry,
) -> ApiResult<(String, i64)> {
    if let Some(job_id) = state.cache.recent_job(&user.id, model_id, product_id).await {
        return Ok((job_id, db::now()));
    }
    let now = db::now();
    let row = JobRow {
        id: db::new_id(),
        user_id: user.id.clone(),
        model_id: model_id.to_owned(),
        product_id: product_id.to_owned(),
        status: "succeeded".to_owned(),
        cached: 1,
        result_key: Some(entry.result_key.clone()),
        images: Some(serde_json::to_string(&entry.images).map_err(ApiError::internal)?),
        error_code: None,
        error_message: None,
        failed_checks: None,
        created_at: now,
        updated_at: now,
    };
    db::tryon::insert_job(&state.db, &row).await?;
    db::models::count_tryon(&state.db, model_id).await?;
    state
        .cache
        .remember_job(&user.id, model_id, product_id, &row.id)
        .await;
    Ok((row.id, now))
}

/// The answer to a try-on found in the cache.
async fn cached_answer(
    state: &AppState,
    user: &AuthUser,
    body: TryOnBody,
    entry: &PairEntry,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    state.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
    let (job_id, created_at) =
        record_hit(state, user, &body.model_id, &body.product_id, entry).await?;
    state
        .analytics
        .tryon_served(&user.id, &body.product_id, &body.model_id);
    Ok((
        StatusCode::OK,
        Json(JobView {
            poll_url: format!("/api/v1/tryon/{job_id}"),
            job_id,
            status: JobStatus::Succeeded,
            cached: true,
            model_id: body.model_id,
            product_id: body.product_id,
            result: Some(result_view(&entry.result_key, &entry.images)),
            error: None,
            failed_checks: Vec::new(),
            created_at,
        }),
    ))
}

/// Dresses a model in a product.
///
/// Answers 200 with the result when it is cached (or is made within `wait_ms`), otherwise 202
/// with a job to poll. A full queue answers 503 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/tryon", tag = "tryon", request_body = TryOnBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "Finished (cached or within wait_ms)", body = JobView),
        (status = 202, description = "Queued; poll `poll_url`", body = JobView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such model or product visible to the caller", body = ErrorBody),
        (status = 422, description = "The product has no photo or another retailer's model", body = ErrorBody),
        (status = 429, description = "Too many try-ons; see Retry-After", body = ErrorBody),
        (status = 503, description = "Queue full; see Retry-After", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<TryOnBody>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    state.tryon_limiter.check(&user.id).await?;
    if let Some(entry) = state.cache.get(&body.model_id, &body.product_id).await
        && user
            .catalog_scope()
            .is_none_or(|scope| scope == entry.retailer_id)
    {
        return cached_answer(&state, &user, body, &entry).await;
    }

    let model = crate::routes::models::visible(&state, &user, &body.model_id).await?;
    let product = crate::routes::products::visible(&state, &user, &body.product_id).await?;
    if model.retailer_id != product.retailer_id {
        return Err(ApiError::Validation(
            "the model and the product belong to different retailers".to_owned(),
        ));
    }
    if product.image_file.is_none() {
        return Err(ApiError::Validation(
            "the product has no garment image yet".to_owned(),
        ));
    }
    let cache_key = durable_key(&state.engine, &model, &product);
    if let Some(stored) = db::tryon::get_result(&state.db, &cache_key).await? {
        let entry = PairEntry {
            retailer_id: model.retailer_id.clone(),
            result_key: stored.result_key,
            images: parse_images(&stored.images)?,
        };
        let answer = cached_answer(&state, &user, body, &entry).await;
        state.cache.put(&model.id, &product.id, entry).await;
        return answer;
    }

    crate::spend::check(&state, &product.retailer_id).await?;
    if let Err(error) = state.jobs.admit().await {
        if matches!(error, ApiError::QueueFull { .. }) {
            state
                .metrics
                .queue_rejections
                .fetch_add(1, Ordering::Relaxed);
        }
        return Err(error);
    }
    state.metrics.cache_misses.fetch_add(1, Ordering::Relaxed);
    let now = db::now();
    let job = JobRow {
        id: db::new_id(),
        user_id: user.id.clone(),
        model_id: model.id.clone(),
        product_id: product.id.clone(),
        status: "queued".to_owned(),
        cached: 0,
        result_key: None,
        images: None,
        error_code: None,
        error_message: None,
        failed_checks: None,
        created_at: now,
        updated_at: now,
    };
    db::tryon::insert_job(&state.db, &job).await?;
    state.analytics.tryon(
        EventKind::TryonRequested,
        &user.id,
        &job.product_id,
        &job.model_id,
    );
    // Should the server die here, the record is queued at the next start.
    if let Err(error) = state.jobs.submit(&job.id).await {
        db::tryon::mark_failed(&state.db, &job.id, error.code(), &error.public_message()).await?;
        state.analytics.tryon(
            EventKind::TryonFailed,
            &user.id,
            &job.product_id,
            &job.model_id,
        );
        return Err(error);
    }

    let wait =
        Duration::from_millis(body.wait_ms.unwrap_or(0)).min(state.config.limits.max_tryon_wait);
    if !wait.is_zero() {
        state.jobs.wait_for(&state, &job.id, wait).await;
    }
    let row = db::tryon::get_job(&state.db, &job.id, None)
        .await?
        .ok_or(ApiError::NotFound)?;
    let view = job_view(row)?;
    let status = match view.status {
        JobStatus::Succeeded | JobStatus::Failed => StatusCode::OK,
        JobStatus::Queued | JobStatus::Running => StatusCode::ACCEPTED,
    };
    Ok((status, Json(view)))
}

/// A job of the caller.
#[utoipa::path(get, path = "/api/v1/tryon/{id}", tag = "tryon", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such job of the caller", body = ErrorBody),
    ))]
pub async fn get_job(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<JobView>> {
    let row = db::tryon::get_job(&state.db, &id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(job_view(row)?))
}

/// The caller's try-ons, newest first.
#[utoipa::path(get, path = "/api/v1/tryon/history", tag = "tryon", params(Page), security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's jobs", body = Vec<JobView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
pub async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Vec<JobView>>> {
    let (limit, offset) = page.bounds(&state)?;
    let rows = db::tryon::history(&state.db, &user.id, limit, offset).await?;
    Ok(Json(
        rows.into_iter().map(job_view).collect::<ApiResult<_>>()?,
    ))
}

/// Feedback on a result.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    /// 1 (bad) to 5 (great).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    /// Free text (at most 2000 characters).
    pub comment: Option<String>,
}

/// Stored feedback.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackView {
    /// Id.
    pub id: String,
    /// The job rated.
    pub job_id: String,
    /// The rating.
    pub rating: i64,
    /// The comment.
    pub comment: Option<String>,
    /// Creation time.
    pub created_at: i64,
}

impl From<FeedbackRow> for FeedbackView {
    fn from(f: FeedbackRow) -> Self {
        FeedbackView {
            id: f.id,
            job_id: f.job_id,
            rating: f.rating,
            comment: f.comment,
            created_at: f.created_at,
        }
    }
}

/// Rates one of the caller's try-ons.
#[utoipa::path(post, path = "/api/v1/tryon/{id}/feedback", tag = "tryon", request_body = FeedbackBody,
    params(("id" = String, Path, description = "Job id")), security(("bearer" = [])),
    responses(
        (status = 201, description = "Feedback stored", body = FeedbackView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such job of the caller", body = ErrorBody),
        (status = 409, description = "The caller already rated this try-on", body = ErrorBody),
        (status = 422, description = "Rating not in 1-5 or comment too long", body = ErrorBody),
        (status = 429, description = "Too many feedback posts in a minute (`Retry-After` says when to try again)", body = ErrorBody),
    ))]
pub async fn feedback(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<FeedbackBody>,
) -> ApiResult<(StatusCode, Json<FeedbackView>)> {
    state.feedback_limiter.check(&user.id).await?;
    if !(1..=5).contains(&body.rating) {
        return Err(ApiError::Validation(
            "`rating` must be between 1 and 5".to_owned(),
        ));
    }
    let comment = body
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if let Some(comment) = &comment {
        crate::text::check("comment", comment, crate::text::Lines::Many)?;
    }
    if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::Validation(
            "`comment` must have at most 2000 characters".to_owned(),
        ));
    }
    db::tryon::get_job(&state.db, &id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let row = FeedbackRow {
        id: db::new_id(),
        job_id: id,
        user_id: user.id,
        rating: body.rating,
        comment,
        created_at: db::now(),
    };
    match db::tryon::insert_feedback(&state.db, &row).await {
        Err(e) if db::is_unique_violation(&e) => {
            return Err(ApiError::Conflict(
                "this try-on already has your feedback".to_owned(),
            ));
        }
        done => done?,
    }
    Ok((StatusCode::CREATED, Json(row.into())))
}
