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

mod server_harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server_harness::{Bench, env, percentiles};

async fn run() -> Option<()> {
    let events = env("EVENTS", 200_000);
    let clients = env("CLIENTS", 8);
    let products = env("PRODUCTS", 200);
    let shoppers = env("SHOPPERS", 50);
    let queries = env("QUERIES", 50);
    let bench = Arc::new(Bench::start().await?);
    let (retailer, _) = bench.register("retailer", 0).await?;
    let product_ids = Arc::new(bench.products(&retailer, products).await?);
    let mut tokens = Vec::new();
    for s in 0..shoppers {
        tokens.push(bench.register("customer", s).await?.0);
    }
    let tokens = Arc::new(tokens);
    let sent = Arc::new(AtomicU64::new(0));
    let retries = Arc::new(AtomicU64::new(0));
    let batches = events / 500;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (bench, product_ids, tokens, sent, retries) = (
            bench.clone(),
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
                    let (status, answer) = bench.post("/api/v1/events", Some(token), &body).await;
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
    let written = &bench.state.metrics.analytics.written;
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
        bench
            .state
            .metrics
            .analytics
            .flushes
            .load(Ordering::Relaxed),
    );

    let today = chrono::Utc::now().date_naive();
    for route in ["products", "funnel"] {
        let mut ms = Vec::new();
        for q in 0..queries {
            // A different range each time: no answer comes from the cache.
            let from = today - chrono::Days::new(30 + q as u64);
            ms.push(
                bench
                    .time_get(&format!("/api/v1/analytics/{route}?from={from}"), &retailer)
                    .await?,
            );
        }
        println!(
            "{route} over {total} events ({queries} requests): {}",
            percentiles(ms)
        );
    }
    bench.state.shutdown().await;
    Some(())
}

fn main() {
    server_harness::main_with(run());
}
