//! A shopper's journey in a real headless Chromium on a 375 px screen, driven over WebDriver
//! (Debian's `chromium-driver`): sign up, search, pick a model, try on (the mock provider takes
//! its time), see and zoom the image, compare before/after, add to the cart, and find the
//! try-on in the cart; no page scrolls sideways. On the way the recommendation slots show: "For
//! you" on the home page, "Your size" with its fit note on the product page once the shopper's
//! measurements are saved, "You may also like" under the result. Skipped, with a message,
//! without Chromium.
//!
//! With `FITVIEW_SCREENSHOTS=<dir>` the journey also saves the home, product, result and cart
//! pages at 375, 768 and 1280 px there (docs/storefront/ holds the committed ones).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::shopper::Shopper;
use super::webdriver::{Browser, Driver, browser_programs};
use crate::common::{self, Db};
use crate::recommendations::crowd;

/// The striped shirt's size chart (sent as text: sizes go smallest first).
const STRIPED_CHART: &str =
    r#"{"unit": "cm", "sizes": {"S": {"chest": [84, 90]}, "M": {"chest": [90, 96]}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_tries_on_and_buys_on_a_phone() {
    let Some((chromium, chromedriver)) = browser_programs() else {
        return;
    };
    let screenshots = std::env::var("FITVIEW_SCREENSHOTS").ok().map(PathBuf::from);
    let engine = fitview_engine::Engine::builder().provider(
        fitview_engine::provider::mock::MockProvider::new()
            .with_latency(Duration::from_millis(1500)),
    );
    let server = common::start_with(Db::Sqlite, engine, |_| {}).await;
    let (token, _, product_id) = server.catalog().await;
    let (status, body) = server
        .post(
            "/api/v1/products",
            Some(&token),
            json!({"name": "<script>window.hacked = 1</script> Tee", "description": "Plain.",
                   "category": "shirts", "garment_category": "top", "sizes": ["M"],
                   "price_cents": 1000, "currency": "EUR", "stock": 1}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    // The striped shirt gets a size chart, and forty buyers of M, thirty of whom sent it back
    // as too small: it runs small, which the product page says.
    let striped = format!(
        r#"{{"name": "Striped shirt", "description": "Cotton, blue stripes", "category": "shirts",
            "garment_category": "top", "sizes": ["S", "M"], "colour": "Blue", "price_cents": 2999,
            "currency": "EUR", "stock": 12, "size_chart": {STRIPED_CHART}}}"#
    );
    let answer = server
        .client
        .put(format!("{}/api/v1/products/{product_id}", server.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(striped)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    for i in 0..40 {
        let buyer = format!("crowd-{i}");
        crowd(&server, "purchased", &buyer, &product_id, Some("M"), None);
        if i < 30 {
            let reason = Some("too_small");
            crowd(&server, "returned", &buyer, &product_id, Some("M"), reason);
        }
    }
    crate::recommendations::refresh(&server).await;
    let base = server.base.clone();

    let driver = Driver::start(&chromedriver).await;
    let phone = Browser::open(&driver, &chromium, 375, 812).await;

    // Sign up. (The viewport is the phone's once a page with `width=device-width` is open.)
    phone.goto(&format!("{base}/signup")).await;
    assert_eq!(phone.run("return window.innerWidth").await, json!(375));
    phone.assert_fits().await;
    phone.type_into("#name", "Mia").await;
    let email = common::email("mia");
    phone.type_into("#email", &email).await;
    phone.type_into("#password", "a good password").await;
    phone.click("#signup-form button[type=submit]").await;
    phone.find(".who").await;
    assert_eq!(phone.text(".who").await, "Mia");

    // A typed `<script>` is shown as text and runs nothing.
    phone.assert_fits().await;
    let page = phone.run("return document.body.innerText").await;
    assert!(
        page.as_str()
            .unwrap()
            .contains("<script>window.hacked = 1</script> Tee")
    );
    assert_eq!(
        phone.run("return window.hacked === undefined").await,
        json!(true)
    );
    // "For you" on the home page of a signed-in shopper: without a history, what sells.
    assert_eq!(phone.text("#for-you h1").await, "For you");
    let for_you = phone.text("#for-you").await;
    assert!(
        for_you.contains("Striped shirt") && for_you.contains("Popular in the shop"),
        "{for_you}"
    );
    phone.screenshot(screenshots.as_ref(), "home-375").await;

    // The shopper's chest: an S on the chart, an M in a shirt that runs small.
    let (status, login) = server.login(&email, "a good password").await;
    assert_eq!(status, reqwest::StatusCode::OK, "{login}");
    let (status, saved) = server
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/measurements",
            login["access_token"].as_str(),
            Some(json!({"chest": 87})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{saved}");

    // Search, open the product.
    phone.type_into("#q", "striped shirt\n").await;
    phone.find("#products").await;
    phone.assert_fits().await;
    phone
        .click(&format!("a[href='/products/{product_id}']"))
        .await;
    assert_eq!(phone.text("#product-name").await, "Striped shirt");
    phone.assert_fits().await;
    assert_eq!(phone.text("#your-size p").await, "Your size: M");
    let note = phone.text("#your-size .fit-note").await;
    assert!(
        note.starts_with("Runs small: 30 of 40 buyers returned it as too small"),
        "{note}"
    );

    // Pick a model; the product page remembers it.
    phone.click("#pick-model").await;
    phone.find("#models").await;
    phone.assert_fits().await;
    phone.click("#models button.pick").await;
    assert_eq!(phone.text("#chosen-model").await, "Asha");
    phone.screenshot(screenshots.as_ref(), "product-375").await;

    // Try on: progress while the mock works, then the image.
    phone.click("#try-on").await;
    // The form's POST answers with a redirect the browser follows: wait for it (by count).
    let mut path = phone.path().await;
    for _ in 0..100 {
        if path.starts_with("/tryons/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        path = phone.path().await;
    }
    assert!(path.starts_with("/tryons/"), "{path}");
    assert!(
        phone.image_loaded("#result-image").await,
        "the try-on shows"
    );
    // The page heard the job end from its status stream, without polling.
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(r#"route="/tryons/{id}/events",status="200""#),
        "{metrics}"
    );
    assert!(
        !metrics.contains(r#"route="/tryons/{id}/status""#),
        "{metrics}"
    );
    phone.assert_fits().await;
    let result_path = phone.path().await;
    // "You may also like" under the result: the other shirt, its typed name shown as text.
    assert_eq!(phone.text("#also-like h2").await, "You may also like");
    let cards = phone
        .run("return [...document.querySelectorAll('#also-like .card .name')].map(n => n.textContent)")
        .await;
    assert_eq!(
        cards,
        json!(["<script>window.hacked = 1</script> Tee"]),
        "{cards}"
    );

    // Zoom with the keyboard, then compare before/after with the slider.
    phone.click("#zoom").await;
    let zoom = phone.find("#zoom").await;
    phone
        .command(
            reqwest::Method::POST,
            &format!("/element/{zoom}/value"),
            json!({"text": "++"}),
        )
        .await;
    let scale = phone
        .run("return Number(document.getElementById('zoom').dataset.scale)")
        .await;
    assert!(scale.as_f64().unwrap() > 1.2, "zoomed in: {scale}");
    let clip = phone
        .run(
            "const s = document.getElementById('compare-slider'); s.value = 20; \
             s.dispatchEvent(new Event('input')); \
             return document.getElementById('compare').style.getPropertyValue('--pos')",
        )
        .await;
    assert_eq!(clip, json!("20%"));
    phone.screenshot(screenshots.as_ref(), "result-375").await;

    // Add to the cart: the cart shows the try-on image.
    let result_src = phone
        .run("return document.getElementById('result-image').getAttribute('src')")
        .await;
    phone.click("#add-to-cart").await;
    phone.find("#cart-lines").await;
    assert_eq!(phone.path().await, "/cart");
    assert!(phone.image_loaded(".tryon-thumb").await);
    let cart_src = phone
        .run("return document.querySelector('.tryon-thumb').getAttribute('src')")
        .await;
    assert_eq!(cart_src, result_src);
    phone.assert_fits().await;
    phone.screenshot(screenshots.as_ref(), "cart-375").await;
    let cookie = phone
        .command(reqwest::Method::GET, "/cookie/fitview_session", json!({}))
        .await;
    assert_eq!(cookie["httpOnly"], json!(true));
    let session = format!("fitview_session={}", cookie["value"].as_str().unwrap());
    phone.close().await;

    if let Some(dir) = screenshots.as_ref() {
        for (width, height) in [(768, 1024), (1280, 900)] {
            let window = Browser::open(&driver, &chromium, width, height).await;
            window.goto(&format!("{base}/")).await;
            // The same shopper's session, so the cart and result pages show.
            window
                .command(
                    reqwest::Method::POST,
                    "/cookie",
                    json!({"cookie": {"name": "fitview_session",
                           "value": session.trim_start_matches("fitview_session="),
                           "path": "/", "httpOnly": true}}),
                )
                .await;
            for (name, path) in [
                ("home", "/".to_owned()),
                ("product", format!("/products/{product_id}")),
                ("result", result_path.clone()),
                ("cart", "/cart".to_owned()),
            ] {
                window.goto(&format!("{base}{path}")).await;
                window.find("main").await;
                window.assert_fits().await;
                window
                    .screenshot(Some(dir), &format!("{name}-{width}"))
                    .await;
            }
            window.close().await;
        }
    }

    // The session's cookie opens nothing for anyone else's cart lines (checked over HTTP).
    let mut stranger = Shopper::new(&base);
    stranger.sign_up("eve").await;
    let other = stranger.get(&result_path).await;
    assert_eq!(other.status, reqwest::StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retailer_reads_its_dashboard_on_a_phone_and_a_desktop() {
    let Some((chromium, chromedriver)) = browser_programs() else {
        return;
    };
    let screenshots = std::env::var("FITVIEW_SCREENSHOTS").ok().map(PathBuf::from);
    let server = common::start(Db::Sqlite, crate::analytics::truth::tweak).await;
    let login = common::email("retailer");
    let (status, body) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": login, "password": "a good password", "role": "retailer",
                   "display_name": "Maison Été"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let mut shop = crate::analytics::shop::Shop::open_as(&server, token.clone()).await;
    shop.run(&server, 24).await;
    // Half a year of weekly sales before the dashboard's month, rising, so the forecast has a
    // history to draw.
    let (_, buyer, _) = server.register("customer").await;
    let this_monday = fitview_insights::aggregate::week_start(chrono::Utc::now().date_naive());
    let sales: Vec<Value> = (5..=30u64)
        .map(|w| {
            let day = this_monday - chrono::Days::new(7 * w - 2);
            json!({"id": uuid::Uuid::new_v4().to_string(), "type": "purchased",
                   "product_id": shop.products[0], "quantity": 2 + (30 - w) / 4 + w % 3,
                   "user_id": buyer, "size": "M", "occurred_at": format!("{day}T12:00:00Z")})
        })
        .collect();
    crate::analytics::shop::send_ok(&server, &token, sales).await;
    crate::analytics::shop::flush(&server).await;
    let base = server.base.clone();

    let driver = Driver::start(&chromedriver).await;
    for (width, height) in [(375, 812), (1280, 900)] {
        let window = Browser::open(&driver, &chromium, width, height).await;
        window.goto(&format!("{base}/signin")).await;
        window.type_into("#login", &login).await;
        window.type_into("#password", "a good password").await;
        window.click("#signin-form button[type=submit]").await;
        window.click("#dashboard-link").await;
        window.find("#top-products").await;
        assert_eq!(window.path().await, "/dashboard");
        window.assert_fits().await;
        // Every chart is drawn, inside the page's width, and the browser reports no error.
        let charts = window
            .run(
                "return [...document.querySelectorAll('svg.chart')].map(s => { \
                   const r = s.getBoundingClientRect(); \
                   return [r.width, r.height, s.querySelectorAll('rect, polyline').length]; })",
            )
            .await;
        let charts = charts.as_array().unwrap();
        assert_eq!(charts.len(), 7, "{charts:?}");
        for chart in charts {
            let (w, h, marks) = (
                chart[0].as_f64().unwrap(),
                chart[1].as_f64().unwrap(),
                chart[2].as_u64().unwrap(),
            );
            assert!(w > 200.0 && w <= f64::from(width), "{chart}");
            assert!(h > 20.0, "{chart}");
            assert!(marks > 0, "{chart}");
        }
        let rows = window
            .run("return document.querySelectorAll('#top-products tbody tr').length")
            .await;
        assert_eq!(rows, json!(2));
        window
            .screenshot(screenshots.as_ref(), &format!("dashboard-{width}"))
            .await;
        if let Some(dir) = screenshots.as_ref().filter(|_| width == 1280) {
            // The PDF behind the dashboard's link, as a sample report.
            let cookie = window
                .command(reqwest::Method::GET, "/cookie/fitview_session", json!({}))
                .await;
            let pdf = reqwest::Client::new()
                .get(format!("{base}/dashboard/report.pdf"))
                .header(
                    "cookie",
                    format!("fitview_session={}", cookie["value"].as_str().unwrap()),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(pdf.headers()["content-type"], "application/pdf");
            std::fs::write(dir.join("report.pdf"), pdf.bytes().await.unwrap()).unwrap();
        }
        window.close().await;
    }
}
