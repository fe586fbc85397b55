//! A real headless Chromium driven over WebDriver (Debian's `chromium-driver`): a chromedriver
//! per test on a free port, windows of a given size (a phone's by emulation), and the few
//! commands the journeys use. Without Chromium the journeys skip, with a message.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

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
pub fn browser_programs() -> Option<(PathBuf, PathBuf)> {
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
pub struct Driver {
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
    pub async fn start(chromedriver: &PathBuf) -> Driver {
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
pub struct Browser {
    client: reqwest::Client,
    session: String,
}

impl Browser {
    pub async fn open(driver: &Driver, chromium: &PathBuf, width: u32, height: u32) -> Browser {
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

    pub async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
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

    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    pub async fn run(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// The element matching `css`, waiting for it (pages load and try-ons finish) up to 30 s.
    pub async fn find(&self, css: &str) -> String {
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

    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
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

    pub async fn path(&self) -> String {
        self.run("return location.pathname")
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Asserts that the page does not scroll sideways.
    pub async fn assert_fits(&self) {
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
    pub async fn image_loaded(&self, css: &str) -> bool {
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
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            json!({"cmd": cmd, "params": params}),
        )
        .await
    }

    /// Saves the whole page (beyond the viewport, up to 4000 px tall) as `dir/name.png`.
    pub async fn screenshot(&self, dir: Option<&PathBuf>, name: &str) {
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

    pub async fn close(self) {
        let _ = self.client.delete(&self.session).send().await;
    }
}
