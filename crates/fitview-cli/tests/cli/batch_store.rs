//! Manifest images named by object-store URLs: `file://` always, `s3://` against the
//! S3-compatible server `.ci/services/moto.sh` starts (`FITVIEW_TEST_S3_URL`).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::batch_support::*;
use fitview_engine::ResultStore;
use object_store::{ObjectStoreExt, PutPayload};

/// A manifest of two models and two products whose images are the given references.
/// Model images are on lines 5 and 9, product images on lines 14 and 19.
fn write_url_manifest(path: &Path, models: [impl AsRef<str>; 2], products: [impl AsRef<str>; 2]) {
    let mut text = String::from("name = \"Store shop\"\n");
    for (id, image) in ["ava", "bea"].iter().zip(models) {
        let image = image.as_ref();
        text += &format!("\n[[models]]\nid = \"{id}\"\nimage = \"{image}\"\n");
    }
    for ((sku, category), image) in [("TS-WHITE", "top"), ("JE-BLUE", "bottom")]
        .iter()
        .zip(products)
    {
        let image = image.as_ref();
        text += &format!(
            "\n[[products]]\nsku = \"{sku}\"\ncategory = \"{category}\"\nimage = \"{image}\"\n"
        );
    }
    std::fs::write(path, text).unwrap();
}

const MODEL_FILES: [&str; 2] = ["persons/slim-light-full.jpg", "persons/curvy-tan-full.jpg"];
const PRODUCT_FILES: [&str; 2] = ["garments/tshirt-plain.jpg", "garments/jeans-blue.jpg"];

#[test]
fn file_urls_are_read_through_the_store_and_are_the_same_images_as_paths() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    let f = fixtures();
    let path = |file: &str| f.join(file).display().to_string();
    let url = |file: &str| format!("file://{}", f.join(file).display());

    write_url_manifest(
        &manifest,
        MODEL_FILES.map(url),
        [url(PRODUCT_FILES[0]), path(PRODUCT_FILES[1])],
    );
    let run = batch(&manifest, &out, &[]);
    assert!(run.status.success(), "{}", outputs(&run));
    let report = report(&out);
    assert_eq!(count(&report, "generated"), 4, "{report:#}");
    assert!(out.join("images/bea/TS-WHITE/tryon.webp").is_file());

    // The same photos as plain paths: same bytes, same items, nothing to redo.
    write_url_manifest(&manifest, MODEL_FILES.map(path), PRODUCT_FILES.map(path));
    let rerun = batch(&manifest, &out, &[]);
    assert!(rerun.status.success(), "{}", outputs(&rerun));
    let report = crate::batch_support::report(&out);
    assert_eq!(
        (count(&report, "reused"), count(&report, "generated")),
        (4, 0)
    );
}

#[test]
fn unusable_urls_are_validation_problems_at_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    let f = fixtures();
    let missing = format!("file://{}", f.join("persons/nobody.jpg").display());
    let not_image = format!("file://{}", f.join("catalog/catalog.toml").display());
    write_url_manifest(
        &manifest,
        [missing.as_str(), "memory://ava.jpg"],
        ["https://cdn.example.com/tee.jpg", not_image.as_str()],
    );
    let run = batch(&manifest, &out, &[]);
    assert_eq!(run.status.code(), Some(3), "{}", outputs(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    for (line, message) in [
        (5, "no such object"),
        (9, "memory:// is an empty store"),
        (14, "unknown scheme `https`"),
        (19, "not a JPEG, PNG or WebP image"),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&format!("shop.toml:{line}:")) && l.contains(message)),
            "missing `shop.toml:{line}: … {message}` in:\n{stderr}"
        );
    }
    assert!(stderr.contains("4 problems in the manifest"), "{stderr}");
    assert!(!out.exists());
}

/// The S3 test server's URL, or `None` (skipping) outside CI when it is not running.
fn s3_url() -> Option<String> {
    match std::env::var("FITVIEW_TEST_S3_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("FITVIEW_TEST_S3_URL is not set in CI: .ci/services/moto.sh must start it")
        }
        _ => {
            eprintln!("skipped: FITVIEW_TEST_S3_URL is not set (start .ci/services/moto.sh)");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_urls_are_fetched_from_the_bucket() {
    let Some(base) = s3_url() else { return };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("batch-test-{nanos}");
    let bucket = ResultStore::open(&format!("{}/{prefix}", base.trim_end_matches('/'))).unwrap();
    for file in MODEL_FILES.iter().chain(&PRODUCT_FILES) {
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        bucket
            .objects()
            .put(&(*file).into(), PutPayload::from(bytes))
            .await
            .unwrap();
    }
    let url = |file: &str| format!("{}/{prefix}/{file}", base.trim_end_matches('/'));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    write_url_manifest(&manifest, MODEL_FILES.map(url), PRODUCT_FILES.map(url));
    let run = tokio::task::spawn_blocking({
        let (manifest, out) = (manifest.clone(), out.clone());
        move || batch(&manifest, &out, &[])
    })
    .await
    .unwrap();
    assert!(run.status.success(), "{}", outputs(&run));
    let report = report(&out);
    assert_eq!(count(&report, "generated"), 4, "{report:#}");

    // An object that is not there is reported at its line, before anything runs.
    write_url_manifest(
        &manifest,
        [url(MODEL_FILES[0]), url("persons/nobody.jpg")],
        PRODUCT_FILES.map(url),
    );
    let missing = tokio::task::spawn_blocking({
        let (manifest, out) = (manifest.clone(), dir.path().join("out2"));
        move || batch(&manifest, &out, &[])
    })
    .await
    .unwrap();
    assert_eq!(missing.status.code(), Some(3), "{}", outputs(&missing));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("shop.toml:9:") && l.contains("no such object")),
        "{stderr}"
    );
    for file in MODEL_FILES.iter().chain(&PRODUCT_FILES) {
        bucket.objects().delete(&(*file).into()).await.unwrap();
    }
}
