//! Uploaded model and garment photos on local disk under the data directory
//! (`<data_dir>/uploads/`); every name is generated here, never taken from a client. Result images
//! live in the engine's result store (see [`crate::results`]).

use std::path::{Path, PathBuf};

use fitview_engine::Limits;
use fitview_engine::pipeline::{self, ImageInfo, SourceFormat};

use crate::error::{ApiError, ApiResult};

/// What kind of upload a file is.
#[derive(Debug, Clone, Copy)]
pub enum UploadKind {
    /// A retailer's model photo.
    Model,
    /// A product's garment photo.
    Product,
}

impl UploadKind {
    fn dir(self) -> &'static str {
        match self {
            UploadKind::Model => "models",
            UploadKind::Product => "products",
        }
    }
}

/// The uploaded photos of one server.
#[derive(Debug, Clone)]
pub struct Files {
    root: PathBuf,
}

impl Files {
    /// Files under `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.to_path_buf(),
        }
    }

    /// Creates the directories.
    pub async fn init(&self) -> std::io::Result<()> {
        for dir in ["uploads/models", "uploads/products"] {
            tokio::fs::create_dir_all(self.root.join(dir)).await?;
        }
        Ok(())
    }

    /// Checks that `bytes` are an accepted image within the engine's limits, by decoding it
    /// completely (off the async runtime).
    pub async fn validate(bytes: bytes::Bytes, limits: Limits) -> ApiResult<ImageInfo> {
        tokio::task::spawn_blocking(move || {
            let info = pipeline::probe(&bytes, &limits)?;
            pipeline::decode(&bytes, &limits)?;
            Ok::<_, ApiError>(info)
        })
        .await?
    }

    /// Stores an uploaded photo; returns its file name (new for every upload, so a new photo
    /// never reuses an old cache entry).
    pub async fn save_upload(
        &self,
        kind: UploadKind,
        owner_id: &str,
        format: SourceFormat,
        bytes: &[u8],
    ) -> ApiResult<String> {
        let ext = match format {
            SourceFormat::Jpeg => "jpg",
            SourceFormat::Png => "png",
            SourceFormat::Webp => "webp",
            _ => {
                return Err(ApiError::UnsupportedMedia(
                    "unsupported image format".to_owned(),
                ));
            }
        };
        let file = format!("{owner_id}-{}.{ext}", crate::db::new_id());
        tokio::fs::write(
            self.root.join("uploads").join(kind.dir()).join(&file),
            bytes,
        )
        .await?;
        Ok(file)
    }

    /// Reads an uploaded photo.
    pub async fn read_upload(&self, kind: UploadKind, file: &str) -> ApiResult<bytes::Bytes> {
        if !is_safe_name(file) {
            return Err(ApiError::NotFound);
        }
        let path = self.root.join("uploads").join(kind.dir()).join(file);
        match tokio::fs::read(path).await {
            Ok(bytes) => Ok(bytes.into()),
            // Replaced or deleted between reading its record and reading the file.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ApiError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes an uploaded photo (missing files are fine).
    pub async fn remove_upload(&self, kind: UploadKind, file: &str) {
        if is_safe_name(file) {
            let _ =
                tokio::fs::remove_file(self.root.join("uploads").join(kind.dir()).join(file)).await;
        }
    }
}

/// Names we generate: ASCII letters, digits, `-` and one `.`; nothing that walks directories.
pub(crate) fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !name.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_names_are_served() {
        assert!(is_safe_name("0.webp"));
        assert!(is_safe_name("0-256.webp"));
        assert!(!is_safe_name("../secret"));
        assert!(!is_safe_name(".hidden"));
        assert!(!is_safe_name("a/b.webp"));
    }
}
