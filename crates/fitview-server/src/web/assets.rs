//! The storefront's stylesheet and script, embedded in the binary and served under names that
//! carry a hash of their content, so browsers may keep them for a year.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The name it is served under: `stem.<hash>.ext`.
    pub path: String,
    /// Its MIME type.
    pub mime: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

impl Asset {
    fn new(name: &str, mime: &'static str, bytes: &'static [u8]) -> Asset {
        let hash = blake3::hash(bytes).to_hex();
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
        Asset {
            path: format!("/assets/{stem}.{}.{ext}", &hash.as_str()[..12]),
            mime,
            bytes,
        }
    }
}

/// The stylesheet.
pub static CSS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/app.css"),
    )
});

/// The script (progress of try-ons, zoom and pan, the compare slider).
pub static JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/app.js"),
    )
});

/// An asset by its hashed name; an old hash is not found (its page is out of date).
pub async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/assets/{file}");
    match [&*CSS, &*JS].into_iter().find(|a| a.path == wanted) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
