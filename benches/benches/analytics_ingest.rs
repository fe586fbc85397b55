//! Sustained event ingestion into SQLite through the real server and its buffer (issue 14), and
//! the retailer's queries over what was ingested.
//!
//! A release `fitview-server` state on a temporary SQLite database (the defaults: flush at 100
//! events or every 5 minutes, 50,000 events buffered at most) serving on 127.0.0.1; one
//! retailer with `PRODUCTS` products, `SHOPPERS` shoppers; `CLIENTS` HTTP clients each send
//! batches of 500 events (`product_viewed`, `cart_added`, with sizes, over the last 30 days) until
//! `EVENTS` were accepted, retrying a 429 (back-pressure) after a millisecond. The clock runs from
//! the first batch until the last event is written: events per second written to SQLite.
//! Then `QUERIES` requests each of `GET /api/v1/analytics/products` and `/funnel`, each with a
//! different range so that none is answered from the cache: p50/p95/max milliseconds.
//!
//! `EVENTS=200000 cargo bench -p fitview-benches --bench analytics_ingest`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fitview_engine::Engine;
use fitview_engine::provider::mock::MockProvider;
use fitview_server::{AppState, ServerConfig};
use serde_json::{Value, json};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut request = client.post(url).json(&body);
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

async fn register(
    client: &reqwest::Client,
    base: &str,
    role: &str,
    n: usize,
) -> Option<(String, String)> {
    let (status, body) = post(
        client,
        &format!("{base}/api/v1/auth/register"),
        None,
        json!({"email": format!("{role}{n}@bench.test"), "password": "a good password", "role": role}),
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

fn percentiles(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    )
}

async fn run() -> Option<()> {
    let events = env("EVENTS", 200_000);
    let clients = env("CLIENTS", 8);
    let products = env("PRODUCTS", 200);
    let shoppers = env("SHOPPERS", 50);
    let queries = env("QUERIES", 50);
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
    let client = reqwest::Client::new();

    let (retailer, _) = register(&client, &base, "retailer", 0).await?;
    let mut product_ids = Vec::new();
    for p in 0..products {
        let (status, body) = post(
            &client,
            &format!("{base}/api/v1/products"),
            Some(&retailer),
            json!({"name": format!("Product {p}"), "description": "bench", "category": "shirts",
                   "garment_category": "top", "sizes": ["S", "M", "L"], "price_cents": 1000,
                   "currency": "EUR", "stock": 10}),
        )
        .await;
        if status != 201 {
            eprintln!("product: {status} {body}");
            return None;
        }
        product_ids.push(body["id"].as_str()?.to_owned());
    }
    let mut tokens = Vec::new();
    for s in 0..shoppers {
        tokens.push(register(&client, &base, "customer", s).await?.0);
    }
    let product_ids = Arc::new(product_ids);
    let tokens = Arc::new(tokens);
    let sent = Arc::new(AtomicU64::new(0));
    let retries = Arc::new(AtomicU64::new(0));
    let batches = events / 500;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, base) = (client.clone(), base.clone());
        let (product_ids, tokens, sent, retries) = (
            product_ids.clone(),
            tokens.clone(),
            sent.clone(),
            retries.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut b = c;
            while b < batches {
                let token = &tokens[b % tokens.len()];
                let batch: Vec<Value> = (0..500)
                    .map(|i| {
                        let n = b * 500 + i;
                        let at = chrono::Utc::now()
                            - chrono::Duration::minutes((n % (30 * 24 * 60)) as i64);
                        let kind = if n % 4 == 0 {
                            "cart_added"
                        } else {
                            "product_viewed"
                        };
                        let size = ["S", "M", "L"][n % 3];
                        json!({"id": uuid::Uuid::new_v4().to_string(), "type": kind,
                               "product_id": product_ids[n % product_ids.len()],
                               "size": size, "occurred_at": at.to_rfc3339()})
                    })
                    .collect();
                let body = json!({ "events": batch });
                loop {
                    let (status, answer) = post(
                        &client,
                        &format!("{base}/api/v1/events"),
                        Some(token),
                        body.clone(),
                    )
                    .await;
                    match status {
                        202 => break,
                        429 => {
                            retries.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        _ => {
                            eprintln!("events: {status} {answer}");
                            return;
                        }
                    }
                }
                sent.fetch_add(500, Ordering::Relaxed);
                b += clients;
            }
        }));
    }
    for task in tasks {
        task.await.ok()?;
    }
    let accepted_in = started.elapsed();
    let total = sent.load(Ordering::Relaxed);
    let written = &state.metrics.analytics.written;
    while written.load(Ordering::Relaxed) < total {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let written_in = started.elapsed();
    println!(
        "ingestion: {total} events accepted in {:.2} s, written in {:.2} s: {:.0} events/s into SQLite ({} batches retried after 429, flushes {})",
        accepted_in.as_secs_f64(),
        written_in.as_secs_f64(),
        total as f64 / written_in.as_secs_f64(),
        retries.load(Ordering::Relaxed),
        state.metrics.analytics.flushes.load(Ordering::Relaxed),
    );

    let today = chrono::Utc::now().date_naive();
    for route in ["products", "funnel"] {
        let mut ms = Vec::new();
        for q in 0..queries {
            // A different range each time: no answer comes from the cache.
            let from = today - chrono::Days::new(30 + q as u64);
            let url = format!("{base}/api/v1/analytics/{route}?from={from}");
            let t = Instant::now();
            let response = client.get(&url).bearer_auth(&retailer).send().await.ok()?;
            let ok = response.status().is_success();
            let _ = response.bytes().await;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            if !ok {
                eprintln!("{route}: failed");
                return None;
            }
        }
        println!(
            "{route} over {total} events ({queries} requests): {}",
            percentiles(ms)
        );
    }
    state.shutdown().await;
    Some(())
}

fn main() {
    // The HTTP client's TLS provider (unused on plain HTTP, but the client wants one).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("cannot start a runtime: {error}");
            return;
        }
    };
    if runtime.block_on(run()).is_none() {
        eprintln!("the benchmark did not finish");
        std::process::exit(1);
    }
}
