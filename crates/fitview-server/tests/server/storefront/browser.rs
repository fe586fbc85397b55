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
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use super::shopper::Shopper;
use crate::common::{self, Db};
use crate::recommendations::crowd;

/// The striped shirt's size chart (sent as text: sizes go smallest first).
const STRIPED_CHART: &str =
    r#"{"unit": "cm", "sizes": {"S": {"chest": [84, 90]}, "M": {"chest": [90, 96]}}}"#;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn program(variable: &str, names: &[&str]) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var(variable)
        .ok()
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.extend(names.iter().map(PathBuf::from));
    candidates.into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Chromium and its chromedriver, or `None` (with a message saying the test is skipped).
fn browser_programs() -> Option<(PathBuf, PathBuf)> {
    let found = program("FITVIEW_CHROMIUM", &["chromium", "chromium-browser"])
        .zip(program("FITVIEW_CHROMEDRIVER", &["chromedriver"]));
    if found.is_none() {
        eprintln!(
            "SKIPPED: chromium or chromedriver not found (.ci/debian-packages.sh installs them)"
        );
    }
    found
}

/// A chromedriver of its own, on a free port; stopped when dropped.
struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromedriver: &PathBuf) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Owned at once, so the process is killed and reaped on every path (Drop).
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client
                .get(format!("{}/status", driver.base))
                .send()
                .await
                .is_ok()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start");
    }
}

/// One browser window.
struct Browser {
    client: reqwest::Client,
    session: String,
}

impl Browser {
    async fn open(driver: &Driver, chromium: &PathBuf, width: u32, height: u32) -> Browser {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                // A desktop window cannot be narrower than about 500 px: emulate the phone's
                // viewport instead.
                "mobileEmulation": {"deviceMetrics": {"width": width, "height": height,
                                                      "pixelRatio": 1.0, "touch": true}},
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--hide-scrollbars", "--force-device-scale-factor=1",
                         // This machine's network is closed: no background connections.
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--disable-quic", "--no-first-run",
                         format!("--window-size={width},{height}"),
                         format!("--user-data-dir={}", profile.keep().display())],
            }
        }}});
        let answer: Value = client
            .post(format!("{}/session", driver.base))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"));
        Browser {
            client,
            session: format!("{}/session/{id}", driver.base),
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let request = self
            .client
            .request(method, format!("{}{path}", self.session));
        let answer: Value = request
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    async fn run(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// The element matching `css`, waiting for it (pages load and try-ons finish) up to 30 s.
    async fn find(&self, css: &str) -> String {
        for _ in 0..300 {
            let found = self
                .command(
                    reqwest::Method::POST,
                    "/element",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            if let Some(id) = found[ELEMENT].as_str() {
                return id.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let html = self.run("return document.documentElement.outerHTML").await;
        panic!("no {css} in {html}");
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.command(
            reqwest::Method::GET,
            &format!("/element/{id}/text"),
            json!({}),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    async fn path(&self) -> String {
        self.run("return location.pathname")
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Asserts that the page does not scroll sideways.
    async fn assert_fits(&self) {
        let overflow = self
            .run("return document.documentElement.scrollWidth - window.innerWidth")
            .await;
        let path = self.path().await;
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "{path} scrolls sideways by {overflow} px"
        );
    }

    /// Whether the image matching `css` has loaded and decoded.
    async fn image_loaded(&self, css: &str) -> bool {
        self.find(css).await;
        let script = format!(
            "const i = document.querySelector({}); return i.complete && i.naturalWidth > 0",
            json!(css)
        );
        for _ in 0..100 {
            if self.run(&script).await == json!(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// A command of Chrome's DevTools protocol, through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            json!({"cmd": cmd, "params": params}),
        )
        .await
    }

    /// Saves the whole page (beyond the viewport, up to 4000 px tall) as `dir/name.png`.
    async fn screenshot(&self, dir: Option<&PathBuf>, name: &str) {
        let Some(dir) = dir else { return };
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let (width, height) = (
            size["width"].as_f64().unwrap(),
            size["height"].as_f64().unwrap().min(4000.0),
        );
        let png = self
            .cdp(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true,
                       "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}),
            )
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png["data"].as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    async fn close(self) {
        let _ = self.client.delete(&self.session).send().await;
    }
}

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
