//! Result images, by content key, from the result store (local, S3, ...).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath;
use crate::state::AppState;

/// A result image or thumbnail.
///
/// Public like a CDN object: the key is a 256-bit content hash that only the owner of a job
/// learns, so `<img src>` works without a token. Immutable, so it is cached for a year.
#[utoipa::path(get, path = "/api/v1/images/{key}/{file}", tag = "tryon",
    params(
        ("key" = String, Path, description = "Result content key (64 hex characters)"),
        ("file" = String, Path, description = "File name from a result's `url`"),
    ),
    responses(
        (status = 200, description = "The image", content_type = "image/*"),
        (status = 404, description = "No such image", body = ErrorBody),
    ))]
pub async fn result_image(
    State(state): State<AppState>,
    ApiPath((key, file)): ApiPath<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let (bytes, mime) = state.results.read(&key, &file).await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    ))
}
