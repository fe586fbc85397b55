//! A property test of the JSON request bodies, on SQLite and PostgreSQL: whatever body a caller
//! sends to an endpoint that reads JSON (any JSON value built from the fields the API knows and
//! others, or bytes that are not JSON at all), the answer is a success or a typed client error
//! (`{"error": {"code", "message"}}`, 4xx), never a server error. Besides free-form bodies,
//! bodies shaped like each endpoint's (its fields, filled with values it accepts somewhere or any
//! value) reach the checks past the first. Generated bodies are shrunk to the smallest failing
//! one, which the failure names.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::Value;

use crate::common::{Db, TestServer, on_both_databases, start};

/// Bodies tried per endpoint and kind (JSON values, raw bytes).
const CASES: u32 = 48;

/// Field names the endpoints read, and a few they do not.
const FIELDS: &[&str] = &[
    "name",
    "description",
    "category",
    "garment_category",
    "sizes",
    "colour",
    "price_cents",
    "currency",
    "stock",
    "size_chart",
    "unit",
    "S",
    "M",
    "chest",
    "waist",
    "model_id",
    "product_id",
    "wait_ms",
    "quality",
    "style",
    "events",
    "id",
    "type",
    "occurred_at",
    "size",
    "quantity",
    "value_cents",
    "session_id",
    "user_id",
    "reason",
    "email",
    "phone",
    "password",
    "role",
    "display_name",
    "url",
    "rating",
    "comment",
    "disabled",
    "daily_budget_usd",
    "chest_cm",
    "waist_cm",
    "hip_cm",
    "height_cm",
    "refresh_token",
    "__proto__",
    "",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just(0.5),
            Just(-1.0),
            Just(1e300),
            Just(f64::MIN_POSITIVE),
            any::<f64>()
        ]
        .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,24}".prop_map(Value::from),
        prop::sample::select(FIELDS).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..8).prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// An object with every one of `keys`, each a value the endpoint might accept (`plausible`) or
/// any value: bodies that get past the first checks and reach the later ones.
fn shaped(keys: &'static [&'static str], plausible: Vec<Value>) -> BoxedStrategy<Value> {
    let value = prop_oneof![
        2 => prop::sample::select(plausible),
        1 => json_value(),
    ];
    prop::collection::vec(value, keys.len())
        .prop_map(move |values| {
            Value::Object(keys.iter().map(|k| (*k).to_owned()).zip(values).collect())
        })
        .boxed()
}

