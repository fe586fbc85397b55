//! Endpoints: who may register them, what is refused (SSRF, unknown events), the secret shown
//! once and rotated with a grace period, another retailer's endpoints out of reach, and an
//! address refused again at delivery.

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::Row as _;

use super::receiver::Receiver;
use super::signature::{reference_verifies, verifies};
use super::support::{
    attempt_codes, ended_delivery, endpoint, quick, register, restart, send_test, start_in,
};
use crate::common::{Db, on_both_databases, start};

async fn private_and_plain_http_destinations_are_refused(db: Db) {
    let server = start(db, |_| {}).await;
    let (token, _, _) = server.register("retailer").await;
    for url in [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost:8443/hook",
    ] {
        let (status, body) = server
            .post(
                "/api/v1/webhooks",
                Some(&token),
                json!({"url": url, "events": ["tryon.completed"]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("not a public address"), "{url}: {message}");
    }
    for (url, says) in [
        ("http://hooks.example.com/", "https"),
        ("https://user:pw@hooks.example.com/", "user name"),
        ("hooks.example.com", "cannot be read"),
    ] {
        let (status, body) = server
            .post(
                "/api/v1/webhooks",
                Some(&token),
                json!({"url": url, "events": ["tryon.completed"]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{url}: {message}");
    }
    let (_, list) = server.get("/api/v1/webhooks", &token).await;
    assert_eq!(list["endpoints"], json!([]), "{list}");
}

async fn an_address_allowed_once_is_refused_again_at_delivery(db: Db) {
    // Registered while private receivers were allowed, delivered after they no longer are: the
    // address is checked again when the delivery goes out (a name through the resolver).
    let receiver = Receiver::start(vec![]).await;
    let (server, stop, config, _dir) = start_in(db, quick).await;
    let (token, _, _) = server.register("retailer").await;
    let by_name = format!("https://localhost:{}/hook", receiver.port);
    let (named, _) = register(&server, &token, &by_name, &["tryon.completed"]).await;
    let (literal, _) = register(&server, &token, &receiver.url, &["tryon.completed"]).await;
    let (server, _stop) = restart(server, stop, config, |c| c.webhooks.allow_private = false).await;
    for (endpoint_id, says) in [(named, "not a public address"), (literal, "https")] {
        let delivery = send_test(&server, &token, &endpoint_id).await;
        let record = ended_delivery(&server, &token, &endpoint_id, &delivery).await;
        assert_eq!(record["status"], "failed", "{record}");
        assert_eq!(attempt_codes(&record), [None], "not retried: {record}");
        let error = record["attempts"][0]["error"].as_str().unwrap();
        assert!(error.contains(says), "{error}");
    }
    assert!(receiver.received().is_empty());
}

async fn endpoints_belong_to_their_retailer(db: Db) {
    let server = start(db, |c| {
        quick(c);
        c.webhooks.max_endpoints = 2;
    })
    .await;
    let receiver = Receiver::start(vec![]).await;
    let (token, _, _) = server.register("retailer").await;
    let new = json!({"url": receiver.url, "events": ["tryon.completed"]});

    // Shoppers, administrators and strangers cannot.
    let (status, _) = server.post("/api/v1/webhooks", None, new.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (shopper, _, _) = server.register("customer").await;
    let (status, _) = server
        .post("/api/v1/webhooks", Some(&shopper), new.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = server.admin_token().await;
    let (status, _) = server.get("/api/v1/webhooks", &admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // What is refused.
    for (body, says) in [
        (json!({"url": receiver.url, "events": []}), "at least one"),
        (
            json!({"url": receiver.url, "events": ["order.shipped"]}),
            "unknown event type",
        ),
        (
            json!({"url": receiver.url, "events": ["webhook.test"]}),
            "unknown event type",
        ),
        (
            json!({"url": receiver.url, "events": ["tryon.failed"], "description": "a\u{202e}b"}),
            "description",
        ),
    ] {
        let (status, answer) = server.post("/api/v1/webhooks", Some(&token), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    }

    // The secret is shown when created and never again.
    let (status, created) = server
        .post(
            "/api/v1/webhooks",
            Some(&token),
            json!({"url": receiver.url, "events": ["tryon.completed", "tryon.completed"],
                   "description": "order system"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(created["events"], json!(["tryon.completed"]), "{created}");
    assert_eq!(created["enabled"], true);
    let (status, one) = endpoint(&server, &token, &id).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert!(one.get("secret").is_none(), "{one}");
    assert_eq!(one["description"], "order system");
    let (_, list) = server.get("/api/v1/webhooks", &token).await;
    assert!(!list.to_string().contains(&secret), "{list}");

    // At most two endpoints in this server's configuration.
    register(&server, &token, &receiver.url, &["tryon.failed"]).await;
    let (status, body) = server.post("/api/v1/webhooks", Some(&token), new).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Another retailer sees none of it and can change none of it.
    let (other, _, _) = server.register("retailer").await;
    let (_, theirs) = server.get("/api/v1/webhooks", &other).await;
    assert_eq!(theirs["endpoints"], json!([]));
    for (method, path) in [
        (Method::GET, format!("/api/v1/webhooks/{id}")),
        (Method::PATCH, format!("/api/v1/webhooks/{id}")),
        (Method::DELETE, format!("/api/v1/webhooks/{id}")),
        (Method::POST, format!("/api/v1/webhooks/{id}/rotate-secret")),
        (Method::POST, format!("/api/v1/webhooks/{id}/test")),
        (Method::GET, format!("/api/v1/webhooks/{id}/deliveries")),
    ] {
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let (status, answer) = server.call(method.clone(), &path, Some(&other), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }

    // A rotation: deliveries are signed with the new secret and, for the grace period, the old.
    let (status, rotated) = server
        .post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["previous_valid_until"].as_str().is_some());
    send_test(&server, &token, &id).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].header("webhook-signature").split(' ').count(), 2);
    for key in [&secret, &new_secret] {
        assert!(verifies(key, &got[0]));
        assert_ne!(reference_verifies(key, &got[0]), Some(false));
    }

    // Deleted: gone for its retailer.
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = endpoint(&server, &token, &id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_deleted_retailer_takes_its_endpoints_along(db: Db) {
    let server = start(db, quick).await;
    let receiver = Receiver::start(vec![]).await;
    let (token, retailer, _) = server.register("retailer").await;
    let (id, _) = register(&server, &token, &receiver.url, &["tryon.completed"]).await;
    let delivery = send_test(&server, &token, &id).await;
    ended_delivery(&server, &token, &id, &delivery).await;
    let (status, _) = server
        .call(Method::DELETE, "/api/v1/me", Some(&token), None)
        .await;
    assert!(status.is_success(), "{status}");
    for table in [
        "webhook_endpoints",
        "webhook_deliveries",
        "webhook_attempts",
    ] {
        let row = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&server.state.db)
            .await
            .unwrap();
        assert_eq!(row.get::<i64, _>(0), 0, "{table} of {retailer}");
    }
}

on_both_databases!(
    private_and_plain_http_destinations_are_refused,
    an_address_allowed_once_is_refused_again_at_delivery,
    endpoints_belong_to_their_retailer,
    a_deleted_retailer_takes_its_endpoints_along,
);
