//! A job's status as Server-Sent Events (`GET /api/v1/tryon/{id}/events`): from where it stands
//! until it ends, for its owner only, and across servers through Redis pub/sub.

use std::time::Duration;

use fitview_engine::Engine;
use fitview_engine::provider::mock::MockProvider;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Db, TestServer, on_both_databases, start_with};

/// The `status` events of a stream, read until the server ends it (a test that waits longer
/// than a minute has failed).
async fn read_status_events(server: &TestServer, token: &str, job: &str) -> Vec<Value> {
    let response = server
        .client
        .get(format!("{}/api/v1/tryon/{job}/events", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut text = String::new();
    let mut body = response.bytes_stream();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    })
    .await;
    assert!(read.is_ok(), "the stream did not end: {text}");
    assert!(
        text.contains("retry: 1000\n"),
        "clients reconnect after a second: {text}"
    );
    text.split("\n\n")
        .filter(|block| {
            block
                .lines()
                .any(|l| l == "event: status" || l == "event:status")
        })
        .map(|block| {
            let data: String = block
                .lines()
                .filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
                .collect();
            serde_json::from_str(&data).unwrap()
        })
        .collect()
}

fn statuses(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_owned())
        .collect()
}

fn slow_engine() -> fitview_engine::EngineBuilder {
    Engine::builder().provider(MockProvider::new().with_latency(Duration::from_millis(1500)))
}

async fn a_job_streams_its_status_until_it_ends(db: Db) {
    let server = start_with(db, slow_engine(), |_| {}).await;
    let (token, model, product) = server.catalog().await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model, "product_id": product, "wait_ms": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["job_id"].as_str().unwrap();

    // Only its owner may listen.
    let (stranger, _, _) = server.register("customer").await;
    let (status, _) = server
        .get(&format!("/api/v1/tryon/{id}/events"), &stranger)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let anonymous = server
        .client
        .get(format!("{}/api/v1/tryon/{id}/events", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let events = read_status_events(&server, &token, id).await;
    let seen = statuses(&events);
    assert_eq!(
        seen.last().map(String::as_str),
        Some("succeeded"),
        "{seen:?}"
    );
    assert!(seen.len() >= 2, "it was watched while it ran: {seen:?}");
    assert!(
        ["queued", "running"].contains(&seen[0].as_str()),
        "{seen:?}"
    );
    let mut deduplicated = seen.clone();
    deduplicated.dedup();
    assert_eq!(deduplicated, seen, "each status once");
    // The last event is the job as GET /tryon/{id} shows it.
    let (_, shown) = server.get(&format!("/api/v1/tryon/{id}"), &token).await;
    assert_eq!(events.last().unwrap(), &shown);
    assert!(shown["result"]["images"][0]["url"].is_string(), "{shown}");

    // A job that has ended streams its last status and ends at once.
    let again = read_status_events(&server, &token, id).await;
    assert_eq!(statuses(&again), ["succeeded"]);
}

on_both_databases!(a_job_streams_its_status_until_it_ends);

/// Two servers on one PostgreSQL and one Redis: a job taken by one is watched from the other,
/// which never looks at the database on its own (its recheck is an hour) and whose worker never
/// claims (it looks for work every hour), so only Redis can tell it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_on_one_server_hears_of_a_job_another_server_ran() {
    let test = "a_stream_on_one_server_hears_of_a_job_another_server_ran";
    let (Some(Db::Postgres(postgres)), Ok(redis)) =
        (Db::postgres(test), std::env::var("FITVIEW_TEST_REDIS_URL"))
    else {
        eprintln!("SKIPPED {test}: needs FITVIEW_TEST_POSTGRES_URL and FITVIEW_TEST_REDIS_URL");
        return;
    };
    let database = Db::Postgres(postgres.clone()).server_url().await;
    let prefix = format!("fitview-test-{}:", uuid::Uuid::new_v4().simple());
    let shared = |c: &mut fitview_server::ServerConfig| {
        c.database_url = database.clone();
        c.engine.cache.redis_url = Some(redis.clone());
        c.engine.cache.key_prefix = prefix.clone();
    };
    let worker = start_with(Db::Postgres(postgres.clone()), slow_engine(), shared).await;
    let watcher = start_with(Db::Postgres(postgres), slow_engine(), |c| {
        shared(c);
        c.limits.status_recheck = Duration::from_secs(3600);
        c.queue.poll_interval = Duration::from_secs(3600);
    })
    .await;

    let (token, model, product) = worker.catalog().await;
    let (status, job) = worker
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model, "product_id": product, "wait_ms": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["job_id"].as_str().unwrap();
    let events = read_status_events(&watcher, &token, id).await;
    let seen = statuses(&events);
    assert_eq!(
        seen.last().map(String::as_str),
        Some("succeeded"),
        "{seen:?}"
    );
    let record = worker.state.jobs.queue().get(id).await.unwrap();
    assert!(
        record.is_none(),
        "the worker server finished it: {record:?}"
    );
}
