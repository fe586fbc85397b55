//! Operations endpoints: liveness, readiness, metrics, the OpenAPI document, and the JSON 404.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// Health or readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `ok`, or what is not ready.
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "ops",
    responses((status = 200, description = "Alive", body = Status)))]
pub async fn health() -> Json<Status> {
    Json(Status {
        status: "ok".to_owned(),
    })
}

/// Readiness: the database answers and the try-on queue accepts jobs.
#[utoipa::path(get, path = "/ready", tag = "ops",
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "Not ready", body = Status),
    ))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Status>) {
    let database = sqlx::query("SELECT 1").execute(&state.db).await.is_ok();
    let queue = state.jobs.is_open();
    let (status, text) = match (database, queue) {
        (true, true) => (StatusCode::OK, "ok"),
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
        (true, false) => (StatusCode::SERVICE_UNAVAILABLE, "shutting down"),
    };
    (
        status,
        Json(Status {
            status: text.to_owned(),
        }),
    )
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Metrics in the Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let stats = state.jobs.stats().await.unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot read the job queue for the metrics");
        crate::queue::QueueStats::default()
    });
    let webhooks = state.webhooks.stats().await.unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot read the webhook queue for the metrics");
        crate::queue::QueueStats::default()
    });
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state
            .metrics
            .render(&stats, &webhooks, state.jobs.queue().counters()),
    )
}

/// This API's OpenAPI 3 document.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub async fn openapi() -> impl IntoResponse {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(|| crate::openapi::document().to_json().unwrap_or_default());
    ([(header::CONTENT_TYPE, "application/json")], doc.as_str())
}

/// Any unknown path.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
