//! Durable results on [`object_store`]: the local filesystem by default, in memory for tests,
//! S3-compatible, GCS and Azure by URL.
//!
//! Layout under the store's root (see `docs/caching.md`):
//!
//! ```text
//! results/<key>/image.<ext>            first image (image-2.<ext>, ... for more samples)
//! results/<key>/thumb-<w>.<ext>        its thumbnails (thumb-<w>-2.<ext>, ...)
//! results/<key>/sidecar.json           written LAST: a result exists only once it is there
//! inputs/<input hash>                  each upload, by the hash of its decoded pixels
//! by-input/<input hash>/<key>          empty markers: which results an input went into
//! forgotten/<input hash>               when the input was forgotten (Unix nanoseconds)
//! ```
//!
//! Every object is written with one atomic PUT (the local store writes a temporary file and renames
//! it), the sidecar after every file and marker, and readers check each file's size and BLAKE3
//! against the sidecar: no half-written result is ever served.

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod layout;
mod retention;
mod sidecar;
mod url;

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::key::{ContentKey, InputHash};
use crate::result::OutputImage;

pub use retention::{DeleteReport, GcReport};
pub use sidecar::{Provenance, SIDECAR_VERSION, Sidecar, SidecarFile, SidecarImage, SidecarInput};

/// Where the `fitview` binaries keep results when nothing else is configured: `.fitview/store`
/// under the current directory.
pub const DEFAULT_DIR: &str = ".fitview/store";

/// Where durable results are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// A directory path, `file:///abs/dir`, `memory://`, `s3://bucket/prefix`, `gs://bucket/prefix`
    /// or `az://container/prefix` (credentials from the usual environment variables); `none`
    /// or unset keeps no durable results. The `fitview` binaries default to [`DEFAULT_DIR`].
    pub url: Option<String>,
    /// Keep each uploaded photo under `inputs/<hash>` beside the results made from it.
    pub keep_inputs: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: None,
            keep_inputs: true,
        }
    }
}

impl StoreConfig {
    /// The configured URL, unless it says there is no store.
    pub fn effective_url(&self) -> Option<&str> {
        self.url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty() && *u != "none")
    }

    /// Every problem with this configuration.
    pub fn problems(&self) -> Vec<String> {
        match self.effective_url() {
            Some(url) => url::check(url).err().into_iter().collect(),
            None => Vec::new(),
        }
    }
}

/// A store of finished try-on results over any [`ObjectStore`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ResultStore {
    objects: Arc<dyn ObjectStore>,
    /// The URL it was opened from, for logs and reports.
    location: String,
    keep_inputs: bool,
}

/// A result read back from a store.
#[derive(Debug, Clone)]
pub struct StoredResult {
    /// Its sidecar.
    pub sidecar: Sidecar,
    /// The images, checked against the sidecar.
    pub images: Vec<OutputImage>,
}

impl ResultStore {
    /// Opens the store a URL names (see [`StoreConfig::url`]). Directories are created.
    pub fn open(url: &str) -> Result<Self> {
        let objects = url::open(url)?;
        Ok(Self {
            objects,
            location: url.to_owned(),
            keep_inputs: true,
        })
    }

    /// Opens the configured store, or `None` when the configuration has none.
    pub fn from_config(config: &StoreConfig) -> Result<Option<Self>> {
        config
            .effective_url()
            .map(|url| Ok(Self::open(url)?.keeping_inputs(config.keep_inputs)))
            .transpose()
    }

    /// A store over an existing object store (e.g. one built with custom credentials).
    pub fn new(objects: Arc<dyn ObjectStore>, location: impl Into<String>) -> Self {
        Self {
            objects,
            location: location.into(),
            keep_inputs: true,
        }
    }

    /// A fresh in-memory store (tests, demos).
    pub fn in_memory() -> Self {
        Self::new(Arc::new(object_store::memory::InMemory::new()), "memory://")
    }

    /// Whether uploads are kept under `inputs/`.
    pub fn keeping_inputs(mut self, keep: bool) -> Self {
        self.keep_inputs = keep;
        self
    }

