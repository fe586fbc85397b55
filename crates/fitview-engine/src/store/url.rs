//! Store URL → object store. Cloud stores read credentials from the usual environment variables
//! (`AWS_*`, `GOOGLE_*`, `AZURE_*`) through object_store's `from_env` builders.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::prefix::PrefixStore;

use crate::error::{Error, Result};

/// The kinds of store a URL can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Local,
    Memory,
    S3,
    Gcs,
    Azure,
}

/// Splits a URL into its scheme and what follows `scheme://` (or the path, for a plain path).
fn parse(url: &str) -> Result<(Scheme, &str), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok((Scheme::Local, url));
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "file" => Scheme::Local,
        "memory" => Scheme::Memory,
        "s3" | "s3a" => Scheme::S3,
        "gs" => Scheme::Gcs,
        "az" | "azure" | "abfs" | "abfss" => Scheme::Azure,
        other => {
            return Err(format!(
                "store URL `{url}`: unknown scheme `{other}` (expected a path, file://, memory://, s3://, gs:// or az://)"
            ));
        }
    };
    Ok((scheme, rest))
}

/// Checks a URL without opening anything: the scheme is known and compiled in.
pub(crate) fn check(url: &str) -> Result<(), String> {
    let (scheme, rest) = parse(url)?;
    let feature = match scheme {
        Scheme::Local | Scheme::Memory => return Ok(()),
        Scheme::S3 => ("s3", cfg!(feature = "s3")),
        Scheme::Gcs => ("gcs", cfg!(feature = "gcs")),
        Scheme::Azure => ("azure", cfg!(feature = "azure")),
    };
    if !feature.1 {
        return Err(format!(
            "store URL `{url}`: this build has no {} support (cargo feature `{}`)",
            feature.0, feature.0
        ));
    }
    if rest.split('/').next().is_none_or(str::is_empty) {
        return Err(format!("store URL `{url}` names no bucket or container"));
    }
    Ok(())
}

/// Opens the store `url` names.
pub(crate) fn open(url: &str) -> Result<Arc<dyn ObjectStore>> {
    check(url).map_err(|problem| Error::Config {
        problems: vec![problem],
    })?;
    let (scheme, rest) = parse(url).map_err(|problem| Error::Config {
        problems: vec![problem],
    })?;
    match scheme {
        Scheme::Memory => Ok(Arc::new(InMemory::new())),
        Scheme::Local => {
            std::fs::create_dir_all(rest).map_err(|e| Error::Storage {
                detail: format!("cannot create store directory {rest}: {e}"),
            })?;
            let local = LocalFileSystem::new_with_prefix(rest).map_err(|e| Error::Storage {
                detail: format!("cannot open store directory {rest}: {e}"),
            })?;
            Ok(Arc::new(local.with_automatic_cleanup(true)))
        }
        Scheme::S3 | Scheme::Gcs | Scheme::Azure => cloud(scheme, url, rest),
    }
}

/// Opens a bucket and scopes it to the URL's prefix.
#[allow(unused_variables, unreachable_code)] // without cloud features only the error arm is left
fn cloud(scheme: Scheme, url: &str, rest: &str) -> Result<Arc<dyn ObjectStore>> {
    let prefix = rest
        .split_once('/')
        .map(|(_, p)| p.trim_matches('/'))
        .unwrap_or_default();
    let config = |e: object_store::Error| Error::Config {
        problems: vec![format!("store URL `{url}`: {e}")],
    };
    let store: Arc<dyn ObjectStore> = match scheme {
        #[cfg(feature = "s3")]
        Scheme::S3 => {
            install_crypto_provider();
            Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(config)?,
            )
        }
        #[cfg(feature = "gcs")]
        Scheme::Gcs => {
            install_crypto_provider();
            Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(config)?,
            )
        }
        #[cfg(feature = "azure")]
        Scheme::Azure => {
            install_crypto_provider();
            Arc::new(
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(config)?,
            )
        }
        _ => {
            return Err(Error::internal(format!(
                "store URL `{url}` passed the check but cannot be opened"
            )));
        }
    };
    if prefix.is_empty() {
        Ok(store)
    } else {
        Ok(Arc::new(PrefixStore::new(store, prefix)))
    }
}

/// Cloud stores speak HTTPS through reqwest's rustls, which needs a process-wide crypto provider
/// (ring, as for the HTTP providers). Installing it twice is harmless.
#[cfg(any(feature = "s3", feature = "gcs", feature = "azure"))]
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_by_scheme() {
        assert!(check("/var/lib/fitview").is_ok());
        assert!(check("file:///var/lib/fitview").is_ok());
        assert!(check("memory://").is_ok());
        let err = check("ftp://host/dir").unwrap_err();
        assert!(err.contains("unknown scheme `ftp`"), "{err}");
        if cfg!(feature = "s3") {
            assert!(check("s3://bucket/prefix").is_ok());
            assert!(check("s3:///prefix").unwrap_err().contains("no bucket"));
        } else {
            assert!(
                check("s3://bucket/prefix")
                    .unwrap_err()
                    .contains("feature `s3`")
            );
        }
    }

    #[tokio::test]
    async fn a_plain_path_is_created_and_used() {
        use object_store::ObjectStoreExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("nested/store");
        let store = open(root.to_str().unwrap()).unwrap();
        store
            .put(&"a/b".into(), bytes::Bytes::from_static(b"x").into())
            .await
            .unwrap();
        assert_eq!(std::fs::read(root.join("a/b")).unwrap(), b"x");
    }
}
