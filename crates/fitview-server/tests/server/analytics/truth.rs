//! A generated shop gives exactly its truth's figures; resent ids change nothing; the forecast
//! and the CSV export read the same rollups.

use reqwest::StatusCode;
use serde_json::json;

use super::shop::{Shop, figures, flush, funnel_counts, id, product_counts, send_ok, size_counts};
use crate::common::{Db, TestServer, start};
use fitview_server::ServerConfig;

pub fn tweak(config: &mut ServerConfig) {
    config.rate_limits.register_per_minute = 10_000;
    // Flushes happen when the tests say (or at 100 events).
    config.analytics.flush_interval = std::time::Duration::from_secs(3600);
}

async fn reasons(server: &TestServer, shop: &Shop) -> Vec<((String, String), i64)> {
    let sizes = figures(
        server,
        &shop.retailer,
        &format!("sizes?product_id={}", shop.products[0]),
    )
    .await;
    let mut out = Vec::new();
    for s in sizes["sizes"].as_array().unwrap() {
        for (reason, n) in s["return_reasons"].as_object().unwrap() {
            out.push((
                (s["size"].as_str().unwrap().to_owned(), reason.clone()),
                n.as_i64().unwrap(),
            ));
        }
    }
    out
}

async fn a_generated_shop_gives_its_truth(db: Db) {
    let server = start(db, tweak).await;
    let mut shop = Shop::open(&server).await;
    let truth = shop.run(&server, 24).await;
    assert_eq!(truth.funnel, [24, 16, 8, 4]);
    flush(&server).await;

    let funnel = figures(&server, &shop.retailer, "funnel").await;
    assert_eq!(funnel_counts(&funnel), truth.funnel, "{funnel}");
    assert_eq!(funnel["steps"][3]["event"], "purchased");
    assert_eq!(
        funnel["steps"][1]["conversion_from_previous"],
        json!(16.0 / 24.0)
    );
    let products = figures(&server, &shop.retailer, "products").await;
    assert_eq!(product_counts(&products), truth.products, "{products}");
    let sizes = figures(
        &server,
        &shop.retailer,
        &format!("sizes?product_id={}", shop.products[0]),
    )
    .await;
    assert_eq!(size_counts(&sizes), truth.sizes, "{sizes}");
    let want: Vec<_> = truth.reasons.clone().into_iter().collect();
    assert_eq!(reasons(&server, &shop).await, want);

    // Every try-on went through the server, which recorded it once: on the one model.
    let models = figures(&server, &shop.retailer, "models").await;
    assert_eq!(models["models"][0]["model_id"], shop.model);
    assert_eq!(models["models"][0]["tryons"], 16);
    let tryons = figures(&server, &shop.retailer, "tryons").await;
    let today = &tryons["days"][0];
    assert_eq!(
        (
            today["requested"].as_i64(),
            today["completed"].as_i64(),
            today["failed"].as_i64()
        ),
        (Some(16), Some(16), Some(0)),
        "{tryons}"
    );
    assert_eq!(today["failure_rate"], 0.0);

    // Sent again, the same events change nothing (a new range skips the cached answers).
    let written = server
        .state
        .metrics
        .analytics
        .written
        .load(std::sync::atomic::Ordering::Relaxed);
    shop.resend(&server).await;
    flush(&server).await;
    let analytics = &server.state.metrics.analytics;
    assert_eq!(
        analytics.written.load(std::sync::atomic::Ordering::Relaxed),
        written
    );
    assert_eq!(
        analytics
            .duplicates
            .load(std::sync::atomic::Ordering::Relaxed),
        shop.sent.len() as u64
    );
    let from = (chrono::Utc::now() - chrono::Duration::days(3)).date_naive();
    let again = figures(&server, &shop.retailer, &format!("products?from={from}")).await;
    assert_eq!(product_counts(&again), truth.products);
    let funnel = figures(&server, &shop.retailer, &format!("funnel?from={from}")).await;
    assert_eq!(funnel_counts(&funnel), truth.funnel);

    // The export: one row per product and day, the same counts.
    let response = server
        .client
        .get(format!(
            "{}/api/v1/analytics/export.csv?from={from}",
            server.base
        ))
        .bearer_auth(&shop.retailer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("day,product_id,views,tryons,cart_units,purchased_units,returned_units,revenue_cents")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2, "{text}");
    for row in rows {
        let counts = truth.products[row[1]];
        let got: Vec<i64> = row[2..7].iter().map(|n| n.parse().unwrap()).collect();
        assert_eq!(got, counts, "{text}");
    }
}

async fn the_forecast_reads_weekly_sales(db: Db) {
    let server = start(db, tweak).await;
    let shop = Shop::open(&server).await;
    let (_, shopper, _) = server.register("customer").await;
    // 30 weeks of sales, 3 units every week, before this week.
    let this_monday = fitview_insights::aggregate::week_start(chrono::Utc::now().date_naive());
    let sales: Vec<_> = (1..=30)
        .map(|w| {
            let day = this_monday - chrono::Days::new(7 * w - 2);
            json!({"id": id(), "type": "purchased", "product_id": shop.products[1], "quantity": 3,
                   "user_id": shopper, "size": "M", "occurred_at": format!("{day}T12:00:00Z")})
        })
        .collect();
    send_ok(&server, &shop.retailer, sales).await;
    flush(&server).await;
    let f = figures(
        &server,
        &shop.retailer,
        &format!("forecast?product_id={}&weeks=4", shop.products[1]),
    )
    .await;
    assert_eq!(f["history_weeks"], 30, "{f}");
    assert_eq!(f["demand"], "smooth");
    assert_eq!(f["method"], "holt");
    let points = f["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    assert_eq!(points[0]["week_start"], this_monday.to_string());
    for p in points {
        assert!((p["units"].as_f64().unwrap() - 3.0).abs() < 1e-9, "{f}");
        assert!(p["low"].as_f64().unwrap() <= 3.0 && p["high"].as_f64().unwrap() >= 3.0);
    }
    assert_eq!(f["backtest"]["holdout_weeks"], 4);

    // Nothing sold: zero, and no backtest.
    let f = figures(
        &server,
        &shop.retailer,
        &format!("forecast?product_id={}", shop.products[0]),
    )
    .await;
    assert_eq!(
        (f["method"].as_str(), f["points"].as_array().unwrap().len()),
        (Some("zero"), 8)
    );
    let (status, _) = server
        .get("/api/v1/analytics/forecast", &shop.retailer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

crate::common::on_both_databases!(
    a_generated_shop_gives_its_truth,
    the_forecast_reads_weekly_sales
);