    /// Where the store is, as configured.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The underlying object store.
    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.objects
    }

    /// Reads a complete result, or `None` when there is none (or only an incomplete one).
    pub async fn get(&self, key: &ContentKey) -> Result<Option<StoredResult>> {
        let Some(sidecar) = self.sidecar(key).await? else {
            return Ok(None);
        };
        let paths: Vec<Path> = sidecar
            .files()
            .map(|f| layout::file(key, &f.file))
            .collect();
        let blobs: Vec<Option<Bytes>> = futures::future::try_join_all(
            paths
                .into_iter()
                .map(|p| async move { self.read(&p).await }),
        )
        .await?;
        let Some(blobs) = blobs.into_iter().collect::<Option<Vec<_>>>() else {
            tracing::warn!(key = %key, "a file listed in the sidecar is missing; treating the result as missing");
            return Ok(None);
        };
        match sidecar.assemble(blobs) {
            Ok(images) => Ok(Some(StoredResult { sidecar, images })),
            Err(err) => {
                tracing::warn!(key = %key, error = %err, "treating the result as missing");
                Ok(None)
            }
        }
    }

    /// Reads only the sidecar of a result (what it holds, without its pixels), or `None` when
    /// there is no complete result under `key`.
    pub async fn sidecar(&self, key: &ContentKey) -> Result<Option<Sidecar>> {
        let Some(raw) = self.read(&layout::sidecar(key)).await? else {
            return Ok(None);
        };
        let sidecar: Sidecar = match serde_json::from_slice(&raw) {
            Ok(sidecar) => sidecar,
            Err(err) => {
                tracing::warn!(key = %key, error = %err, "unreadable sidecar; treating the result as missing");
                return Ok(None);
            }
        };
        if sidecar.key != *key {
            tracing::warn!(key = %key, "sidecar names another key; treating the result as missing");
            return Ok(None);
        }
        Ok(Some(sidecar))
    }

    /// Reads one file of a result (an image or thumbnail, by a name its sidecar lists, e.g. to
    /// serve it over HTTP), or `None` when it is not there. `file` is one path segment; anything
    /// else is `None`.
    pub async fn file(&self, key: &ContentKey, file: &str) -> Result<Option<Bytes>> {
        if file.is_empty() || file.starts_with('.') || file.contains('/') || file == layout::SIDECAR
        {
            return Ok(None);
        }
        self.read(&layout::file(key, file)).await
    }

    /// Writes a result: every image and thumbnail, the input markers, then the sidecar, each with
    /// one atomic PUT; the result becomes visible with the sidecar.
    pub async fn put(&self, sidecar: &Sidecar, images: &[OutputImage]) -> Result<()> {
        let key = &sidecar.key;
        let mut objects: Vec<(Path, Bytes)> = Vec::new();
        for (file, bytes) in sidecar.files().zip(Sidecar::blobs(images)) {
            objects.push((layout::file(key, &file.file), bytes));
        }
        for hash in sidecar.input_hashes() {
            objects.push((layout::marker(hash, key), Bytes::new()));
        }
        let writes = objects
            .into_iter()
            .map(|(path, bytes)| self.write(path, bytes));
        futures::stream::iter(writes)
            .buffer_unordered(8)
            .try_collect::<()>()
            .await?;
        let json = serde_json::to_vec_pretty(sidecar)
            .map_err(|e| Error::internal(format!("sidecar: {e}")))?;
        self.write(layout::sidecar(key), Bytes::from(json)).await
    }

    /// Keeps an uploaded photo under `inputs/<hash>` (once; later uploads of it are skipped).
    pub async fn put_input(&self, hash: &InputHash, bytes: Bytes) -> Result<()> {
        if !self.keep_inputs {
            return Ok(());
        }
        let path = layout::input(hash);
        match self.objects.head(&path).await {
            Ok(_) => Ok(()),
            Err(object_store::Error::NotFound { .. }) => self.write(path, bytes).await,
            Err(err) => Err(storage("check", &path, err)),
        }
    }

    /// Marks an input as forgotten now, before its results are deleted: a try-on of it that
    /// began earlier and finishes later then drops its result instead of keeping it
    /// ([`Self::forgotten_since`]).
    pub async fn mark_forgotten(&self, hash: &InputHash) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        self.write(layout::forgotten(hash), Bytes::from(now.to_string()))
            .await
    }

    /// Whether any of `hashes` was forgotten at or after `since`.
    pub async fn forgotten_since(
        &self,
        hashes: &[InputHash],
        since: std::time::SystemTime,
    ) -> Result<bool> {
        let since = since
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        for hash in hashes {
            let Some(raw) = self.read(&layout::forgotten(hash)).await? else {
                continue;
            };
            // A mark that cannot be read counts as recent: forgetting wins.
            let at = std::str::from_utf8(&raw)
                .ok()
                .and_then(|t| t.trim().parse::<u128>().ok())
                .unwrap_or(u128::MAX);
            if at >= since {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether an input photo is kept.
    pub async fn has_input(&self, hash: &InputHash) -> Result<bool> {
        let path = layout::input(hash);
        match self.objects.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(storage("check", &path, err)),
        }
    }

    async fn read(&self, path: &Path) -> Result<Option<Bytes>> {
        match self.objects.get(path).await {
            Ok(got) => got
                .bytes()
                .await
                .map(Some)
                .map_err(|e| storage("read", path, e)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(storage("read", path, err)),
        }
    }

    async fn write(&self, path: Path, bytes: Bytes) -> Result<()> {
        self.objects
            .put(&path, PutPayload::from_bytes(bytes))
            .await
            .map(|_| ())
            .map_err(|e| storage("write", &path, e))
    }

    /// Deletes objects, treating "already gone" as done.
    async fn delete_all(&self, paths: Vec<Path>) -> Result<()> {
        let deletes = paths.into_iter().map(|path| async move {
            match self.objects.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(err) => Err(storage("delete", &path, err)),
            }
        });
        futures::stream::iter(deletes)
            .buffer_unordered(16)
            .try_collect::<()>()
            .await
    }
}

fn storage(what: &str, path: &Path, err: object_store::Error) -> Error {
    Error::Storage {
        detail: format!("cannot {what} {path}: {err}"),
    }
}

/// The URL of a test service from the environment. Missing outside CI: the test is skipped with a
/// note; missing in CI (`CI` set): the test fails, so a broken service script cannot hide.
#[cfg(test)]
#[cfg(feature = "s3")]
pub(crate) fn test_service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is not set in CI: .ci/services must start it")
        }
        _ => {
            eprintln!("skipped: {var} is not set (start the service, see .ci/services)");
            None
        }
    }
}
