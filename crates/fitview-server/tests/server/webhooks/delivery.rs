//! Deliveries: what a receiver gets when a try-on ends, and what the server does with each kind
//! of answer (retry, Retry-After, 410, other 4xx, redirects, timeouts, a server restart).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::receiver::{Answer, Receiver};
use super::signature::{reference_verifies, verifies};
use super::support::{
    attempt_codes, ended_delivery, endpoint, quick, register, restart, send_test, start_in,
};
use crate::common::{Db, on_both_databases, start};

async fn a_finished_tryon_reaches_its_retailers_receiver_signed(db: Db) {
    let server = start(db, quick).await;
    let receiver = Receiver::start(vec![]).await;
    let (token, model, product) = server.catalog().await;
    let (endpoint_id, secret) = register(
        &server,
        &token,
        &receiver.url,
        &["tryon.completed", "tryon.failed"],
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    // Another retailer's receiver hears nothing of this catalog.
    let other_receiver = Receiver::start(vec![]).await;
    let (other, _, _) = server.register("retailer").await;
    register(&server, &other, &other_receiver.url, &["tryon.completed"]).await;

    let (shopper, _, _) = server.register("customer").await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&shopper),
            json!({"model_id": model, "product_id": product}),
        )
        .await;
    assert!(status.is_success(), "{job}");
    let job_id = job["job_id"].as_str().unwrap();
    server.wait_job(&shopper, job_id).await;

    let got = receiver.wait_for(1).await;
    let delivery = &got[0];
    assert_eq!(delivery.path, "/hook");
    assert_eq!(delivery.header("content-type"), "application/json");
    assert!(delivery.header("webhook-id").starts_with("msg_"));
    let sent_at: i64 = delivery.header("webhook-timestamp").parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 300);
    assert!(verifies(&secret, delivery), "{:?}", delivery.headers);
    assert_ne!(reference_verifies(&secret, delivery), Some(false));
    let body = delivery.json();
    assert_eq!(body["type"], "tryon.completed", "{body}");
    assert_eq!(body["data"]["job_id"], job_id, "{body}");
    assert_eq!(body["data"]["product_id"], product.as_str(), "{body}");
    assert_eq!(body["data"]["model_id"], model.as_str(), "{body}");
    assert_eq!(body["data"]["status"], "succeeded", "{body}");
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
    // The wrong secret does not verify.
    let (_, wrong) = register(&server, &other, &other_receiver.url, &["tryon.failed"]).await;
    assert!(!verifies(&wrong, delivery));
    assert_ne!(reference_verifies(&wrong, delivery), Some(true));

    let (status, list) = server
        .get(
            &format!("/api/v1/webhooks/{endpoint_id}/deliveries"),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let deliveries = list["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1, "{list}");
    let record = ended_delivery(
        &server,
        &token,
        &endpoint_id,
        deliveries[0]["id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(record["status"], "succeeded", "{record}");
    assert_eq!(record["message_id"], delivery.header("webhook-id"));
    assert_eq!(attempt_codes(&record), [Some(200)]);
    assert_eq!(
        record["attempts"][0]["response_excerpt"],
        "receiver says hello"
    );
    assert!(other_receiver.received().is_empty());
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("fitview_webhook_deliveries_total 1"),
        "{metrics}"
    );
}

async fn a_failed_tryon_is_announced_as_failed(db: Db) {
    use fitview_engine::Engine;
    use fitview_engine::provider::mock::{Fault, MockProvider};
    let engine = Engine::builder()
        .provider(MockProvider::new().with_faults(vec![Fault::Refusal("IMAGE_SAFETY".into())]));
    let server = crate::common::start_with(db, engine, quick).await;
    let receiver = Receiver::start(vec![]).await;
    let (token, model, product) = server.catalog().await;
    let (_, secret) = register(&server, &token, &receiver.url, &["tryon.failed"]).await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model, "product_id": product}),
        )
        .await;
    assert!(status.is_success(), "{job}");
    let job = server
        .wait_job(&token, job["job_id"].as_str().unwrap())
        .await;
    assert_eq!(job["status"], "failed", "{job}");
    let got = receiver.wait_for(1).await;
    let body = got[0].json();
    assert_eq!(body["type"], "tryon.failed", "{body}");
    assert_eq!(body["data"]["status"], "failed", "{body}");
    assert_eq!(body["data"]["error_code"], "content_policy", "{body}");
    assert!(verifies(&secret, &got[0]));
}

async fn failures_are_retried_with_the_same_id_and_retry_after_is_honoured(db: Db) {
    let server = start(db, quick).await;
    let receiver = Receiver::start(vec![
        Answer::status(500),
        Answer::status(503),
        Answer::status(429).with_header("retry-after", "1"),
        Answer::status(204),
    ])
    .await;
    let (token, _, _) = server.register("retailer").await;
    let (endpoint_id, secret) =
        register(&server, &token, &receiver.url, &["tryon.completed"]).await;
    let delivery = send_test(&server, &token, &endpoint_id).await;
    let got = receiver.wait_for(4).await;
    let record = ended_delivery(&server, &token, &endpoint_id, &delivery).await;
    assert_eq!(record["status"], "succeeded", "{record}");
    assert_eq!(
        attempt_codes(&record),
        [Some(500), Some(503), Some(429), Some(204)]
    );
    assert_eq!(got.len(), 4);
    let id = got[0].header("webhook-id");
    assert!(got.iter().all(|d| d.header("webhook-id") == id));
    assert!(got.iter().all(|d| verifies(&secret, d)));
    assert_eq!(got[0].json()["type"], "webhook.test");
    // The receiver asked for a second after its 429; the schedule alone waits 50 ms.
    let waited = got[3].at - got[2].at;
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("fitview_webhook_retries_total 3"),
        "{metrics}"
    );
}

