//! Scale-out by configuration: result images and uploaded photos in an S3 bucket (moto,
//! `FITVIEW_TEST_S3_URL`), and rate limits and browser sessions shared through Redis
//! (`FITVIEW_TEST_REDIS_URL`) by two servers on one database.
//! Each test is skipped, with a message, when its service is not configured.

use crate::common::{Db, TestServer, assert_rate_limited, on_both_databases, start};
use crate::storefront::shopper::Shopper;
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

/// Two servers on one database, data directory (uploads, results) and Redis, with Redis keys
/// of this test only (the engine's shared cache uses the same prefix): (A, B, key prefix).
async fn two_servers_on_one_redis(db: Db, redis: &str) -> (TestServer, TestServer, String) {
    let prefix = format!("fitview-test-{}", uuid::Uuid::new_v4().simple());
    let shared = |c: &mut fitview_server::ServerConfig| {
        c.engine.cache.redis_url = Some(redis.to_owned());
        c.engine.cache.key_prefix = prefix.clone();
    };
    let a = start(db, shared).await;
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
    (a, b, prefix)
}

async fn two_servers_share_the_try_on_limit_through_redis(db: Db) {
    let test = "two_servers_share_the_try_on_limit_through_redis";
    let Some(redis) = service("FITVIEW_TEST_REDIS_URL", test) else {
        return;
    };
    let (a, b, _) = two_servers_on_one_redis(db, &redis).await;

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

async fn two_servers_share_browser_sessions_through_redis(db: Db) {
    let test = "two_servers_share_browser_sessions_through_redis";
    let Some(redis_url) = service("FITVIEW_TEST_REDIS_URL", test) else {
        return;
    };
    let (a, b, prefix) = two_servers_on_one_redis(db, &redis_url).await;
    let mut redis = redis::Client::open(redis_url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let session_keys = |mut redis: redis::aio::MultiplexedConnection| {
        let pattern = format!("{prefix}:session:*");
        async move {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(pattern)
                .query_async(&mut redis)
                .await
                .unwrap();
            keys
        }
    };

    // Signed up on A: the session is a key in Redis (with the session's lifetime), not a row.
    let mut on_a = Shopper::new(&a.base);
    let email = on_a.sign_up("ines").await;
    let keys = session_keys(redis.clone()).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let ttl: i64 = redis::cmd("TTL")
        .arg(&keys[0])
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!((86_000..=86_400).contains(&ttl), "{ttl}");
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM browser_sessions")
        .fetch_one(&a.state.db)
        .await
        .unwrap();
    assert_eq!(rows, 0, "no session in the database");

    // B knows the shopper by the same cookie; a model picked on B is remembered on A.
    let cookie = on_a.cookie().unwrap().to_owned();
    let mut on_b = Shopper::with_cookie(&b.base, &cookie);
    let page = on_b.get("/account").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&email));
    let (_, model, product) = a.catalog().await;
    let csrf = on_b.csrf_of(&format!("/models?product={product}")).await;
    let picked = on_b
        .post(
            "/models",
            &[("csrf", &csrf), ("model_id", &model), ("product", &product)],
        )
        .await;
    assert_eq!(picked.status, StatusCode::SEE_OTHER, "{}", picked.body);
    let page = on_a.get(&format!("/products/{product}")).await;
    assert!(page.body.contains("id=\"chosen-model\""), "{}", page.body);

    // Signed out on B: the cookie opens nothing on A either.
    let csrf = on_b.csrf_of("/account").await;
    let out = on_b.post("/signout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(on_a.get("/account").await.status, StatusCode::SEE_OTHER);
    assert!(session_keys(redis.clone()).await.is_empty());

    // Two sessions of one account (two browsers); deleting the account through the API of A
    // ends both, and its list of sessions goes too.
    let mut first = Shopper::new(&a.base);
    first.sign_in(&email, "a good password").await;
    let mut second = Shopper::new(&b.base);
    second.sign_in(&email, "a good password").await;
    assert_eq!(session_keys(redis.clone()).await.len(), 2);
    let (status, login) = a.login(&email, "a good password").await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let deleted = a
        .client
        .delete(format!("{}/api/v1/me", a.base))
        .bearer_auth(login["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(first.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(second.get("/account").await.status, StatusCode::SEE_OTHER);
    assert!(session_keys(redis.clone()).await.is_empty());
    let user_sets: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:user-sessions:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(user_sets.is_empty(), "{user_sets:?}");
}

async fn a_product_edited_through_one_server_is_fresh_on_the_other(db: Db) {
    let test = "a_product_edited_through_one_server_is_fresh_on_the_other";
    let Some(redis_url) = service("FITVIEW_TEST_REDIS_URL", test) else {
        return;
    };
    let (a, b, _) = two_servers_on_one_redis(db, &redis_url).await;
    let (token, _, product) = a.catalog().await;
    let mut visitor = Shopper::new(&a.base);
    // A's catalog cache holds the product page's product and the home page's listing.
    let page = visitor.get(&format!("/products/{product}")).await;
    assert!(page.body.contains("Striped shirt"), "{}", page.body);
    assert!(visitor.get("/").await.body.contains("Striped shirt"));

    let (status, body) = b
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/products/{product}"),
            Some(&token),
            Some(
                json!({"name": "Shirt with sage stripes", "category": "shirts",
                        "sizes": ["S", "M"], "price_cents": 2999, "currency": "EUR", "stock": 0}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The word travels through Redis: A shows the edit within moments, not in 6 hours.
    let mut fresh = false;
    for _ in 0..50 {
        let page = visitor.get(&format!("/products/{product}")).await;
        if page.body.contains("Shirt with sage stripes") {
            assert!(page.body.contains("Out of stock"), "{}", page.body);
            fresh = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(fresh, "server A still shows the old product");
    let home = visitor.get("/").await;
    assert!(
        home.body.contains("Shirt with sage stripes"),
        "{}",
        home.body
    );
}

/// A Redis that does not answer: pages needing a session say so (503) within the Redis timeout;
/// the catalog, which needs none, is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_503_when_the_session_store_is_down() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let server = start(Db::Sqlite, |c| {
        c.engine.cache.redis_url = Some(format!("redis://127.0.0.1:{port}"));
        c.engine.cache.redis_timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let mut shopper = Shopper::new(&server.base);
    assert_eq!(shopper.get("/").await.status, StatusCode::OK);
    let page = shopper.get("/signin").await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    let with_cookie = Shopper::with_cookie(&server.base, "fitview_session=abc")
        .get("/")
        .await;
    assert_eq!(with_cookie.status, StatusCode::SERVICE_UNAVAILABLE);
}

on_both_databases!(
    try_on_images_are_served_from_an_s3_bucket,
    two_servers_share_the_try_on_limit_through_redis,
    two_servers_share_browser_sessions_through_redis,
    a_product_edited_through_one_server_is_fresh_on_the_other,
);
