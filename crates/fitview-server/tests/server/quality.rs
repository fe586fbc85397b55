//! Results that fail the engine's quality checks: shown to the user who asked, with the checks
//! they failed, but never served from the cache — asking again makes them again.

use std::sync::Arc;

use crate::common::{Db, TestServer, on_both_databases, start_with};
use fitview_engine::Engine;
use fitview_engine::provider::mock::{Fault, MockProvider};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A server whose mock answers its first `blank` calls (try-ons and variations alike) with a
/// blank image.
async fn server_with_blank_answers(db: Db, blank: usize) -> (TestServer, Arc<MockProvider>) {
    let mock = Arc::new(MockProvider::new().with_faults(std::iter::repeat_n(Fault::Blank, blank)));
    let engine = Engine::builder()
        .shared_provider(mock.clone())
        .style_provider(mock.clone());
    (start_with(db, engine, |_| {}).await, mock)
}

fn check_names(view: &Value) -> Vec<&str> {
    view["failed_checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

async fn a_flagged_try_on_is_shown_with_its_checks_but_never_cached(db: Db) {
    // Two blank answers: the first try and the engine's one retry with a new seed.
    let (server, mock) = server_with_blank_answers(db, 2).await;
    let (_, model_id, product_id) = server.catalog().await;
    let (token, _, _) = server.register("customer").await;
    let body = json!({"model_id": model_id, "product_id": product_id, "wait_ms": 30000});

    let (status, flagged) = server
        .post("/api/v1/tryon", Some(&token), body.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{flagged}");
    assert_eq!(flagged["status"], "succeeded");
    assert!(check_names(&flagged).contains(&"not_blank"), "{flagged}");
    let check = &flagged["failed_checks"][0];
    assert!(
        check["value"].is_number() && check["threshold"].is_number(),
        "{check}"
    );
    let url = flagged["result"]["images"][0]["url"].as_str().unwrap();
    let image = server.fetch_image(url).await.to_rgb8();
    assert!(
        image.pixels().all(|p| p == image.get_pixel(0, 0)),
        "the user sees what was made"
    );
    assert_eq!(mock.calls(), 2);
    // Polling the job says the same.
    let job_id = flagged["job_id"].as_str().unwrap();
    let (_, polled) = server.get(&format!("/api/v1/tryon/{job_id}"), &token).await;
    assert_eq!(polled["failed_checks"], flagged["failed_checks"]);

    // Asked again: made again (not served from the cache), and good this time.
    let (status, again) = server
        .post("/api/v1/tryon", Some(&token), body.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["cached"], false);
    assert_eq!(again["failed_checks"], json!([]));
    assert_eq!(mock.calls(), 3);
    // The good result is what the cache serves from now on.
    let (status, third) = server.post("/api/v1/tryon", Some(&token), body).await;
    assert_eq!(status, StatusCode::OK, "{third}");
    assert_eq!(third["cached"], true);
    assert_eq!(third["result"], again["result"]);
    assert_eq!(mock.calls(), 3);

    let metrics = server.metrics().await;
    assert!(
        metrics.contains("fitview_flagged_results_total 1"),
        "{metrics}"
    );
}

async fn flagged_variations_are_returned_with_their_checks_and_made_again(db: Db) {
    let (server, mock) = server_with_blank_answers(db, 0).await;
    let (_, model_id, product_id) = server.catalog().await;
    let (token, _, _) = server.register("customer").await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model_id, "product_id": product_id, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["failed_checks"], json!([]));
    let path = format!(
        "/api/v1/tryon/{}/variations",
        job["job_id"].as_str().unwrap()
    );
    assert_eq!(mock.calls(), 1);
    // The variation and the engine's retry with a new seed come back blank.
    mock.queue_faults([Fault::Blank, Fault::Blank]);

    let (status, party) = server
        .post(&path, Some(&token), json!({"style": "party"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{party}");
    assert_eq!(party["cached"], false);
    assert!(check_names(&party).contains(&"not_blank"), "{party}");
    assert_eq!(party["images"].as_array().unwrap().len(), 1);
    assert_eq!(mock.calls(), 3);

    // Asked again: made again, good this time, then served from storage.
    let (status, again) = server
        .post(&path, Some(&token), json!({"style": "party"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["cached"], false);
    assert_eq!(again["failed_checks"], json!([]));
    assert_eq!(mock.calls(), 4);
    let (status, stored) = server
        .post(&path, Some(&token), json!({"style": "party"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["cached"], true);
    assert_eq!(mock.calls(), 4);
}

on_both_databases!(
    a_flagged_try_on_is_shown_with_its_checks_but_never_cached,
    flagged_variations_are_returned_with_their_checks_and_made_again,
);
