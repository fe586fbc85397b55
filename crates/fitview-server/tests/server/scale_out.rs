//! Scale-out by configuration: result images and uploaded photos in an S3 bucket (moto,
//! `FITVIEW_TEST_S3_URL`), and rate limits shared through Redis (`FITVIEW_TEST_REDIS_URL`) by two
//! servers on one database.
//! Each test is skipped, with a message, when its service is not configured.

use crate::common::{Db, TestServer, assert_rate_limited, on_both_databases, start};
use fitview_engine::{ContentKey, ResultStore};
use futures::TryStreamExt;
use reqwest::StatusCode;
use serde_json::json;

/// A service URL from `var`, or `None` after saying that `test` is skipped. In CI (`CI` set) a
/// missing service fails the test instead, so a broken service script cannot hide.
fn service(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is not set in CI: .ci/services must start it")
        }
        _ => {
            eprintln!("SKIPPED {test}: {var} not set (start it with .ci/services, see .ci/run)");
            None
        }
    }
}

/// A try-on of the server's catalog, waited for: (job, first image's URL).
async fn try_on(server: &TestServer) -> (serde_json::Value, String) {
    let (token, model, product) = server.catalog().await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model, "product_id": product, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["status"], "succeeded", "{job}");
    let url = job["result"]["images"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    (job, url)
}

async fn try_on_images_are_served_from_an_s3_bucket(db: Db) {
    let test = "try_on_images_are_served_from_an_s3_bucket";
    let Some(bucket) = service("FITVIEW_TEST_S3_URL", test) else {
        return;
    };
    let url = format!(
        "{}/server-{}",
        bucket.trim_end_matches('/'),
        uuid::Uuid::new_v4().simple()
    );
    let store_url = url.clone();
    let server = start(db, move |c| c.engine.store.url = Some(store_url)).await;
    let (job, image_url) = try_on(&server).await;

    // The bytes come back over HTTP, decode, and have the advertised size.
    let bytes = server.check_result_image(&job["result"]["images"][0]).await;

    // The object is in the bucket, once: the engine's stored result, listed by another client.
    let key: ContentKey = job["result"]["key"].as_str().unwrap().parse().unwrap();
    let bucket = ResultStore::open(&url).unwrap();
    assert_eq!(bucket.keys().await.unwrap(), vec![key.clone()]);
    let file = image_url.rsplit('/').next().unwrap();
    assert_eq!(bucket.file(&key, file).await.unwrap().unwrap(), bytes);
    // The model and garment photos are in the bucket too, so another server can use them.
    let uploads: Vec<String> = bucket
        .objects()
        .list(Some(&object_store::path::Path::from("uploads")))
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await
        .unwrap();
    let kinds: Vec<&str> = uploads
        .iter()
        .map(|p| p.split('/').nth(1).unwrap())
        .collect();
    assert_eq!(uploads.len(), 2, "{uploads:?}");
    assert!(
        kinds.contains(&"models") && kinds.contains(&"products"),
        "{uploads:?}"
    );
    for dir in ["results", "uploads"] {
        assert!(
            !server.state.config.data_dir.join(dir).exists(),
            "nothing written to local disk: {dir}"
        );
    }

    // A missing file of that result, and a name that is not an image, are 404.
    for missing in ["image-9.webp", "sidecar.json"] {
        let response = server
            .client
            .get(format!("{}/api/v1/images/{key}/{missing}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

async fn two_servers_share_the_try_on_limit_through_redis(db: Db) {
    let test = "two_servers_share_the_try_on_limit_through_redis";
    let Some(redis) = service("FITVIEW_TEST_REDIS_URL", test) else {
        return;
    };
    // Keys of this test only (the engine's shared cache uses the same prefix).
    let prefix = format!("fitview-test-{}", uuid::Uuid::new_v4().simple());
    let shared = |c: &mut fitview_server::ServerConfig| {
        c.engine.cache.redis_url = Some(redis.clone());
        c.engine.cache.key_prefix = prefix.clone();
    };
    let a = start(db, shared).await;
    // The second server: the same database, data directory (uploads, results) and Redis.
    let (data_dir, database_url) = (
        a.state.config.data_dir.clone(),
        a.state.config.database_url(),
    );
    let b = start(Db::Sqlite, |c| {
        shared(c);
        c.data_dir = data_dir;
        c.database_url = Some(database_url);
    })
    .await;

    let (_, model, product) = a.catalog().await;
    let (customer, _, _) = a.register("customer").await;
    let body = json!({"model_id": model, "product_id": product});
    let default_limit = fitview_server::config::RateLimits::default().tryon_per_minute;
    assert_eq!(default_limit, 10);
    for i in 0..default_limit {
        let server = if i % 2 == 0 { &a } else { &b };
        let (status, job) = server
            .post("/api/v1/tryon", Some(&customer), body.clone())
            .await;
        assert!(
            status.is_success(),
            "try-on {} on {i}: {status} {job}",
            i + 1
        );
    }
    for server in [&a, &b] {
        let response = server
            .client
            .post(format!("{}/api/v1/tryon", server.base))
            .bearer_auth(&customer)
            .json(&body)
            .send()
            .await
            .unwrap();
        // At most one interval of the window: 60 s / 10.
        assert_rate_limited(response, 6).await;
    }
    // Redis answered every check.
    for server in [&a, &b] {
        assert!(
            server
                .metrics()
                .await
                .contains("fitview_rate_limit_fallbacks_total 0"),
        );
    }
}

on_both_databases!(
    try_on_images_are_served_from_an_s3_bucket,
    two_servers_share_the_try_on_limit_through_redis,
);
