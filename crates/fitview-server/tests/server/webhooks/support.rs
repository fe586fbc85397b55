//! Servers for the webhook tests: private receivers allowed (the receiver is on loopback) and
//! retries within milliseconds instead of hours.

use std::time::Duration;

use fitview_server::{AppState, ServerConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Db, TestServer, mock_engine, test_state};

/// Private receivers allowed, quick retries.
pub fn quick(config: &mut ServerConfig) {
    config.webhooks.allow_private = true;
    config.webhooks.retry_schedule = vec![Duration::from_millis(50); 7];
    config.webhooks.timeout = Duration::from_secs(5);
}

/// Serves `state` on loopback until the returned sender is used or dropped.
pub async fn serve(state: AppState) -> (TestServer, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(fitview_server::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    (
        TestServer::new(base, client, state, tempfile::tempdir().unwrap()),
        stop,
    )
}

/// A server whose data directory is `dir` (kept by the caller across restarts).
pub async fn start_in(
    db: Db,
    tweak: impl FnOnce(&mut ServerConfig),
) -> (
    TestServer,
    tokio::sync::oneshot::Sender<()>,
    ServerConfig,
    tempfile::TempDir,
) {
    let (state, dir) = test_state(db, mock_engine(), tweak).await;
    let config = state.config.clone();
    let (server, stop) = serve(state).await;
    (server, stop, config, dir)
}

/// Stops `server` gracefully and starts another process on the same database and data
/// directory with `config` changed by `tweak`.
pub async fn restart(
    server: TestServer,
    stop: tokio::sync::oneshot::Sender<()>,
    mut config: ServerConfig,
    tweak: impl FnOnce(&mut ServerConfig),
) -> (TestServer, tokio::sync::oneshot::Sender<()>) {
    let _ = stop.send(());
    server.state.shutdown().await;
    drop(server);
    tweak(&mut config);
    let state = AppState::with_engine(config, mock_engine()).await.unwrap();
    serve(state).await
}

/// Registers an endpoint for `events` at `url`; returns (id, secret).
pub async fn register(
    server: &TestServer,
    token: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let (status, body) = server
        .post(
            "/api/v1/webhooks",
            Some(token),
            json!({"url": url, "events": events}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// Sends the endpoint a `webhook.test` event; returns the delivery id.
pub async fn send_test(server: &TestServer, token: &str, endpoint: &str) -> String {
    let (status, body) = server
        .post(
            &format!("/api/v1/webhooks/{endpoint}/test"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body["delivery_id"].as_str().unwrap().to_owned()
}

/// The delivery `id` of the endpoint once it has ended (bounded by count, not time).
pub async fn ended_delivery(server: &TestServer, token: &str, endpoint: &str, id: &str) -> Value {
    for _ in 0..800 {
        let (status, body) = server
            .get(&format!("/api/v1/webhooks/{endpoint}/deliveries"), token)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let delivery = body["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .unwrap_or(Value::Null);
        if delivery["status"] != "pending" && !delivery.is_null() {
            return delivery;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("delivery {id} did not end");
}

/// The status codes of a delivery's attempts, in order.
pub fn attempt_codes(delivery: &Value) -> Vec<Option<u64>> {
    delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_u64())
        .collect()
}

pub async fn endpoint(server: &TestServer, token: &str, id: &str) -> (StatusCode, Value) {
    server
        .call(
            Method::GET,
            &format!("/api/v1/webhooks/{id}"),
            Some(token),
            None,
        )
        .await
}
