//! Every analytics route shows a retailer its own catalog only: another retailer, a shopper or
//! an administrator gets 404.

use reqwest::StatusCode;
use serde_json::json;

use super::shop::{Shop, figures, flush, funnel_counts, id, send_ok};
use super::truth::tweak;
use crate::common::{Db, start};

const ROUTES: [&str; 9] = [
    "funnel",
    "products",
    "models",
    "sizes",
    "tryons",
    "forecast",
    "export.csv",
    "report.pdf",
    "recommendations",
];

async fn only_the_owner_sees_its_figures(db: Db) {
    let server = start(db, tweak).await;
    let shop = Shop::open(&server).await;
    let (shopper, _, _) = server.register("customer").await;
    send_ok(
        &server,
        &shopper,
        vec![json!({"id": id(), "type": "product_viewed", "product_id": shop.products[0]})],
    )
    .await;
    flush(&server).await;
    let (other, _, their_product) = server.catalog().await;
    let admin = server.admin_token().await;

    for route in ROUTES {
        let mine = format!("/api/v1/analytics/{route}?product_id={}", shop.products[0]);
        let (status, body) = server
            .call(reqwest::Method::GET, &mine, Some(&shop.retailer), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{route}: {body}");
        for (who, token) in [
            ("another retailer", &other),
            ("a shopper", &shopper),
            ("an admin", &admin),
        ] {
            let (status, _) = server
                .call(reqwest::Method::GET, &mine, Some(token), None)
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{route} for {who}");
        }
        // Nor does the owner see another retailer's product.
        let theirs = format!("/api/v1/analytics/{route}?product_id={their_product}");
        let (status, _) = server
            .call(reqwest::Method::GET, &theirs, Some(&shop.retailer), None)
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{route} of another retailer's product"
        );
        let (status, _) = server
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/analytics/{route}"),
                None,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{route} without a token");
    }
    // The other retailer's catalog-wide figures hold none of the first one's events.
    assert_eq!(
        funnel_counts(&figures(&server, &other, "funnel").await),
        [0, 0, 0, 0]
    );
    assert_eq!(
        figures(&server, &other, "products").await["products"],
        json!([])
    );
    assert_eq!(
        funnel_counts(&figures(&server, &shop.retailer, "funnel").await),
        [1, 0, 0, 0]
    );
}

crate::common::on_both_databases!(only_the_owner_sees_its_figures);
