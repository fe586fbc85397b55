//! Limits: rate limits, upload checks, the bounded queue, and the error format.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Db, assert_rate_limited, fixture, start, start_with};
use fitview_engine::Engine;
use fitview_engine::provider::mock::MockProvider;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn the_sixth_login_in_a_minute_is_refused_with_retry_after(db: Db) {
    let server = start(db, |_| {}).await;
    let email = common::email("victim");
    let (status, _) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": "a good password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for attempt in 1..=5 {
        let (status, body) = server.login(&email, "wrong password").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {body}"
        );
        assert_eq!(body["error"]["code"], "invalid_credentials");
    }
    let response = server
        .client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": email, "password": "a good password"}))
        .send()
        .await
        .unwrap();
    assert_rate_limited(response, 60).await;
}

async fn try_ons_are_rate_limited_per_user(db: Db) {
    let server = start(db, |c| c.rate_limits.tryon_per_minute = 3).await;
    let (token, model, product) = server.catalog().await;
    let body = json!({"model_id": model, "product_id": product});
    for _ in 0..3 {
        let (status, job) = server
            .post("/api/v1/tryon", Some(&token), body.clone())
            .await;
        assert!(status.is_success(), "{job}");
    }
    let (status, error) = server
        .post("/api/v1/tryon", Some(&token), body.clone())
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{error}");
    // Another user has their own budget.
    let (other, _, _) = server.register("customer").await;
    let (status, _) = server.post("/api/v1/tryon", Some(&other), body).await;
    assert!(status.is_success());
}

async fn uploads_that_are_not_images_get_a_typed_error(db: Db) {
    let server = start(db, |c| c.limits.max_upload_bytes = 2 * 1024 * 1024).await;
    let (token, _, product) = server.catalog().await;
    for (name, bytes) in [
        ("text", b"just some text, not a photo".to_vec()),
        ("html.png", fixture("bad/html.png")),
        ("truncated.jpg", fixture("bad/truncated.jpg")),
    ] {
        let (status, body) = server
            .upload_model(&token, bytes, name, &[("name", "x")])
            .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}: {body}");
        assert_eq!(body["error"]["code"], "unsupported_format", "{name}");
    }
    let (status, body) = server
        .upload_garment(&token, &product, b"%PDF-1.4".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    // A decompression bomb is refused by the engine's limits before decoding.
    let (status, body) = server
        .upload_model(
            &token,
            fixture("bad/bomb.png"),
            "bomb.png",
            &[("name", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "image_too_large");
    // Over the upload limit: 413, or — when the server answers before the client has written the
    // whole body — the connection closed under the client's write. Either way nothing is stored.
    let (_, before) = server.get("/api/v1/models", &token).await;
    let over = server
        .try_upload_model(
            &token,
            vec![0u8; 3 * 1024 * 1024],
            "big.jpg",
            &[("name", "x")],
        )
        .await;
    match over {
        Ok((status, _)) => assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE),
        Err(error) => assert!(error.is_request(), "{error}"),
    }
    let (_, after) = server.get("/api/v1/models", &token).await;
    assert_eq!(before, after, "an upload over the limit stores nothing");
    // Missing image and missing name.
    let (status, body) = server
        .upload_model(&token, Vec::new(), "empty.jpg", &[("name", "x")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = server
        .upload_model(&token, fixture("persons/slim-light-full.jpg"), "p.jpg", &[])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

async fn a_full_queue_answers_503_with_retry_after(db: Db) {
    let slow = Engine::builder().provider(MockProvider::new().with_latency(Duration::from_secs(3)));
    let server = start_with(db, slow, |c| {
        c.limits.queue_capacity = 1;
        c.limits.workers = 1;
    })
    .await;
    let (token, model, product) = server.catalog().await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..4 {
        let response = server
            .client
            .post(format!("{}/api/v1/tryon", server.base))
            .bearer_auth(&token)
            .json(&json!({"model_id": model, "product_id": product}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            retry_after = Some(
                response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "queue_full");
        }
    }
    assert_eq!(statuses[0], StatusCode::ACCEPTED);
    assert!(
        statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
}

async fn errors_share_one_shape_and_ops_endpoints_answer(db: Db) {
    let server = start(db, |_| {}).await;
    let (status, body) = server.call(Method::GET, "/nope", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");

    let response = server
        .client
        .post(format!("{}/api/v1/auth/login", server.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");

    let (status, body) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@b.co", "password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "validation");

    let (status, body) = server.call(Method::GET, "/health", None, None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    let (status, _) = server.call(Method::GET, "/ready", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, doc) = server.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/tryon"]["post"].is_object());
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(
            "fitview_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("fitview_tryon_queue_depth 0"));
}

common::on_both_databases!(
    the_sixth_login_in_a_minute_is_refused_with_retry_after,
    try_ons_are_rate_limited_per_user,
    uploads_that_are_not_images_get_a_typed_error,
    a_full_queue_answers_503_with_retry_after,
    errors_share_one_shape_and_ops_endpoints_answer,
);