/// Sends `body` as JSON and checks the answer's shape; `Err` says what was wrong.
async fn answer_is_typed(
    server: &TestServer,
    method: &Method,
    path: &str,
    token: &str,
    body: Vec<u8>,
) -> Result<(), String> {
    let response = server
        .client
        .request(method.clone(), format!("{}{path}", server.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_server_error() {
        return Err(format!("{status}: {text}"));
    }
    if status.is_client_error() {
        let error: Value =
            serde_json::from_str(&text).map_err(|_| format!("{status} not JSON: {text}"))?;
        if !(error["error"]["code"].is_string() && error["error"]["message"].is_string()) {
            return Err(format!("{status} without a typed error: {text}"));
        }
    }
    Ok(())
}

async fn any_json_body_gets_a_typed_answer_never_a_server_error(db: Db) {
    let server = start(db, |_| {}).await;
    let (retailer, retailer_id, _) = server.register("retailer").await;
    let (_, model, product) = server.catalog_of(retailer.clone()).await;
    let (customer, _, _) = server.register("customer").await;
    let admin = server.admin_token().await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&customer),
            serde_json::json!({"model_id": model, "product_id": product, "wait_ms": 30000}),
        )
        .await;
    assert!(status.is_success(), "{job}");
    let job = job["job_id"].as_str().unwrap().to_owned();
    let endpoints: Vec<(Method, String, &str)> = vec![
        (Method::POST, "/api/v1/products".to_owned(), &retailer),
        (
            Method::PUT,
            format!("/api/v1/products/{product}"),
            &retailer,
        ),
        (Method::POST, "/api/v1/tryon".to_owned(), &customer),
        (
            Method::POST,
            format!("/api/v1/tryon/{job}/variations"),
            &customer,
        ),
        (
            Method::POST,
            format!("/api/v1/tryon/{job}/feedback"),
            &customer,
        ),
        (Method::POST, "/api/v1/events".to_owned(), &customer),
        (Method::POST, "/api/v1/events".to_owned(), &retailer),
        (Method::PUT, "/api/v1/me/measurements".to_owned(), &customer),
        (Method::POST, "/api/v1/webhooks".to_owned(), &retailer),
        (
            Method::PATCH,
            format!("/api/v1/admin/retailers/{retailer_id}"),
            &admin,
        ),
        (Method::POST, "/api/v1/auth/refresh".to_owned(), ""),
    ];
    // Values the endpoints accept somewhere, so that shaped bodies go deep.
    let plausible: Vec<Value> = serde_json::json!([
        model, product, job, "top", "bottom", "auto", "M", "S", ["S", "M"], 1000, 0, -1, 3,
        "EUR", "USD", "shirts", "Blue", "casual", "best", "product_viewed", "purchased",
        "returned", "too_small", "2026-01-01T00:00:00Z", "https://hooks.example.com/x",
        ["tryon.completed"], {"unit": "cm", "sizes": {"M": {"chest": [90, 96]}}}, 92.5, true,
        null, "a good password", "customer"
    ])
    .as_array()
    .unwrap()
    .clone();
    let event_keys: &'static [&'static str] = &[
        "id",
        "type",
        "product_id",
        "model_id",
        "size",
        "quantity",
        "value_cents",
        "user_id",
    ];
    let shapes: Vec<(Method, String, &str, BoxedStrategy<Value>)> = vec![
        (
            Method::POST,
            "/api/v1/products".to_owned(),
            &retailer,
            shaped(
                &[
                    "name",
                    "category",
                    "garment_category",
                    "sizes",
                    "price_cents",
                    "currency",
                    "stock",
                    "size_chart",
                    "colour",
                ],
                plausible.clone(),
            ),
        ),
        (
            Method::POST,
            "/api/v1/tryon".to_owned(),
            &customer,
            shaped(
                &["model_id", "product_id", "wait_ms", "quality"],
                plausible.clone(),
            ),
        ),
        (
            Method::POST,
            format!("/api/v1/tryon/{job}/variations"),
            &customer,
            shaped(&["style", "wait_ms"], plausible.clone()),
        ),
        (
            Method::POST,
            "/api/v1/events".to_owned(),
            &retailer,
            prop::collection::vec(shaped(event_keys, plausible.clone()), 0..4)
                .prop_map(|events| serde_json::json!({ "events": events }))
                .boxed(),
        ),
        (
            Method::PUT,
            "/api/v1/me/measurements".to_owned(),
            &customer,
            shaped(
                &["chest_cm", "waist_cm", "hip_cm", "height_cm"],
                plausible.clone(),
            ),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/retailers/{retailer_id}"),
            &admin,
            shaped(&["daily_budget_usd"], plausible.clone()),
        ),
    ];
    // The runner is synchronous: it runs on this worker thread, which lends itself to it, while
    // the server's tasks go on on the other.
    tokio::task::block_in_place(|| {
        let bytes = prop::collection::vec(any::<u8>(), 0..256).prop_map(Body::Bytes);
        for (method, path, token) in &endpoints {
            let endpoint = (&server, method, path.as_str(), *token);
            check_bodies(endpoint, json_value().prop_map(Body::Json));
            check_bodies(endpoint, bytes.clone());
        }
        for (method, path, token, strategy) in &shapes {
            let endpoint = (&server, method, path.as_str(), *token);
            check_bodies(endpoint, strategy.clone().prop_map(Body::Json));
        }
    });
}

/// A body sent: a JSON value, or bytes that need not be JSON.
#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Bytes(Vec<u8>),
}

/// Sends `CASES` bodies of `bodies` to one endpoint (server, method, path, token); panics with
/// the smallest body whose answer is not typed.
fn check_bodies(
    (server, method, path, token): (&TestServer, &Method, &str, &str),
    bodies: impl Strategy<Value = Body>,
) {
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&bodies, |body| {
        let bytes = match &body {
            Body::Json(value) => serde_json::to_vec(value).unwrap(),
            Body::Bytes(bytes) => bytes.clone(),
        };
        let checked = handle.block_on(answer_is_typed(server, method, path, token, bytes));
        prop_assert!(
            checked.is_ok(),
            "{method} {path} {body:?}: {}",
            checked.unwrap_err()
        );
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

on_both_databases!(any_json_body_gets_a_typed_answer_never_a_server_error);
