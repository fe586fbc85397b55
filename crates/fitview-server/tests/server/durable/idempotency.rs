//! `Idempotency-Key` on try-on writes and event batches: a repeat is the first answer (the same job), a different
//! body under the same key is 422, a repeat while the first is still handled is 409, and keys
//! belong to one account.

use std::time::Duration;

use fitview_engine::Engine;
use fitview_engine::provider::mock::MockProvider;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Db, TestServer, on_both_databases, start_with};

/// POST to `path` with an Idempotency-Key: (status, replayed?, body).
async fn post_to(
    server: &TestServer,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, bool, Value) {
    let response = server
        .client
        .post(format!("{}{path}", server.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    (
        status,
        replayed,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// POST /api/v1/tryon with an Idempotency-Key: (status, replayed?, body).
async fn post_keyed(
    server: &TestServer,
    token: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, bool, Value) {
    post_to(server, "/api/v1/tryon", token, key, body).await
}

async fn a_repeated_try_on_is_the_first_job(db: Db) {
    let slow =
        Engine::builder().provider(MockProvider::new().with_latency(Duration::from_millis(1500)));
    let server = start_with(db, slow, |_| {}).await;
    let (token, model, product) = server.catalog().await;
    let body = json!({"model_id": model, "product_id": product});

    let (status, replayed, first) = post_keyed(&server, &token, "order-1", &body).await;
    assert_eq!((status, replayed), (StatusCode::ACCEPTED, false), "{first}");
    let (status, replayed, again) = post_keyed(&server, &token, "order-1", &body).await;
    assert_eq!((status, replayed), (StatusCode::ACCEPTED, true), "{again}");
    assert_eq!(again["job_id"], first["job_id"]);
    let (_, history) = server.get("/api/v1/tryon/history", &token).await;
    assert_eq!(
        history.as_array().unwrap().len(),
        1,
        "one job, not two: {history}"
    );

    // The same key for another request.
    let other = json!({"model_id": model, "product_id": product, "wait_ms": 1});
    let (status, _, error) = post_keyed(&server, &token, "order-1", &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    // Keys are per account: another account's "order-1" is its own request.
    let (customer, _, _) = server.register("customer").await;
    let (status, replayed, theirs) = post_keyed(&server, &customer, "order-1", &body).await;
    assert!(status.is_success(), "{theirs}");
    assert!(!replayed);
    assert_ne!(theirs["job_id"], first["job_id"]);

    // A repeat while the first is still being handled (a pair not made yet): 409.
    let (token, model, product) = server.catalog().await;
    let slow_body = json!({"model_id": model, "product_id": product, "wait_ms": 20000});
    let first_request = {
        let server_base = server.base.clone();
        let client = server.client.clone();
        let token = token.clone();
        let body = slow_body.clone();
        tokio::spawn(async move {
            client
                .post(format!("{server_base}/api/v1/tryon"))
                .bearer_auth(token)
                .header("Idempotency-Key", "order-2")
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    let mut in_flight = false;
    for _ in 0..400 {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = 'order-2' AND status IS NULL",
        )
        .fetch_one(&server.state.db)
        .await
        .unwrap();
        if n == 1 {
            in_flight = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(in_flight);
    let (status, _, error) = post_keyed(&server, &token, "order-2", &slow_body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(first_request.await.unwrap(), StatusCode::OK);
    let (status, replayed, done) = post_keyed(&server, &token, "order-2", &slow_body).await;
    assert_eq!((status, replayed), (StatusCode::OK, true), "{done}");
    assert_eq!(done["status"], "succeeded");
}

/// An event batch sent again under its key is the first answer (even with its bad event), and
/// the key with another batch is refused.
async fn a_repeated_event_batch_is_the_first_answer(db: Db) {
    let server = start_with(db, Engine::builder().provider(MockProvider::new()), |_| {}).await;
    let (_, _, product) = server.catalog().await;
    let (shopper, _, _) = server.register("customer").await;
    let event = |id: &str| json!({"id": id, "type": "product_viewed", "product_id": product});
    let batch = json!({"events": [event("0f8fad5b-d9cb-469f-a165-70867728950e"),
                                  {"id": "not-a-uuid", "type": "product_viewed"}]});
    let (status, replayed, first) =
        post_to(&server, "/api/v1/events", &shopper, "views-1", &batch).await;
    assert_eq!((status, replayed), (StatusCode::ACCEPTED, false), "{first}");
    assert_eq!(first["accepted"], 1, "{first}");
    let (status, replayed, again) =
        post_to(&server, "/api/v1/events", &shopper, "views-1", &batch).await;
    assert_eq!((status, replayed), (StatusCode::ACCEPTED, true), "{again}");
    assert_eq!(again, first);
    let other = json!({"events": [event("7c9e6679-7425-40de-944b-e07fc1f90ae7")]});
    let (status, _, error) = post_to(&server, "/api/v1/events", &shopper, "views-1", &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    server.state.analytics.flush().await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM analytics_events")
        .fetch_one(&server.state.db)
        .await
        .unwrap();
    assert_eq!(n, 1, "the view once, the refused batch not at all");
}

on_both_databases!(
    a_repeated_try_on_is_the_first_job,
    a_repeated_event_batch_is_the_first_answer
);
