//! Where a manifest's image lives: a file on this machine, or an object in a store named by URL
//! (`file:///abs/photo.jpg`, `s3://bucket/key`, `gs://…`, `az://…`).
//!
//! Store URLs are checked and opened by the engine's store module (the same parsing and
//! credentials as `--store`), at the bucket's root; each bucket is opened once per manifest.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use fitview_engine::{ResultStore, StoreConfig};
use object_store::{ObjectStore, ObjectStoreExt};

use crate::input_file::read_bounded;

/// One image of the manifest.
#[derive(Debug, Clone)]
pub enum ImageSource {
    /// A local file (a manifest path, relative ones resolved against the manifest's directory).
    File(PathBuf),
    /// An object in a store.
    Object(StoreObject),
}

/// An object in a store, and the URL it was named by.
#[derive(Debug, Clone)]
pub struct StoreObject {
    url: String,
    objects: Arc<dyn ObjectStore>,
    path: object_store::path::Path,
}

impl ImageSource {
    /// Reads the whole image, refusing one of more than `max_bytes` (and, for a file, anything
    /// but a regular file) before reading it.
    pub async fn read(&self, max_bytes: u64) -> Result<Bytes, String> {
        match self {
            ImageSource::File(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || read_bounded("image", &path, max_bytes))
                    .await
                    .map_err(|e| e.to_string())?
                    .map(Bytes::from)
                    .map_err(|e| e.problem.describe())
            }
            ImageSource::Object(object) => {
                let got = object.objects.get(&object.path).await.map_err(describe)?;
                if got.meta.size > max_bytes {
                    return Err(format!(
                        "{} bytes, larger than the {max_bytes}-byte limit",
                        got.meta.size
                    ));
                }
                got.bytes().await.map_err(describe)
            }
        }
    }

    /// The store URL, for images that come from a store.
    pub fn url(&self) -> Option<&str> {
        match self {
            ImageSource::File(_) => None,
            ImageSource::Object(object) => Some(&object.url),
        }
    }
}

impl fmt::Display for ImageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageSource::File(path) => write!(f, "{}", path.display()),
            ImageSource::Object(object) => f.write_str(&object.url),
        }
    }
}

fn describe(e: object_store::Error) -> String {
    match e {
        object_store::Error::NotFound { .. } => "no such object".to_owned(),
        other => other.to_string(),
    }
}

/// Resolves manifest references, opening each store root once.
#[derive(Debug, Default)]
pub struct Sources {
    roots: HashMap<String, Result<Arc<dyn ObjectStore>, String>>,
}

impl Sources {
    /// A path relative to `base`, an absolute path, or a store URL; why it cannot be used
    /// otherwise.
    pub fn resolve(&mut self, reference: &str, base: &Path) -> Result<ImageSource, String> {
        let Some((scheme, rest)) = reference.split_once("://") else {
            return Ok(ImageSource::File(base.join(reference)));
        };
        let scheme = scheme.to_ascii_lowercase();
        if scheme == "memory" {
            return Err(format!(
                "`{reference}`: memory:// is an empty store inside one process; give a path or a \
                 file://, s3://, gs:// or az:// URL"
            ));
        }
        // The engine's check: known scheme, compiled in, names a bucket.
        let config = StoreConfig {
            url: Some(reference.to_owned()),
            ..StoreConfig::default()
        };
        if let Some(problem) = config.problems().into_iter().next() {
            return Err(problem);
        }
        // `file:///abs/photo.jpg` → root `file:///`, key `abs/photo.jpg`;
        // `s3://bucket/a/photo.jpg` → root `s3://bucket`, key `a/photo.jpg`.
        let (root, key) = if scheme == "file" {
            if !rest.starts_with('/') {
                return Err(format!(
                    "`{reference}`: a file:// URL needs an absolute path (file:///dir/photo.jpg)"
                ));
            }
            ("file:///".to_owned(), rest.trim_start_matches('/'))
        } else {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            (format!("{scheme}://{bucket}"), key.trim_start_matches('/'))
        };
        if key.is_empty() || key.ends_with('/') {
            return Err(format!("`{reference}` names no object"));
        }
        let path = object_store::path::Path::from_url_path(key)
            .map_err(|e| format!("`{reference}`: {e}"))?;
        let objects = self
            .roots
            .entry(root.clone())
            .or_insert_with(|| {
                ResultStore::open(&root)
                    .map(|store| store.objects().clone())
                    .map_err(|e| e.to_string())
            })
            .clone()?;
        Ok(ImageSource::Object(StoreObject {
            url: reference.to_owned(),
            objects,
            path,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paths_and_file_urls_read_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("photo one.jpg");
        std::fs::write(&file, b"\xff\xd8\xffbytes").unwrap();
        let mut sources = Sources::default();
        let local = sources.resolve("photo one.jpg", dir.path()).unwrap();
        assert!(local.url().is_none());
        let url = format!("file://{}", dir.path().join("photo%20one.jpg").display());
        let object = sources.resolve(&url, Path::new("/elsewhere")).unwrap();
        assert_eq!(object.url(), Some(url.as_str()));
        assert_eq!(
            local.read(100).await.unwrap(),
            object.read(100).await.unwrap()
        );

        let missing = format!("file://{}", dir.path().join("gone.jpg").display());
        let missing = sources.resolve(&missing, dir.path()).unwrap();
        assert_eq!(missing.read(100).await.unwrap_err(), "no such object");
    }

    #[test]
    fn unsupported_and_incomplete_urls_say_why() {
        let mut sources = Sources::default();
        let base = Path::new("/base");
        let https = sources
            .resolve("https://cdn.example.com/a.jpg", base)
            .unwrap_err();
        assert!(https.contains("unknown scheme `https`"), "{https}");
        let memory = sources.resolve("memory://a.jpg", base).unwrap_err();
        assert!(memory.contains("empty store"), "{memory}");
        let relative = sources.resolve("file://photos/a.jpg", base).unwrap_err();
        assert!(relative.contains("absolute path"), "{relative}");
        let bucket_only = sources.resolve("s3://bucket", base).unwrap_err();
        assert!(bucket_only.contains("names no object"), "{bucket_only}");
        let directory = sources.resolve("s3://bucket/models/", base).unwrap_err();
        assert!(directory.contains("names no object"), "{directory}");
    }
}
