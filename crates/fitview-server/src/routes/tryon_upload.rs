//! A try-on of uploaded photos instead of catalog ids: a shopper's own photo and a garment photo,
//! both decoded under the engine's limits, answered in the same request.
//!
//! Nothing of it is kept by the server: it runs on the state's `ephemeral` engine, an engine with no
//! store and no cache, and the images come back inline (base64), so neither a shopper's photo
//! nor anything made from it outlives the request (no result file, sidecar or image URL).

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use base64::Engine as _;
use fitview_engine::{BodyLandmarks, CacheStatus, GarmentCategory, TryOnRequest};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::routes::quality::{self, FailedCheck};
use crate::routes::upload::Upload;
use crate::state::AppState;

/// The multipart form of a try-on of uploads (documentation of the fields).
#[derive(Debug, ToSchema)]
pub struct TryOnUpload {
    /// The person photo (JPEG, PNG or WebP).
    #[schema(value_type = String, format = Binary)]
    pub person: Vec<u8>,
    /// The garment photo (JPEG, PNG or WebP).
    #[schema(value_type = String, format = Binary)]
    pub garment: Vec<u8>,
    /// Where the garment goes: `top`, `bottom`, `one-piece`, `saree`, ..., or `auto` (default).
    pub category: Option<String>,
    /// Body landmarks in the person photo's pixels, JSON (see the engine's `BodyLandmarks`).
    pub landmarks: Option<String>,
}

/// A result image, inline.
#[derive(Debug, Serialize, ToSchema)]
pub struct InlineImage {
    /// MIME type.
    pub mime: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The encoded image, base64 (standard alphabet, padded).
    pub data_base64: String,
}

/// The result of a try-on of uploads.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadTryOnView {
    /// Content key: the same photos and options always give the same key.
    pub key: String,
    /// Whether the engine answered from its cache.
    pub cached: bool,
    /// The images, one per sample.
    pub images: Vec<InlineImage>,
    /// The quality checks the images failed; empty for a good result (a flagged result is
    /// returned, but not cached by the engine).
    pub failed_checks: Vec<FailedCheck>,
}

/// Dresses an uploaded person photo in an uploaded garment photo, in this request.
#[utoipa::path(post, path = "/api/v1/tryon/upload", tag = "tryon", security(("bearer" = [])),
    request_body(content = TryOnUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The result", body = UploadTryOnView),
        (status = 400, description = "Malformed form", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 413, description = "Upload or image too large", body = ErrorBody),
        (status = 415, description = "Not a JPEG, PNG or WebP image", body = ErrorBody),
        (status = 422, description = "Missing photo, bad category or landmarks", body = ErrorBody),
        (status = 429, description = "Too many try-ons; see Retry-After", body = ErrorBody),
        (status = 503, description = "Busy; see Retry-After", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<UploadTryOnView>> {
    let upload = Upload::read(multipart?).await?;
    let person = upload.file("person")?;
    let garment = upload.file("garment")?;
    let category = match upload.text("category") {
        Some(c) => c.parse::<GarmentCategory>()?,
        None => GarmentCategory::Auto,
    };
    let mut request = TryOnRequest::new(person, garment).with_category(category);
    // The images go back inline: no thumbnails beside them.
    request.options.output.thumbnail_widths.clear();
    if let Some(text) = upload.text("landmarks") {
        let landmarks: BodyLandmarks = serde_json::from_str(&text)
            .map_err(|e| ApiError::Validation(format!("`landmarks` is not valid: {e}")))?;
        request = request.with_person_landmarks(landmarks);
    }

    state.tryon_limiter.check(&user.id).await?;
    let _slot = state.direct_work.try_acquire()?;
    let result = crate::jobs::try_on_counted_by(&state, &state.ephemeral, request).await?;
    if result.is_flagged() {
        state
            .metrics
            .flagged_results
            .fetch_add(1, Ordering::Relaxed);
    }
    let base64 = base64::engine::general_purpose::STANDARD;
    Ok(Json(UploadTryOnView {
        failed_checks: quality::views(&result.failed_checks),
        key: result.key.as_str().to_owned(),
        cached: result.cache != CacheStatus::Miss,
        images: result
            .images
            .iter()
            .map(|image| InlineImage {
                mime: image.format.mime_type().to_owned(),
                width: image.width,
                height: image.height,
                data_base64: base64.encode(&image.bytes),
            })
            .collect(),
    }))
}
