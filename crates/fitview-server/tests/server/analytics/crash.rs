//! `kill -9` of a server holding buffered events loses those events and nothing else: what was
//! flushed stays, and a client that sends its batch again after the crash (same event ids)
//! gets every event stored once.

use std::time::Duration;

use serde_json::{Value, json};

use super::shop::{id, send_ok};
use crate::common::{Db, TestServer, on_both_databases, start};
use crate::durable::process::{Launch, ServerProcess};

async fn stored(server: &TestServer) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM analytics_events")
        .fetch_one(&server.state.db)
        .await
        .unwrap();
    n
}

/// The value of a metric line `name N` of `/metrics`.
fn metric(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} in\n{metrics}"))
        .parse()
        .unwrap()
}

async fn kill_9_loses_only_the_buffer_and_a_resend_restores_it(db: Db) {
    let shop = start(db, |_| {}).await;
    let (_, _, product) = shop.catalog().await;
    let (shopper, _, _) = shop.register("customer").await;
    shop.state.shutdown().await;
    let data_dir = shop.state.config.data_dir.clone();
    let database_url = shop.state.config.database_url();
    let launch = Launch {
        data_dir: &data_dir,
        store: &data_dir,
        database_url: &database_url,
        latency_ms: 0,
        workers: 1,
        lease_secs: 600,
        // A flush every 100 events, never by time within the test.
        extra_args: &[
            "--analytics-flush-events",
            "100",
            "--analytics-flush-secs",
            "3600",
        ],
    };
    let events: Vec<Value> = (0..250)
        .map(|_| json!({"id": id(), "type": "product_viewed", "product_id": product}))
        .collect();

    let first = ServerProcess::start(&launch).await;
    let api = first.client(&shop);
    // 200 events: flushed, as 100 are reached (a flush takes what is waiting).
    for batch in events[..200].chunks(50) {
        send_ok(&api, &shopper, batch.to_vec()).await;
    }
    for _ in 0..400 {
        if stored(&shop).await == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(stored(&shop).await, 200);
    // 50 more wait in the buffer for the 100th.
    send_ok(&api, &shopper, events[200..].to_vec()).await;
    let metrics = api.metrics().await;
    assert_eq!(metric(&metrics, "fitview_analytics_buffered_events"), 50);
    first.kill_9();
    assert_eq!(
        stored(&shop).await,
        200,
        "what was flushed stays; the buffer is lost"
    );

    // The client had no confirmation that its events were written: it sends them all again.
    let second = ServerProcess::start(&launch).await;
    let api = second.client(&shop);
    for batch in events.chunks(50) {
        send_ok(&api, &shopper, batch.to_vec()).await;
    }
    // The 200 stored change nothing; the lost 50 are written by a flush or, at the latest, by
    // the graceful stop.
    second.stop();
    assert_eq!(stored(&shop).await, 250, "every event once");
}

on_both_databases!(kill_9_loses_only_the_buffer_and_a_resend_restores_it);
