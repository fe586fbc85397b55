//! Headers every HTML page carries: a strict Content-Security-Policy (scripts and styles from
//! this server only, no inline script), no framing, and no full URLs leaked to other sites.
//! (`X-Content-Type-Options: nosniff` is set on every response by the server-wide layer.)

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The pages' policy: everything from this origin, images also as `data:` (none inline script).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the HTML security headers to HTML responses.
pub async fn html_headers(mut response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        // Pages show a shopper's cart and history: never kept by shared caches.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    response
}
