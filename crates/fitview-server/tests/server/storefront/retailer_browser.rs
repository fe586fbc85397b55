//! A retailer's journey in a real headless Chromium on a 375 px screen: sign in, open "My
//! catalog", add a product with its photo chosen in the file picker, see it listed; then, signed
//! out, a shopper finds it in the shop with its photo. No page scrolls sideways. Skipped, with
//! a message, without Chromium.
//!
//! With `FITVIEW_SCREENSHOTS=<dir>` the journey also saves the product form and the catalog
//! page there.

use std::path::PathBuf;
use std::time::Duration;

use super::webdriver::{Browser, Driver, browser_programs};
use crate::common::{self, Db};

/// Waits until the browser is at `path` (a form's redirect is followed asynchronously).
async fn wait_for_path(window: &Browser, path: &str) {
    for _ in 0..100 {
        if window.path().await == path {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("still at {} instead of {path}", window.path().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retailer_adds_a_product_in_the_browser_and_a_shopper_sees_it() {
    let Some((chromium, chromedriver)) = browser_programs() else {
        return;
    };
    let screenshots = std::env::var("FITVIEW_SCREENSHOTS").ok().map(PathBuf::from);
    let server = common::start(Db::Sqlite, |_| {}).await;
    let (token, email) = server.register_with_email("retailer").await;
    let base = server.base.clone();
    let photo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/garments/shirt-striped.jpg")
        .canonicalize()
        .unwrap();

    let driver = Driver::start(&chromedriver).await;
    let phone = Browser::open(&driver, &chromium, 375, 812).await;
    phone.goto(&format!("{base}/signin?next=/manage")).await;
    phone.type_into("#login", &email).await;
    phone.type_into("#password", "a good password").await;
    phone.click("#signin-form button[type=submit]").await;
    wait_for_path(&phone, "/manage").await;
    assert!(
        phone.text("#manage-products").await.is_empty(),
        "no products yet"
    );
    phone.assert_fits().await;

    phone.click("#add-product").await;
    wait_for_path(&phone, "/manage/products/new").await;
    phone.type_into("#product-name", "Sage linen shirt").await;
    phone
        .type_into("#product-description", "Loose fit, washed linen.")
        .await;
    phone.type_into("#product-category", "shirts").await;
    phone.type_into("#product-sizes", "S, M").await;
    phone.type_into("#product-price", "49.90").await;
    phone.type_into("#product-stock", "3").await;
    // The file picker takes the photo's path, as a person choosing it would.
    phone
        .type_into("#product-photo", &photo.display().to_string())
        .await;
    phone.assert_fits().await;
    phone
        .screenshot(screenshots.as_ref(), "manage-product-375")
        .await;
    phone.click("#save-product").await;
    wait_for_path(&phone, "/manage").await;
    assert_eq!(phone.text("#notice").await, "The product is in your shop.");
    assert!(
        phone
            .text("#manage-products")
            .await
            .contains("Sage linen shirt")
    );
    assert!(
        phone.image_loaded("#manage-products img").await,
        "its photo shows"
    );
    phone.assert_fits().await;
    phone.screenshot(screenshots.as_ref(), "manage-375").await;

    // Signed out, as any shopper: the product is in the shop, with its photo and price.
    phone.click("form[action='/signout'] button").await;
    wait_for_path(&phone, "/").await;
    let (_, products) = server.get("/api/v1/products", &token).await;
    let product_id = products[0]["id"].as_str().unwrap().to_owned();
    let card = format!("a[href='/products/{product_id}']");
    phone.find(&card).await;
    assert!(
        phone.image_loaded(&format!("{card} img")).await,
        "the shop shows the retailer's photo"
    );
    phone.click(&card).await;
    assert_eq!(phone.text("#product-name").await, "Sage linen shirt");
    let page = phone.run("return document.body.innerText").await;
    let page = page.as_str().unwrap();
    assert!(page.contains("49.90 USD"), "{page}");
    assert!(page.contains("Only 3 left"), "{page}");
    phone.assert_fits().await;
    phone.close().await;
}
