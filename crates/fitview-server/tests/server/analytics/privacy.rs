//! A deleted shopper's events stay counted, under a pseudonym: buffered and stored alike.

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::Row;

use super::shop::{Shop, figures, flush, funnel_counts, id, send_ok};
use super::truth::tweak;
use crate::common::{Db, TestServer, start};

async fn events_of(server: &TestServer, user_id: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM analytics_events WHERE user_id = $1")
        .bind(user_id.to_owned())
        .fetch_one(&server.state.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn a_deleted_shopper_is_anonymised_and_still_counted(db: Db) {
    let server = start(db, tweak).await;
    let shop = Shop::open(&server).await;
    let (token, user_id, _) = server.register("customer").await;
    let product = &shop.products[0];
    send_ok(
        &server,
        &token,
        vec![
            json!({"id": id(), "type": "product_viewed", "product_id": product,
                                         "occurred_at": super::shop::minutes_ago(10)}),
        ],
    )
    .await;
    flush(&server).await;
    // This one is still in the buffer when the account goes.
    send_ok(
        &server,
        &token,
        vec![json!({"id": id(), "type": "cart_added", "product_id": product, "size": "M"})],
    )
    .await;
    assert_eq!(events_of(&server, &user_id).await, 1);

    let (status, _) = server
        .call(Method::DELETE, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    flush(&server).await;
    assert_eq!(events_of(&server, &user_id).await, 0);
    // Still one shopper who viewed and then carted (a step was skipped: the funnel stops at 1),
    // and the cart's units still count.
    let funnel = figures(&server, &shop.retailer, "funnel").await;
    assert_eq!(funnel_counts(&funnel), [1, 0, 0, 0]);
    let sizes = figures(
        &server,
        &shop.retailer,
        &format!("sizes?product_id={product}"),
    )
    .await;
    assert_eq!(sizes["sizes"][0]["cart_units"], 1);
    let body = figures(&server, &shop.retailer, "products")
        .await
        .to_string();
    assert!(
        !body.contains(&user_id) && !body.contains("@shop.test"),
        "{body}"
    );
}

crate::common::on_both_databases!(a_deleted_shopper_is_anonymised_and_still_counted);