async fn gone_disables_and_other_refusals_are_not_retried(db: Db) {
    let server = start(db, |c| {
        quick(c);
        c.webhooks.timeout = Duration::from_millis(500);
    })
    .await;
    let (token, _, _) = server.register("retailer").await;

    // 410: the endpoint is disabled, nothing more is sent to it.
    let gone = Receiver::start(vec![Answer::status(410)]).await;
    let (gone_id, _) = register(&server, &token, &gone.url, &["tryon.completed"]).await;
    let delivery = send_test(&server, &token, &gone_id).await;
    let record = ended_delivery(&server, &token, &gone_id, &delivery).await;
    assert_eq!(record["status"], "failed", "{record}");
    assert_eq!(attempt_codes(&record), [Some(410)]);
    let (_, view) = endpoint(&server, &token, &gone_id).await;
    assert_eq!(view["enabled"], false, "{view}");
    assert!(
        view["disabled_reason"].as_str().unwrap().contains("410"),
        "{view}"
    );
    let (status, body) = server
        .post(
            &format!("/api/v1/webhooks/{gone_id}/test"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // The retailer turns it on again.
    let (status, view) = server
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{gone_id}"),
            Some(&token),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["enabled"], true, "{view}");
    let again = send_test(&server, &token, &gone_id).await;
    let record = ended_delivery(&server, &token, &gone_id, &again).await;
    assert_eq!(record["status"], "succeeded", "{record}");

    // Another 4xx: failed after one attempt.
    let refusing = Receiver::start(vec![Answer::status(400)]).await;
    let (refusing_id, _) = register(&server, &token, &refusing.url, &["tryon.completed"]).await;
    let delivery = send_test(&server, &token, &refusing_id).await;
    let record = ended_delivery(&server, &token, &refusing_id, &delivery).await;
    assert_eq!(record["status"], "failed", "{record}");
    assert_eq!(attempt_codes(&record), [Some(400)]);

    // A redirect is not followed.
    let elsewhere = Receiver::start(vec![]).await;
    let redirecting = Receiver::start(vec![
        Answer::status(307).with_header("location", &elsewhere.url),
    ])
    .await;
    let (redirect_id, _) = register(&server, &token, &redirecting.url, &["tryon.completed"]).await;
    let delivery = send_test(&server, &token, &redirect_id).await;
    let record = ended_delivery(&server, &token, &redirect_id, &delivery).await;
    assert_eq!(record["status"], "failed", "{record}");
    assert_eq!(attempt_codes(&record), [Some(307)]);

    // A receiver slower than the timeout: the attempt times out and the next one lands.
    let slow = Receiver::start(vec![Answer::status(200).after(Duration::from_secs(3))]).await;
    let (slow_id, _) = register(&server, &token, &slow.url, &["tryon.completed"]).await;
    let delivery = send_test(&server, &token, &slow_id).await;
    let record = ended_delivery(&server, &token, &slow_id, &delivery).await;
    assert_eq!(record["status"], "succeeded", "{record}");
    assert_eq!(attempt_codes(&record), [None, Some(200)]);
    let error = record["attempts"][0]["error"].as_str().unwrap();
    assert!(error.contains("timed out"), "{error}");

    assert_eq!(refusing.received().len(), 1);
    assert_eq!(redirecting.received().len(), 1);
    assert!(elsewhere.received().is_empty());
    assert_eq!(gone.received().len(), 2);
}

async fn a_pending_delivery_is_sent_after_a_restart(db: Db) {
    // A port with nobody listening: the first attempt cannot connect.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let (server, stop, config, _dir) = start_in(db, |c| {
        quick(c);
        c.webhooks.retry_schedule = vec![Duration::from_secs(2); 3];
    })
    .await;
    let (token, _, _) = server.register("retailer").await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let (endpoint_id, secret) = register(&server, &token, &url, &["tryon.completed"]).await;
    let delivery = send_test(&server, &token, &endpoint_id).await;
    for _ in 0..400 {
        let (_, list) = server
            .get(
                &format!("/api/v1/webhooks/{endpoint_id}/deliveries"),
                &token,
            )
            .await;
        if list["deliveries"][0]["attempts"].as_array().unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The server stops with the delivery waiting for its retry; the receiver comes up; a new
    // process on the same database sends it.
    let (server, _stop) = restart(server, stop, config, |_| {}).await;
    let receiver = Receiver::start_on(port, vec![]).await;
    let got = receiver.wait_for(1).await;
    assert!(verifies(&secret, &got[0]));
    let record = ended_delivery(&server, &token, &endpoint_id, &delivery).await;
    assert_eq!(record["status"], "succeeded", "{record}");
    assert_eq!(attempt_codes(&record), [None, Some(200)]);
    let error = record["attempts"][0]["error"].as_str().unwrap();
    assert!(error.contains("could not connect"), "{error}");
}

on_both_databases!(
    a_finished_tryon_reaches_its_retailers_receiver_signed,
    a_failed_tryon_is_announced_as_failed,
    failures_are_retried_with_the_same_id_and_retry_after_is_honoured,
    gone_disables_and_other_refusals_are_not_retried,
    a_pending_delivery_is_sent_after_a_restart,
);
