//! Per-retailer daily spend caps: a retailer past its cap is refused before a provider call is
//! made (402 `budget_exceeded`), another retailer is not; administrators set caps and read the
//! ledger.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{Db, on_both_databases, start};

async fn a_retailer_past_its_daily_budget_is_refused_and_another_is_not(db: Db) {
    let server = start(db, |c| c.retailer_daily_budget_usd = Some(5.0)).await;
    let (a_token, a_id, _) = server.register("retailer").await;
    let (_, a_model, a_product) = server.catalog_of(a_token.clone()).await;
    let (_, a_model_2, a_product_2) = server.catalog_of(a_token.clone()).await;
    let (_, b_model, b_product) = server.catalog().await;
    let (shopper, _, _) = server.register("customer").await;
    let admin = server.admin_token().await;
    let try_on = |model: &str, product: &str| json!({"model_id": model, "product_id": product, "wait_ms": 30000});

    // The administrator gives A a cap of its own: 5 cents a day.
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/retailers/{a_id}"),
            Some(&admin),
            Some(json!({"daily_budget_usd": 0.05})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["disabled"], false,
        "the cap alone changes nothing else: {body}"
    );

    // A try-on is made and its call is in the ledger (the mock provider costs nothing).
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&shopper),
            try_on(&a_model, &a_product),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let (status, ledger) = server.get("/api/v1/admin/spend", &admin).await;
    assert_eq!(status, StatusCode::OK, "{ledger}");
    let rows = ledger["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{ledger}");
    assert_eq!(rows[0]["retailer_id"], a_id.as_str());
    assert_eq!(rows[0]["provider"], "mock");
    assert_eq!(rows[0]["calls"], 1);

    // A paid provider's calls for A come to its cap (recorded as the server records a result's
    // cost); A's next try-on is refused before anything is spent, B's is made.
    fitview_server::spend::record(&server.state.db, &a_id, "fashn", "tryon-v1.6", 0.05)
        .await
        .unwrap();
    let (status, refused) = server
        .post(
            "/api/v1/tryon",
            Some(&shopper),
            try_on(&a_model_2, &a_product_2),
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{refused}");
    assert_eq!(refused["error"]["code"], "budget_exceeded", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("$0.05"), "{message}");
    let (status, made) = server
        .post(
            "/api/v1/tryon",
            Some(&shopper),
            try_on(&b_model, &b_product),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "another retailer's try-on: {made}");
    // A result made before the cap is still shown: it costs nothing more.
    let (status, cached) = server
        .post(
            "/api/v1/tryon",
            Some(&shopper),
            try_on(&a_model, &a_product),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cached}");
    assert_eq!(cached["cached"], true, "{cached}");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("fitview_budget_refusals_total 1"),
        "{metrics}"
    );

    // Back to the server's default cap of $5: A may try on again.
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/retailers/{a_id}"),
            Some(&admin),
            Some(json!({"daily_budget_usd": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&shopper),
            try_on(&a_model_2, &a_product_2),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");

    // The ledger: A's rows and the total; only administrators read it; dates are checked.
    let (_, ledger) = server
        .get(&format!("/api/v1/admin/spend?retailer_id={a_id}"), &admin)
        .await;
    assert_eq!(ledger["total_usd"], 0.05, "{ledger}");
    assert_eq!(ledger["default_daily_budget_usd"], 5.0, "{ledger}");
    let calls: i64 = ledger["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["calls"].as_i64().unwrap())
        .sum();
    assert_eq!(calls, 3, "{ledger}");
    let (status, _) = server.get("/api/v1/admin/spend", &a_token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for query in [
        "from=yesterday",
        "from=2026-01-10&to=2026-01-01",
        "from=2024-01-01&to=2026-01-01",
    ] {
        let (status, body) = server
            .get(&format!("/api/v1/admin/spend?{query}"), &admin)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
    }
    for cap in [json!(-1), json!(2e6)] {
        let (status, body) = server
            .call(
                Method::PATCH,
                &format!("/api/v1/admin/retailers/{a_id}"),
                Some(&admin),
                Some(json!({"daily_budget_usd": cap})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{cap}: {body}");
    }
}

on_both_databases!(a_retailer_past_its_daily_budget_is_refused_and_another_is_not);
