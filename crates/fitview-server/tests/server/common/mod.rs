//! A real server on 127.0.0.1:0 and a small client for the integration tests.

use std::path::PathBuf;
use std::time::Duration;

use fitview_engine::provider::mock::MockProvider;
use fitview_engine::{Engine, EngineBuilder};
use fitview_server::{AppState, ServerConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The JWT secret of test servers (tests forge tokens with it).
pub const SECRET: &str = "test-secret-of-at-least-thirty-two-bytes!";
pub const ADMIN_EMAIL: &str = "admin@fitview.test";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// Where a test server keeps its records.
#[derive(Debug, Clone)]
pub enum Db {
    /// A fresh SQLite file in the server's data directory.
    Sqlite,
    /// The PostgreSQL server at this URL, in a fresh schema of the test's own.
    Postgres(String),
}

impl Db {
    /// PostgreSQL from `FITVIEW_TEST_POSTGRES_URL`, or `None` after saying that `test` is skipped.
    pub fn postgres(test: &str) -> Option<Db> {
        match std::env::var("FITVIEW_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Db::Postgres(url)),
            _ => {
                eprintln!(
                    "SKIPPED {test} on PostgreSQL: FITVIEW_TEST_POSTGRES_URL is not set \
                     (.ci/services/postgres.sh starts a server and sets it)"
                );
                None
            }
        }
    }

    /// The URL the server gets: `None` (its default SQLite file) or a PostgreSQL URL whose
    /// connections use a new, empty schema, so tests running at once never see each other's rows.
    pub async fn server_url(&self) -> Option<String> {
        let Db::Postgres(url) = self else {
            return None;
        };
        use sqlx::Connection as _;
        let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to FITVIEW_TEST_POSTGRES_URL: {e}"));
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let separator = if url.contains('?') { '&' } else { '?' };
        Some(format!(
            "{url}{separator}options=-c%20search_path%3D{schema}"
        ))
    }
}

/// Runs each named `async fn(Db)` of the calling test file as two tests, `sqlite::NAME` and
/// `postgres::NAME` (the latter skipped, with a message, without `FITVIEW_TEST_POSTGRES_URL`).
#[allow(unused_macros)] // Test files that start their own servers do not use it.
macro_rules! on_both_databases {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(crate::common::Db::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    if let Some(db) = crate::common::Db::postgres(stringify!($test)) {
                        super::$test(db).await;
                    }
                }
            )+
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_databases;

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

/// Starts a server with a mock provider; `tweak` adjusts the configuration.
pub async fn start(db: Db, tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
    start_with(db, mock_engine(), tweak).await
}

/// Starts a server with this engine (the server gives it its result store).
pub async fn start_with(
    db: Db,
    engine: EngineBuilder,
    tweak: impl FnOnce(&mut ServerConfig),
) -> TestServer {
    let (state, dir) = test_state(db, engine, tweak).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(fitview_server::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    TestServer::new(
        format!("http://{addr}"),
        reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        state,
        dir,
    )
}

/// The state of a test server (test secret, bootstrap admin) in a new data directory.
pub async fn test_state(
    db: Db,
    engine: EngineBuilder,
    tweak: impl FnOnce(&mut ServerConfig),
) -> (AppState, tempfile::TempDir) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(dir.path());
    config.database_url = db.server_url().await;
    config.jwt_secret = Some(SECRET.to_owned());
    config.bootstrap_admin = Some(fitview_server::config::BootstrapAdmin {
        email: ADMIN_EMAIL.to_owned(),
        password: ADMIN_PASSWORD.to_owned(),
    });
    tweak(&mut config);
    let state = AppState::with_engine(config, engine).await.unwrap();
    (state, dir)
}

/// An engine with the mock provider (try-ons and style variations).
pub fn mock_engine() -> EngineBuilder {
    Engine::builder().provider(MockProvider::new())
}

pub fn fixture(path: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A unique email.
pub fn email(who: &str) -> String {
    format!("{who}-{}@shop.test", uuid::Uuid::new_v4().simple())
}

impl TestServer {
    /// A server at `base` reached with `client`; the data directory lives as long as it.
    pub fn new(
        base: String,
        client: reqwest::Client,
        state: AppState,
        dir: tempfile::TempDir,
    ) -> Self {
        TestServer {
            base,
            client,
            state,
            _dir: dir,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Registers an account; returns (access token, user id, refresh token).
    pub async fn register(&self, role: &str) -> (String, String, String) {
        let (body, _) = self.register_body(role).await;
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["user"]["id"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Registers an account with the password "a good password", to sign in with its email
    /// later: (access token, email).
    pub async fn register_with_email(&self, role: &str) -> (String, String) {
        let (body, email) = self.register_body(role).await;
        (body["access_token"].as_str().unwrap().to_owned(), email)
    }

    async fn register_body(&self, role: &str) -> (Value, String) {
        let email = email(role);
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": "a good password", "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body, email)
    }

    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn admin_token(&self) -> String {
        let (status, body) = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Uploads a model photo; returns the response.
    pub async fn upload_model(
        &self,
        token: &str,
        photo: Vec<u8>,
        file_name: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new().part(
            "image",
            reqwest::multipart::Part::bytes(photo).file_name(file_name.to_owned()),
        );
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let response = self
            .client
            .post(format!("{}/api/v1/models", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Sets a product's garment photo.
    pub async fn upload_garment(
        &self,
        token: &str,
        product_id: &str,
        photo: Vec<u8>,
    ) -> (StatusCode, Value) {
        let form = reqwest::multipart::Form::new().part(
            "image",
            reqwest::multipart::Part::bytes(photo).file_name("garment.jpg"),
        );
        let response = self
            .client
            .put(format!("{}/api/v1/products/{product_id}/image", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A retailer with one model and one product with a photo: (token, model id, product id).
    pub async fn catalog(&self) -> (String, String, String) {
        let (token, _, _) = self.register("retailer").await;
        self.catalog_of(token).await
    }

    /// One model and one product with a photo for the retailer of `token`:
    /// (token, model id, product id).
    pub async fn catalog_of(&self, token: String) -> (String, String, String) {
        let (status, model) = self
            .upload_model(
                &token,
                fixture("persons/slim-light-full.jpg"),
                "slim.jpg",
                &[
                    ("name", "Asha"),
                    ("body_type", "slim"),
                    ("size", "S"),
                    ("height_cm", "170"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{model}");
        let (status, product) = self
            .post(
                "/api/v1/products",
                Some(&token),
                json!({"name": "Striped shirt", "description": "Cotton, blue stripes", "category": "shirts",
                       "garment_category": "top", "sizes": ["S", "M"], "colour": "Blue",
                       "price_cents": 2999, "currency": "EUR", "stock": 12}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{product}");
        let product_id = product["id"].as_str().unwrap().to_owned();
        let (status, body) = self
            .upload_garment(&token, &product_id, fixture("garments/shirt-striped.jpg"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (token, model["id"].as_str().unwrap().to_owned(), product_id)
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Polls a job until it is finished (bounded by count, not time).
    pub async fn wait_job(&self, token: &str, job_id: &str) -> Value {
        for _ in 0..600 {
            let (status, job) = self.get(&format!("/api/v1/tryon/{job_id}"), token).await;
            assert_eq!(status, StatusCode::OK, "{job}");
            if job["status"] == "succeeded" || job["status"] == "failed" {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {job_id} did not finish");
    }

    /// Fetches a result image (`image`: one entry of a result's `images`) and its first
    /// thumbnail, and checks that both are WebP and decode at the sizes advertised, the image
    /// 1024 pixels high. Returns the image's bytes.
    pub async fn check_result_image(&self, image: &Value) -> bytes::Bytes {
        let size = |v: &Value| {
            (
                v["width"].as_u64().unwrap() as u32,
                v["height"].as_u64().unwrap() as u32,
            )
        };
        let response = self
            .client
            .get(format!("{}{}", self.base, image["url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/webp");
        let bytes = response.bytes().await.unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), size(image));
        assert_eq!(decoded.height(), 1024);
        let thumb = &image["thumbnails"][0];
        let decoded = self.fetch_image(thumb["url"].as_str().unwrap()).await;
        assert_eq!(decoded.width(), size(thumb).0);
        bytes
    }

    /// Fetches a URL of the API and decodes it as an image.
    pub async fn fetch_image(&self, url: &str) -> image::DynamicImage {
        let response = self
            .client
            .get(format!("{}{url}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.bytes().await.unwrap();
        image::load_from_memory(&bytes).unwrap()
    }
}

/// Checks a refused request: 429, code `rate_limited`, and a Retry-After of 1 to `max_retry`
/// seconds.
pub async fn assert_rate_limited(response: reqwest::Response, max_retry: u64) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=max_retry).contains(&retry), "{retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
}

impl TestServer {
    /// Fetches an authenticated image URL and decodes it.
    pub async fn fetch_image_authed(&self, token: &str, url: &str) -> image::DynamicImage {
        let response = self
            .client
            .get(format!("{}{url}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        image::load_from_memory(&response.bytes().await.unwrap()).unwrap()
    }
}
