//! A job whose provider keeps failing is retried with backoff, then dead-lettered: `failed` with
//! its error for the client, kept with its last error for the operator, counted in the metrics.
//! A failure that cannot succeed later is not retried.

use std::time::Duration;

use fitview_engine::provider::mock::{Fault, MockProvider};
use fitview_engine::{Engine, EngineConfig};
use fitview_server::queue::Backoff;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Db, on_both_databases, start_with};

async fn a_job_whose_provider_keeps_failing_is_dead_lettered(db: Db) {
    // One provider call per job attempt, so that the attempts are the queue's.
    let mut config = EngineConfig::default();
    config.retry.max_attempts = 1;
    let mut faults = vec![Fault::ServerError; 3];
    faults.push(Fault::Refusal("IMAGE_SAFETY".into()));
    let engine = Engine::builder()
        .config(config)
        .provider(MockProvider::new().with_faults(faults));
    let server = start_with(db, engine, |c| {
        c.queue.max_attempts = 3;
        c.queue.backoff = Backoff {
            first: Duration::from_millis(20),
            max: Duration::from_millis(50),
        };
    })
    .await;
    let (token, model, product) = server.catalog().await;
    let body = json!({"model_id": model, "product_id": product});

    let (status, job) = server
        .post("/api/v1/tryon", Some(&token), body.clone())
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["job_id"].as_str().unwrap();
    let job = server.wait_job(&token, id).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "unavailable", "{job}");

    let queue = server.state.jobs.queue();
    let dead = queue.dead_letters("tryon", 10).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!((dead[0].id.as_str(), dead[0].attempts), (id, 3));
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("unavailable"),
        "{dead:?}"
    );

    // The provider refuses the next one: no retry, dead after one attempt.
    let (status, job) = server.post("/api/v1/tryon", Some(&token), body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let refused = job["job_id"].as_str().unwrap();
    let job = server.wait_job(&token, refused).await;
    assert_eq!(job["error"]["code"], "content_policy", "{job}");
    let record = queue.get(refused).await.unwrap().unwrap();
    assert_eq!((record.status.as_str(), record.attempts), ("failed", 1));

    let metrics = server.metrics().await;
    for line in [
        "fitview_tryon_dead_letters 2",
        "fitview_queue_dead_letters_total 2",
        "fitview_queue_retries_total 2",
        "fitview_tryon_queue_depth 0",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

on_both_databases!(a_job_whose_provider_keeps_failing_is_dead_lettered);
