//! Catalog photos for the shop's pages: a product's garment photo and a model's photo are
//! public, like the catalog itself (the API serves them to signed-in callers only). Their URLs
//! name the stored file's version (`?v=`), so a photo the retailer replaces is fetched anew at
//! once instead of after the browser's cache time.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::files::UploadKind;
use crate::routes::models::upload_mime;
use crate::state::AppState;

/// Browsers check again after an hour (a replaced photo also has a new URL).
const PHOTO_CACHE: &str = "public, max-age=3600";

/// The shop's URL of a product's garment photo stored as `file`.
pub fn product_photo_url(product_id: &str, file: &str) -> String {
    format!("/shop/photos/products/{product_id}?v={}", version(file))
}

/// The shop's URL of a model's photo stored as `file`.
pub fn model_photo_url(model_id: &str, file: &str) -> String {
    format!("/shop/photos/models/{model_id}?v={}", version(file))
}

/// A short name of a stored file (new for every upload), without showing the file's name.
fn version(file: &str) -> String {
    blake3::hash(file.as_bytes()).to_hex()[..12].to_owned()
}

async fn photo(state: &AppState, kind: UploadKind, file: &str) -> ApiResult<Response> {
    let bytes = state.files.read_upload(kind, file).await?;
    Ok((
        [
            (header::CONTENT_TYPE, upload_mime(file)),
            (header::CACHE_CONTROL, PHOTO_CACHE),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /shop/photos/products/{id}`.
pub async fn product(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let row = state
        .catalog
        .product(&id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let file = row.image_file.ok_or(ApiError::NotFound)?;
    photo(&state, UploadKind::Product, &file).await
}

/// `GET /shop/photos/models/{id}`.
pub async fn model(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let row = db::models::get(&state.db, &id, None)
        .await?
        .ok_or(ApiError::NotFound)?;
    photo(&state, UploadKind::Model, &row.image_file).await
}
