//! What both fakes share: a loopback axum server, per-test scenarios, and a record of requests.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `GET` here answers every request the fake recorded, as JSON (see `recorded_requests`), so
/// a process outside the test (the SDK oracles) can check what FitView sent. Not a path of the
/// real APIs; requests to it are not recorded.
pub const RECORDED_REQUESTS_PATH: &str = "/_fake/requests";

/// One request as the fake received it (auth headers left out).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Path and query.
    pub path: String,
    /// The JSON body, when it was JSON.
    pub body: Option<serde_json::Value>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
}

/// State shared by a fake's handlers and its [`FakeServer`] handle.
#[derive(Debug)]
pub(crate) struct Shared<S> {
    pub(crate) key: String,
    default: Mutex<S>,
    queue: Mutex<VecDeque<S>>,
    requests: Mutex<Vec<RecordedRequest>>,
}

impl<S: Clone + FromStr> Shared<S> {
    pub(crate) fn new(default: S, key: &str) -> Self {
        Self {
            key: key.to_owned(),
            default: Mutex::new(default),
            queue: Mutex::new(VecDeque::new()),
            requests: Mutex::new(Vec::new()),
        }
    }

    /// The scenario for this request: the `x-fake-scenario` header, else the next queued one,
    /// else the default.
    pub(crate) fn scenario(&self, headers: &HeaderMap) -> S {
        if let Some(named) = headers
            .get("x-fake-scenario")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            return named;
        }
        if let Some(next) = lock(&self.queue).pop_front() {
            return next;
        }
        lock(&self.default).clone()
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }
}

impl RecordedRequest {
    /// As JSON: `{"path", "content_type", "body"}` (`body` is `null` when it was not JSON).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "path": self.path,
            "content_type": self.content_type,
            "body": self.body,
        })
    }
}

/// The handler of [`RECORDED_REQUESTS_PATH`]: a JSON array of every recorded request, oldest
/// first.
pub(crate) async fn recorded_requests<S>(State(shared): State<Arc<Shared<S>>>) -> Response {
    let all: Vec<serde_json::Value> = lock(&shared.requests)
        .iter()
        .map(RecordedRequest::to_json)
        .collect();
    match serde_json::to_vec(&all) {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeServer<S> {
    addr: SocketAddr,
    shared: Arc<Shared<S>>,
    task: tokio::task::JoinHandle<()>,
}

impl<S: Clone + FromStr + Send + Sync + 'static> FakeServer<S> {
    pub(crate) async fn serve(
        router: Router,
        shared: Arc<Shared<S>>,
        port: u16,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            // The server only ends when the task is aborted.
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { addr, shared, task })
    }

    /// `http://127.0.0.1:PORT`, the base URL to give a provider or an SDK.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The next request gets `scenario` (queued after earlier pushes).
    pub fn push(&self, scenario: S) {
        lock(&self.shared.queue).push_back(scenario);
    }

    /// Requests after the queue is empty get `scenario`.
    pub fn set_default(&self, scenario: S) {
        *lock(&self.shared.default) = scenario;
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests the fake received.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }
}

impl<S> Drop for FakeServer<S> {
    fn drop(&mut self) {
        self.task.abort();
    }
}
