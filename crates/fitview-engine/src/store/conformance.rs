//! The shared conformance suite for result stores: every backend (memory, local directory, S3)
//! runs the same scenarios, so they behave the same to the engine.
//!
//! Each scenario takes a store that is empty when [`run_all`] starts (a fresh directory, a
//! fresh bucket prefix) and uses keys of its own. Scenarios panic with a message on failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;
use object_store::ObjectStoreExt;

use super::{Provenance, ResultStore, Sidecar, SidecarInput, layout};
use crate::key::{ContentKey, InputHash};
use crate::request::OutputFormat;
use crate::result::{OutputImage, Thumbnail};

/// A key (or input hash) no other scenario or run uses.
pub fn unique_hex(label: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = blake3::Hasher::new();
    h.update(label.as_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(&COUNTER.fetch_add(1, Ordering::SeqCst).to_le_bytes());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(&now.as_nanos().to_le_bytes());
    h.finalize().to_hex().to_string()
}

fn key(label: &str) -> ContentKey {
    unique_hex(label)
        .parse()
        .unwrap_or_else(|_| unreachable!("64 hex characters"))
}

fn input(label: &str) -> InputHash {
    unique_hex(label)
        .parse()
        .unwrap_or_else(|_| unreachable!("64 hex characters"))
}

/// A two-sample result with a thumbnail each, made from `inputs`.
pub fn sample_result(key: &ContentKey, inputs: &[InputHash]) -> (Sidecar, Vec<OutputImage>) {
    let images: Vec<OutputImage> = (0..2u8)
        .map(|i| OutputImage {
            width: 300,
            height: 400,
            format: OutputFormat::Webp,
            bytes: Bytes::from(format!("image {i} of {key}").into_bytes()),
            thumbnails: vec![Thumbnail {
                width: 150,
                height: 200,
                bytes: Bytes::from(format!("thumb {i} of {key}").into_bytes()),
            }],
        })
        .collect();
    let provenance = Provenance {
        provider: "mock".into(),
        model: "mock-model".into(),
        prompt_version: "1".into(),
        inputs: inputs
            .iter()
            .enumerate()
            .map(|(i, h)| SidecarInput {
                role: if i == 0 {
                    "person".into()
                } else {
                    "garment".into()
                },
                category: None,
                hash: h.clone(),
            })
            .collect(),
        metadata: serde_json::Map::new(),
    };
    (Sidecar::describe(key, provenance, &images), images)
}

/// Runs every scenario, in an order that lets the last one expire everything.
pub async fn run_all(store: &ResultStore) {
    round_trip(store).await;
    files_read_one_by_one(store).await;
    missing_is_none(store).await;
    partial_write_is_invisible(store).await;
    foreign_file_is_invisible(store).await;
    inputs_are_kept_once(store).await;
    delete_derived_from_one_input(store).await;
    gc_dry_run_then_expire(store).await;
}

/// A result reads back byte for byte, with its sidecar.
pub async fn round_trip(store: &ResultStore) {
    let k = key("round-trip");
    let (sidecar, images) = sample_result(&k, &[input("p"), input("g")]);
    store.put(&sidecar, &images).await.unwrap();
    let got = store.get(&k).await.unwrap().expect("stored result");
    assert_eq!(got.sidecar, sidecar);
    assert_eq!(got.images.len(), 2);
    for (a, b) in got.images.iter().zip(&images) {
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(a.thumbnails[0].bytes, b.thumbnails[0].bytes);
        assert_eq!((a.width, a.height, a.format), (b.width, b.height, b.format));
    }
    assert!(store.keys().await.unwrap().contains(&k));
}

/// The sidecar alone, and each file by the name the sidecar lists; nothing else by name.
pub async fn files_read_one_by_one(store: &ResultStore) {
    let k = key("one-by-one");
    let (sidecar, images) = sample_result(&k, &[input("p")]);
    assert!(store.sidecar(&k).await.unwrap().is_none());
    store.put(&sidecar, &images).await.unwrap();
    assert_eq!(store.sidecar(&k).await.unwrap().as_ref(), Some(&sidecar));
    for (file, bytes) in sidecar.files().zip(Sidecar::blobs(&images)) {
        assert_eq!(store.file(&k, &file.file).await.unwrap(), Some(bytes));
    }
    for name in [
        "missing.webp",
        layout::SIDECAR,
        "",
        "../image.webp",
        "a/image.webp",
    ] {
        assert!(store.file(&k, name).await.unwrap().is_none(), "{name:?}");
    }
}

/// An unknown key is a miss, not an error.
pub async fn missing_is_none(store: &ResultStore) {
    assert!(store.get(&key("missing")).await.unwrap().is_none());
}

/// Files written without their sidecar (an interrupted write) are never served.
pub async fn partial_write_is_invisible(store: &ResultStore) {
    let k = key("partial");
    let (sidecar, images) = sample_result(&k, &[input("p")]);
    for (file, bytes) in sidecar.files().zip(Sidecar::blobs(&images)) {
        store
            .objects()
            .put(&layout::file(&k, &file.file), bytes.into())
            .await
            .unwrap();
        assert!(
            store.get(&k).await.unwrap().is_none(),
            "visible before its sidecar"
        );
    }
    store.put(&sidecar, &images).await.unwrap();
    assert!(store.get(&k).await.unwrap().is_some());
}

/// A file replaced by another write (size or hash differs from the sidecar) makes a miss.
pub async fn foreign_file_is_invisible(store: &ResultStore) {
    let k = key("foreign");
    let (sidecar, images) = sample_result(&k, &[input("p")]);
    store.put(&sidecar, &images).await.unwrap();
    store
        .objects()
        .put(
            &layout::file(&k, "image.webp"),
            Bytes::from_static(b"another write").into(),
        )
        .await
        .unwrap();
    assert!(store.get(&k).await.unwrap().is_none());
}

/// Uploads are kept once under their hash.
pub async fn inputs_are_kept_once(store: &ResultStore) {
    let h = input("upload");
    assert!(!store.has_input(&h).await.unwrap());
    store
        .put_input(&h, Bytes::from_static(b"first"))
        .await
        .unwrap();
    store
        .put_input(&h, Bytes::from_static(b"second"))
        .await
        .unwrap();
    assert!(store.has_input(&h).await.unwrap());
    let kept = store
        .objects()
        .get(&layout::input(&h))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(kept, Bytes::from_static(b"first"));
}

/// Deleting by input removes exactly the results made from it, and the upload.
pub async fn delete_derived_from_one_input(store: &ResultStore) {
    let (person_a, person_b, garment) = (input("a"), input("b"), input("g"));
    let (k1, k2, k3) = (key("a1"), key("a2"), key("b1"));
    for (k, inputs) in [
        (&k1, [&person_a, &garment]),
        (&k2, [&person_a, &garment]),
        (&k3, [&person_b, &garment]),
    ] {
        let inputs: Vec<InputHash> = inputs.into_iter().cloned().collect();
        let (sidecar, images) = sample_result(k, &inputs);
        store.put(&sidecar, &images).await.unwrap();
    }
    store
        .put_input(&person_a, Bytes::from_static(b"person a"))
        .await
        .unwrap();

    let dry = store.delete_derived_from(&person_a, true).await.unwrap();
    let mut expected = vec![k1.clone(), k2.clone()];
    expected.sort();
    assert_eq!(dry.results, expected);
    assert!(
        store.get(&k1).await.unwrap().is_some(),
        "a dry run deletes nothing"
    );

    let done = store.delete_derived_from(&person_a, false).await.unwrap();
    assert_eq!(done.results, expected);
    assert!(done.input_deleted);
    assert!(store.get(&k1).await.unwrap().is_none());
    assert!(store.get(&k2).await.unwrap().is_none());
    assert!(
        store.get(&k3).await.unwrap().is_some(),
        "another person's result stays"
    );
    assert!(!store.has_input(&person_a).await.unwrap());
    // The garment's markers of the deleted results went too; its marker of k3 stays.
    let garment_results = store
        .delete_derived_from(&garment, true)
        .await
        .unwrap()
        .results;
    assert_eq!(garment_results, vec![k3.clone()]);
    assert!(
        store
            .delete_derived_from(&person_a, false)
            .await
            .unwrap()
            .results
            .is_empty(),
        "idempotent"
    );
}

/// `gc` lists with a dry run, keeps recent results, and expires old ones sidecar first.
pub async fn gc_dry_run_then_expire(store: &ResultStore) {
    let k = key("gc");
    let (sidecar, images) = sample_result(&k, &[input("p")]);
    store.put(&sidecar, &images).await.unwrap();

    let recent = store.gc(Duration::from_secs(3600), false).await.unwrap();
    assert!(
        recent.results.is_empty(),
        "nothing is an hour old: {recent:?}"
    );
    assert!(store.get(&k).await.unwrap().is_some());

    // Object stores keep modification times to the second (S3) or finer; wait past one.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let dry = store.gc(Duration::ZERO, true).await.unwrap();
    assert!(dry.dry_run && dry.results.contains(&k), "{dry:?}");
    assert!(dry.bytes >= sidecar.total_bytes());
    assert!(
        store.get(&k).await.unwrap().is_some(),
        "a dry run deletes nothing"
    );

    let done = store.gc(Duration::ZERO, false).await.unwrap();
    assert!(done.results.contains(&k));
    assert_eq!(done.objects, dry.objects);
    assert!(store.get(&k).await.unwrap().is_none());
    assert!(store.keys().await.unwrap().is_empty());
    let again = store.gc(Duration::ZERO, false).await.unwrap();
    assert_eq!(again.objects, 0, "{again:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_memory_store_conforms() {
        run_all(&ResultStore::in_memory()).await;
    }

    #[tokio::test]
    async fn local_directory_store_conforms() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultStore::open(dir.path().to_str().unwrap()).unwrap();
        run_all(&store).await;
        // Automatic cleanup leaves no empty result directories behind.
        let results = dir.path().join("results");
        let left = std::fs::read_dir(&results).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "empty directories left in {}", results.display());
    }

    /// Against the S3-compatible server `.ci/run` starts (`FITVIEW_TEST_S3_URL`, e.g.
    /// `s3://fitview-test`, with `AWS_ENDPOINT_URL` and credentials in the environment).
    #[cfg(feature = "s3")]
    #[tokio::test]
    async fn s3_store_conforms() {
        let Some(base) = crate::store::test_service_url("FITVIEW_TEST_S3_URL") else {
            return;
        };
        let url = format!(
            "{}/conformance-{}",
            base.trim_end_matches('/'),
            unique_hex("run")
        );
        let store = ResultStore::open(&url).unwrap();
        run_all(&store).await;
    }
}
