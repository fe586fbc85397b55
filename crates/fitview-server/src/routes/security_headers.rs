//! Headers every response carries, whatever answered it (a handler, an error, the fallback):
//! `X-Content-Type-Options: nosniff`, so that a browser takes an image for the type it is
//! served as (a JPEG with HTML appended stays an image) and never sniffs it into a page.
//!
//! Headers for HTML pages belong here too, beside these.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Adds the security headers to `response` (an `axum::middleware::map_response` function).
pub async fn add(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
