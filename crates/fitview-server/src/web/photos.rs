//! Catalog photos for the shop's pages: a product's garment photo and a model's photo are
//! public, like the catalog itself (the API serves them to signed-in callers only).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::files::UploadKind;
use crate::routes::models::upload_mime;
use crate::state::AppState;

/// Photos may be replaced by their retailer: browsers check again after an hour.
const PHOTO_CACHE: &str = "public, max-age=3600";

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
    let row = db::products::get(&state.db, &id, None)
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
