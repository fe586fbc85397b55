//! Uploaded model and garment photos, in the server's object store beside the results
//! (`uploads/models/…`, `uploads/products/…`: under the data directory by default, in the bucket
//! when the store is `s3://…`, so several servers share them); every name is generated here,
//! never taken from a client. Result images live in the engine's result store (see
//! [`crate::results`]), whose retention (`fitview gc`) never touches `uploads/`.

use std::sync::Arc;

use fitview_engine::Limits;
use fitview_engine::pipeline::{self, ImageInfo, SourceFormat};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{ApiError, ApiResult};

/// Prefix of every upload in the object store.
const UPLOADS: &str = "uploads";

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

/// The uploaded photos of one server (or of several sharing a store).
#[derive(Debug, Clone)]
pub struct Files {
    objects: Arc<dyn ObjectStore>,
}

impl Files {
    /// Uploads in `objects` (the server's result store's objects).
    pub fn new(objects: Arc<dyn ObjectStore>) -> Self {
        Self { objects }
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
        self.objects
            .put(
                &path(kind, &file),
                bytes::Bytes::copy_from_slice(bytes).into(),
            )
            .await
            .map_err(|e| ApiError::internal(format!("storing an upload: {e}")))?;
        Ok(file)
    }

    /// Stores an uploaded photo, then writes its record with `record(file name)`; when the
    /// record cannot be written (an error, e.g. its owner deleted meanwhile) the photo is removed
    /// again, so no photo outlives a failed upload.
    pub async fn save_with_record<T, Fut>(
        &self,
        kind: UploadKind,
        owner_id: &str,
        format: SourceFormat,
        bytes: &[u8],
        record: impl FnOnce(String) -> Fut,
    ) -> ApiResult<T>
    where
        Fut: std::future::Future<Output = ApiResult<T>>,
    {
        let file = self.save_upload(kind, owner_id, format, bytes).await?;
        match record(file.clone()).await {
            Ok(value) => Ok(value),
            Err(error) => {
                self.remove_upload(kind, &file).await;
                Err(error)
            }
        }
    }

    /// Reads an uploaded photo.
    pub async fn read_upload(&self, kind: UploadKind, file: &str) -> ApiResult<bytes::Bytes> {
        if !is_safe_name(file) {
            return Err(ApiError::NotFound);
        }
        let read = async { self.objects.get(&path(kind, file)).await?.bytes().await };
        match read.await {
            Ok(bytes) => Ok(bytes),
            // Replaced or deleted between reading its record and reading the file.
            Err(object_store::Error::NotFound { .. }) => Err(ApiError::NotFound),
            Err(e) => Err(ApiError::internal(format!("reading an upload: {e}"))),
        }
    }

    /// Removes an uploaded photo (missing files are fine; a failure is logged).
    pub async fn remove_upload(&self, kind: UploadKind, file: &str) {
        if !is_safe_name(file) {
            return;
        }
        match self.objects.delete(&path(kind, file)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => tracing::warn!(%error, "cannot delete an upload"),
        }
    }
}

/// Makes the data directory private to the server's user (0700: its uploads, results and
/// database with it), and the default SQLite database file 0600 before SQLite opens it (SQLite
/// gives its `-wal` and `-shm` files the database file's mode).
pub fn make_private(
    data_dir: &std::path::Path,
    sqlite_file: Option<&std::path::Path>,
) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
        if let Some(file) = sqlite_file {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(file)?;
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (data_dir, sqlite_file);
    Ok(())
}

/// `uploads/<kind>/<file>`
fn path(kind: UploadKind, file: &str) -> Path {
    Path::from_iter([UPLOADS, kind.dir(), file])
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
