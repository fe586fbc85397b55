//! `POST /api/v1/events`: per-event errors, role rules, batch bounds, the flush at 100 events
//! and back-pressure from a full buffer.

use std::sync::atomic::Ordering;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::shop::{Shop, figures, flush, id, minutes_ago, product_counts, send};
use super::truth::tweak;
use crate::common::{Db, start};

fn errors(body: &Value) -> Vec<(u64, String)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn bad_events_are_named_and_good_ones_kept(db: Db) {
    let server = start(db, tweak).await;
    let shop = Shop::open(&server).await;
    let [mine, _] = &shop.products;
    let (other_retailer, _, theirs) = server.catalog().await;
    let (shopper, shopper_id, _) = server.register("customer").await;

    let (status, body) = send(&server, &shopper, vec![
        json!({"id": id(), "type": "product_viewed", "product_id": mine}),
        json!({"id": "not-a-uuid", "type": "product_viewed", "product_id": mine}),
        json!({"id": id(), "type": "page_viewed", "product_id": mine}),
        json!({"id": id(), "type": "purchased", "product_id": mine}),
        json!({"id": id(), "type": "tryon_completed", "product_id": mine}),
        json!({"id": id(), "type": "product_viewed", "product_id": "no-such-product"}),
        json!({"id": id(), "type": "product_viewed", "product_id": mine, "occurred_at": "2999-01-01T00:00:00Z"}),
        json!({"id": id(), "type": "cart_added", "product_id": mine, "quantity": "two"}),
        json!({"id": id(), "type": "cart_added", "product_id": mine, "user_id": "someone-else"}),
        json!({"id": id(), "type": "model_selected", "product_id": mine}),
        json!({"id": id(), "type": "product_viewed", "product_id": theirs, "occurred_at": minutes_ago(5)}),
    ]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    assert_eq!(
        errors(&body),
        [
            (1, "id"),
            (2, "type"),
            (3, "type"),
            (4, "type"),
            (5, "product_id"),
            (6, "occurred_at"),
            (7, "event"),
            (8, "user_id"),
            (9, "model_id")
        ]
        .map(|(i, f)| (i, f.to_owned()))
    );
    assert!(
        body["errors"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("retailer"),
        "{body}"
    );

    // A retailer reports orders of its own products only, naming a shopper.
    let (status, body) = send(&server, &shop.retailer, vec![
        json!({"id": id(), "type": "purchased", "product_id": mine, "user_id": shopper_id, "size": "M"}),
        json!({"id": id(), "type": "purchased", "product_id": theirs, "user_id": shopper_id}),
        json!({"id": id(), "type": "purchased", "product_id": mine}),
        json!({"id": id(), "type": "returned", "product_id": mine, "user_id": shopper_id}),
        json!({"id": id(), "type": "product_viewed", "product_id": mine, "user_id": shopper_id}),
        json!({"id": id(), "type": "checkout_started", "product_id": mine, "user_id": shop.model}),
    ]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], 1, "{body}");
    assert_eq!(
        errors(&body),
        [
            (1, "product_id"),
            (2, "user_id"),
            (3, "reason"),
            (4, "type"),
            (5, "user_id")
        ]
        .map(|(i, f)| (i, f.to_owned()))
    );

    // Bounds and roles of the batch itself.
    let many: Vec<Value> = (0..501)
        .map(|_| json!({"id": id(), "type": "product_viewed", "product_id": mine}))
        .collect();
    let (status, body) = send(&server, &shopper, many).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let admin = server.admin_token().await;
    let (status, _) = send(&server, &admin, vec![]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server
        .post("/api/v1/events", None, json!({"events": []}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Only the good events count: one view and one purchase of mine, one view of theirs.
    flush(&server).await;
    let products = product_counts(&figures(&server, &shop.retailer, "products").await);
    assert_eq!(products[mine.as_str()], [1, 0, 0, 1, 0]);
    assert_eq!(products.len(), 1, "{products:?}");
    let theirs_seen = product_counts(&figures(&server, &other_retailer, "products").await);
    assert_eq!(theirs_seen[theirs.as_str()], [1, 0, 0, 0, 0]);
}

async fn the_hundredth_event_flushes_and_a_full_buffer_pushes_back(db: Db) {
    let server = start(db, |c| {
        tweak(c);
        c.analytics.flush_events = 100;
        c.analytics.max_buffered = 150;
    })
    .await;
    let shop = Shop::open(&server).await;
    let (shopper, _, _) = server.register("customer").await;
    let views = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|_| json!({"id": id(), "type": "product_viewed", "product_id": shop.products[0]}))
            .collect()
    };
    let counters = &server.state.metrics.analytics;
    let (status, _) = send(&server, &shopper, views(99)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(counters.written.load(Ordering::Relaxed), 0);
    // The 100th wakes the flusher (bounded by count, not time).
    let (status, _) = send(&server, &shopper, views(1)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mut written = 0;
    for _ in 0..400 {
        written = counters.written.load(Ordering::Relaxed);
        if written == 100 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(written, 100);

    // A batch that does not fit is refused whole, with Retry-After, and counted.
    server.state.analytics.flush().await.unwrap();
    let response = server
        .client
        .post(format!("{}/api/v1/events", server.base))
        .bearer_auth(&shopper)
        .json(&json!({"events": views(151)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(counters.refused.load(Ordering::Relaxed), 151);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("fitview_analytics_events_refused_total 151"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fitview_analytics_events_written_total 100"),
        "{metrics}"
    );
}

crate::common::on_both_databases!(
    bad_events_are_named_and_good_ones_kept,
    the_hundredth_event_flushes_and_a_full_buffer_pushes_back,
);
