//! Images on local disk under the data directory: uploaded model and garment photos, and
//! finished try-on results by content key.
//!
//! The engine has no result store yet, so the server writes results itself under
//! `<data_dir>/results/<key>/`; every name is generated here, never taken from a client.

use std::path::{Path, PathBuf};

use fitview_engine::pipeline::{self, ImageInfo, SourceFormat};
use fitview_engine::{Limits, OutputFormat, OutputImage, TryOnResult};
use serde::{Deserialize, Serialize};

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

/// A result image as stored: file names relative to its key's directory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredImage {
    /// File name of the image.
    pub file: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// MIME type.
    pub mime: String,
    /// Thumbnails.
    pub thumbnails: Vec<StoredThumbnail>,
}

/// A stored thumbnail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredThumbnail {
    /// File name.
    pub file: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// The image files of one server.
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
        for dir in ["uploads/models", "uploads/products", "results"] {
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

    /// Writes a result's images and thumbnails under its key.
    pub async fn write_result(&self, result: &TryOnResult) -> ApiResult<Vec<StoredImage>> {
        self.write_images(result.key.as_str(), &result.images).await
    }

    /// Writes images and their thumbnails under `key` (64 lowercase hex digits, like the
    /// engine's content keys), as `0.webp`, `0-256.webp`, ...
    pub async fn write_images(
        &self,
        key: &str,
        images: &[OutputImage],
    ) -> ApiResult<Vec<StoredImage>> {
        if !is_result_key(key) {
            return Err(ApiError::internal(format!("not a result key: {key:?}")));
        }
        let dir = self.root.join("results").join(key);
        tokio::fs::create_dir_all(&dir).await?;
        let mut stored = Vec::with_capacity(images.len());
        for (i, image) in images.iter().enumerate() {
            let ext = image.format.extension();
            let file = format!("{i}.{ext}");
            tokio::fs::write(dir.join(&file), &image.bytes).await?;
            let mut thumbnails = Vec::new();
            for thumb in &image.thumbnails {
                let name = format!("{i}-{}.{ext}", thumb.width);
                tokio::fs::write(dir.join(&name), &thumb.bytes).await?;
                thumbnails.push(StoredThumbnail {
                    file: name,
                    width: thumb.width,
                    height: thumb.height,
                });
            }
            stored.push(StoredImage {
                file,
                width: image.width,
                height: image.height,
                mime: image.format.mime_type().to_owned(),
                thumbnails,
            });
        }
        Ok(stored)
    }

    /// Reads one result file, with its MIME type; `NotFound` for any name not made here.
    pub async fn read_result(
        &self,
        key: &str,
        file: &str,
    ) -> ApiResult<(bytes::Bytes, &'static str)> {
        if !is_result_key(key) || !is_safe_name(file) {
            return Err(ApiError::NotFound);
        }
        let mime = mime_of(file).ok_or(ApiError::NotFound)?;
        match tokio::fs::read(self.root.join("results").join(key).join(file)).await {
            Ok(bytes) => Ok((bytes.into(), mime)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ApiError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
}

/// Whether `key` names a result directory: 64 lowercase hex digits.
fn is_result_key(key: &str) -> bool {
    key.len() == 64
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The MIME type of a file we wrote, by extension.
pub fn mime_of(file: &str) -> Option<&'static str> {
    let ext = file.rsplit_once('.')?.1;
    [OutputFormat::Webp, OutputFormat::Jpeg, OutputFormat::Png]
        .into_iter()
        .find(|f| f.extension() == ext)
        .map(OutputFormat::mime_type)
}

/// Names we generate: ASCII letters, digits, `-` and one `.`; nothing that walks directories.
fn is_safe_name(name: &str) -> bool {
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
        assert_eq!(mime_of("0.webp"), Some("image/webp"));
        assert_eq!(mime_of("0.txt"), None);
    }
}
