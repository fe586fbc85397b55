//! What the server benchmarks share: a release `fitview-server` on a temporary SQLite database
//! serving on 127.0.0.1, requests to it, and percentiles of what was timed.

use std::time::Instant;

use fitview_engine::Engine;
use fitview_engine::provider::mock::MockProvider;
use fitview_server::{AppState, ServerConfig};
use serde_json::{Value, json};

/// A number from the environment, else `default`.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A running server and a client to speak to it.
pub struct Bench {
    pub state: AppState,
    pub base: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Bench {
    /// Starts a server on a fresh SQLite database with the default settings.
    pub async fn start() -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let mut config = ServerConfig::new(dir.path());
        config.jwt_secret = Some("bench-secret-of-at-least-thirty-two-bytes".to_owned());
        config.rate_limits.register_per_minute = 100_000;
        let state = AppState::with_engine(config, Engine::builder().provider(MockProvider::new()))
            .await
            .ok()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.ok()?;
        let base = format!("http://{}", listener.local_addr().ok()?);
        tokio::spawn(fitview_server::serve(
            listener,
            state.clone(),
            std::future::pending(),
        ));
        Some(Self {
            state,
            base,
            client: reqwest::Client::new(),
            _dir: dir,
        })
    }

    /// POSTs `body` to `path`: the status (0 when the request failed) and the JSON answer.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            Err(error) => {
                eprintln!("request failed: {error}");
                (0, Value::Null)
            }
        }
    }

    /// Registers account `n` of `role`: its token and id.
    pub async fn register(&self, role: &str, n: usize) -> Option<(String, String)> {
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                None,
                &json!({"email": format!("{role}{n}@bench.test"), "password": "a good password",
                        "role": role}),
            )
            .await;
        if status != 201 {
            eprintln!("register: {status} {body}");
            return None;
        }
        Some((
            body["access_token"].as_str()?.to_owned(),
            body["user"]["id"].as_str()?.to_owned(),
        ))
    }

    /// Creates `n` products of the retailer: their ids.
    pub async fn products(&self, retailer: &str, n: usize) -> Option<Vec<String>> {
        let mut ids = Vec::with_capacity(n);
        for p in 0..n {
            let (status, body) = self
                .post(
                    "/api/v1/products",
                    Some(retailer),
                    &json!({"name": format!("Product {p}"), "description": "bench",
                            "category": "shirts", "garment_category": "top",
                            "sizes": ["S", "M", "L"], "price_cents": 1000, "currency": "EUR",
                            "stock": 10}),
                )
                .await;
            if status != 201 {
                eprintln!("product: {status} {body}");
                return None;
            }
            ids.push(body["id"].as_str()?.to_owned());
        }
        Some(ids)
    }

    /// Milliseconds of one GET of `path` (None when it failed).
    pub async fn time_get(&self, path: &str, token: &str) -> Option<f64> {
        let started = Instant::now();
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .ok()?;
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        if !status.is_success() {
            eprintln!(
                "{path}: {status} after {:.0} ms: {}",
                started.elapsed().as_secs_f64() * 1e3,
                String::from_utf8_lossy(&body)
            );
            return None;
        }
        Some(started.elapsed().as_secs_f64() * 1e3)
    }
}

/// `p50 …, p95 …, max …` of milliseconds.
pub fn percentiles(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    )
}

/// A multi-threaded runtime running `run`; exits 1 when it gives up.
pub fn main_with(run: impl std::future::Future<Output = Option<()>>) {
    // The HTTP client's TLS provider (unused on plain HTTP, but the client wants one).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("cannot start a runtime: {error}");
            std::process::exit(1);
        }
    };
    if runtime.block_on(run).is_none() {
        eprintln!("the benchmark did not finish");
        std::process::exit(1);
    }
}
