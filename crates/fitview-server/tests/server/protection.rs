//! Limits: rate limits, upload checks, the bounded queue, and the error format.

use std::time::Duration;

use crate::common::{Db, assert_rate_limited, fixture, start, start_with};
use fitview_engine::Engine;
use fitview_engine::provider::mock::MockProvider;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn the_sixth_login_in_a_minute_is_refused_with_retry_after(db: Db) {
    let server = start(db, |_| {}).await;
    let email = crate::common::email("victim");
    let (status, _) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": "a good password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for attempt in 1..=5 {
        let (status, body) = server.login(&email, "wrong password").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {body}"
        );
        assert_eq!(body["error"]["code"], "invalid_credentials");
    }
    let response = server
        .client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": email, "password": "a good password"}))
        .send()
        .await
        .unwrap();
    assert_rate_limited(response, 60).await;
}

async fn logins_are_limited_per_ip_across_accounts(db: Db) {
    let server = start(db, |c| c.rate_limits.login_per_ip_per_minute = 10).await;
    // Ten distinct unknown accounts, then the eleventh is refused whatever the account.
    for attempt in 1..=10 {
        let (status, body) = server
            .login(&crate::common::email("sprayed"), "Summer2026!")
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {body}"
        );
    }
    let response = server
        .client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": crate::common::email("sprayed"), "password": "Summer2026!"}))
        .send()
        .await
        .unwrap();
    assert_rate_limited(response, 60).await;
}

async fn an_accounts_login_budget_is_shared_by_its_email_and_phone(db: Db) {
    let server = start(db, |c| c.rate_limits.login_per_ip_per_minute = 1000).await;
    let email = crate::common::email("two-ids");
    let phone = format!("+4479{:08}", rand_digits());
    let (status, body) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "phone": phone, "password": "a good password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let by_phone = |password: &str| json!({"phone": phone, "password": password});
    for attempt in 1..=5 {
        let (status, body) = if attempt % 2 == 0 {
            server
                .post("/api/v1/auth/login", None, by_phone("wrong password"))
                .await
        } else {
            server.login(&email, "wrong password").await
        };
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {body}"
        );
    }
    for body in [
        json!({"email": email, "password": "a good password"}),
        by_phone("a good password"),
    ] {
        let response = server
            .client
            .post(format!("{}/api/v1/auth/login", server.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_rate_limited(response, 60).await;
    }
}

/// Eight random digits.
fn rand_digits() -> u64 {
    u64::from(uuid::Uuid::new_v4().as_fields().0) % 100_000_000
}

/// A `fitview-server` process on a port of its own, killed when dropped.
struct ServerProcess {
    child: std::process::Child,
    base: String,
}

impl ServerProcess {
    /// Starts the server binary on `db` with these extra flags; waits until it listens.
    async fn start(db: &Db, data_dir: &std::path::Path, flags: &[&str]) -> Self {
        use std::io::BufRead as _;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fitview-server"));
        command
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(flags)
            .env("FITVIEW_LOG", "info")
            .env("FITVIEW_JWT_SECRET", crate::common::SECRET)
            .env_remove("FITVIEW_DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        if let Some(url) = db.server_url().await {
            command.env("FITVIEW_DATABASE_URL", url);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        // Reads the log to its end, so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("listening")
                    && let Some(at) = line.find("127.0.0.1:")
                {
                    let port: String = line[at + 10..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    let _ = addr_tx.send(format!("http://127.0.0.1:{port}"));
                }
            }
        });
        let base = tokio::task::spawn_blocking(move || {
            addr_rx.recv_timeout(Duration::from_secs(120)).unwrap()
        })
        .await
        .unwrap();
        ServerProcess { child, base }
    }

    /// `(VmRSS, VmHWM)` of the process, in bytes.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| {
            let line = status.lines().find(|l| l.starts_with(name)).unwrap();
            let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            kb * 1024
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A soak: rounds of 48 parallel logins for unknown accounts (each checks a 19 MiB Argon2 hash)
/// leave the server's memory within its two hashing buffers of where it started.
async fn login_floods_keep_the_servers_memory_bounded(db: Db) {
    const MIB: u64 = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        &db,
        dir.path(),
        &[
            "--password-hashes",
            "2",
            "--login-per-minute",
            "10000",
            "--login-per-ip-per-minute",
            "10000",
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let login = |email: String| {
        let client = client.clone();
        let url = format!("{}/api/v1/auth/login", server.base);
        async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": "not the password"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // The first login makes the dummy hash and the first buffer.
    assert_eq!(
        login(crate::common::email("first")).await,
        StatusCode::UNAUTHORIZED
    );
    let (baseline, _) = server.memory();
    for round in 0..3 {
        let statuses =
            futures::future::join_all((0..48).map(|_| login(crate::common::email("flood")))).await;
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        assert!(
            statuses
                .iter()
                .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::SERVICE_UNAVAILABLE),
            "round {round}: {statuses:?}"
        );
        assert!(refused > 0, "round {round}: {statuses:?}");
        let (rss, peak) = server.memory();
        assert!(
            peak < baseline + 2 * 19 * MIB + 48 * MIB,
            "round {round}: peak {} MiB over a baseline of {} MiB (now {} MiB)",
            peak / MIB,
            baseline / MIB,
            rss / MIB
        );
    }
}

/// Reads from `stream` until the server closes it; what it sent. Bounded so that a server that
/// never closes fails the test instead of hanging it.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt as _;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    received
}

async fn slow_and_idle_connections_are_closed(db: Db) {
    use tokio::io::AsyncWriteExt as _;
    let server = start(db, |c| {
        c.limits.header_read_timeout = Duration::from_millis(300)
    })
    .await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    // Connects and sends nothing.
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Never finishes its headers.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Asks once, then keeps the connection idle.
    let mut kept = tokio::net::TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    for stream in [&mut idle, &mut slow] {
        let received = read_until_closed(stream).await;
        assert!(
            !received.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&received)
        );
    }
    let received = read_until_closed(&mut kept).await;
    assert!(
        received.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&received)
    );
}

async fn connections_per_ip_are_bounded(db: Db) {
    use tokio::io::AsyncWriteExt as _;
    let server = start(db, |c| c.limits.max_connections_per_ip = 2).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let health = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    // Two open connections (one request answered on each, kept alive) fill the IP's share.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 12];
        tokio::io::AsyncReadExt::read_exact(&mut stream, &mut first)
            .await
            .unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        held.push(stream);
    }
    // A third is closed without an answer.
    let mut third = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let _ = third.write_all(health).await;
    let received = read_until_closed(&mut third).await;
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    // Once one closes, a new one is served.
    drop(held.pop());
    let mut answered = false;
    for _ in 0..100 {
        let mut next = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let _ = next.write_all(health).await;
        if read_until_closed(&mut next)
            .await
            .starts_with(b"HTTP/1.1 200")
        {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered, "a connection after one closed is served");
}

async fn data_files_are_private_to_the_server(db: Db) {
    use std::os::unix::fs::PermissionsExt as _;
    let sqlite = matches!(db, Db::Sqlite);
    let server = start(db, |_| {}).await;
    server.catalog().await;
    let dir = &server.state.config.data_dir;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700);
    if sqlite {
        for name in ["fitview.db", "fitview.db-wal", "fitview.db-shm"] {
            assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
        }
    }
}

async fn try_ons_are_rate_limited_per_user(db: Db) {
    let server = start(db, |c| c.rate_limits.tryon_per_minute = 3).await;
    let (token, model, product) = server.catalog().await;
    let body = json!({"model_id": model, "product_id": product});
    for _ in 0..3 {
        let (status, job) = server
            .post("/api/v1/tryon", Some(&token), body.clone())
            .await;
        assert!(status.is_success(), "{job}");
    }
    let (status, error) = server
        .post("/api/v1/tryon", Some(&token), body.clone())
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{error}");
    // Another user has their own budget.
    let (other, _, _) = server.register("customer").await;
    let (status, _) = server.post("/api/v1/tryon", Some(&other), body).await;
    assert!(status.is_success());
}

async fn feedback_posts_are_rate_limited_per_user(db: Db) {
    let server = start(db, |c| c.rate_limits.feedback_per_minute = 3).await;
    let (token, model, product) = server.catalog().await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model, "product_id": product, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let path = format!("/api/v1/tryon/{}/feedback", job["job_id"].as_str().unwrap());
    let rating = json!({"rating": 4});
    let (status, body) = server.post(&path, Some(&token), rating.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Refused posts count too: a flood of repeats is stopped, not only answered 409.
    for _ in 0..2 {
        let (status, body) = server.post(&path, Some(&token), rating.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }
    let response = server
        .client
        .post(format!("{}{path}", server.base))
        .bearer_auth(&token)
        .json(&rating)
        .send()
        .await
        .unwrap();
    assert_rate_limited(response, 60).await;
}

async fn a_whole_number_written_as_a_float_is_an_integer(db: Db) {
    // JSON Schema's integer is any number without a fraction: 11810.0 is valid for the
    // document, so the server takes it; 11810.5 is refused naming the field.
    let server = start(db, |_| {}).await;
    let (token, _, _) = server.register("retailer").await;
    let product = |price: f64| {
        json!({"name": "Linen dress", "description": "Linen", "category": "dresses",
               "garment_category": "one-piece", "sizes": ["M"], "price_cents": price,
               "currency": "EUR", "stock": 4.0})
    };
    let (status, body) = server
        .post("/api/v1/products", Some(&token), product(11810.0))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (body["price_cents"].clone(), body["stock"].clone()),
        (json!(11810), json!(4))
    );
    let (status, body) = server
        .post("/api/v1/products", Some(&token), product(11810.5))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("price_cents"), "{body}");
}

async fn uploads_that_are_not_images_get_a_typed_error(db: Db) {
    let server = start(db, |c| c.limits.max_upload_bytes = 2 * 1024 * 1024).await;
    let (token, _, product) = server.catalog().await;
    for (name, bytes) in [
        ("text", b"just some text, not a photo".to_vec()),
        ("html.png", fixture("bad/html.png")),
        ("truncated.jpg", fixture("bad/truncated.jpg")),
    ] {
        let (status, body) = server
            .upload_model(&token, bytes, name, &[("name", "x")])
            .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}: {body}");
        assert_eq!(body["error"]["code"], "unsupported_format", "{name}");
    }
    let (status, body) = server
        .upload_garment(&token, &product, b"%PDF-1.4".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    // A decompression bomb is refused by the engine's limits before decoding.
    let (status, body) = server
        .upload_model(
            &token,
            fixture("bad/bomb.png"),
            "bomb.png",
            &[("name", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "image_too_large");
    // Over the upload limit: 413 (the server reads the rest of the body before answering, so the
    // client gets the answer and its connection stays usable), and nothing is stored.
    let (_, before) = server.get("/api/v1/models", &token).await;
    for _ in 0..3 {
        let (status, body) = server
            .upload_model(
                &token,
                vec![0u8; 3 * 1024 * 1024],
                "big.jpg",
                &[("name", "x")],
            )
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert_eq!(body["error"]["code"], "payload_too_large");
    }
    let (_, after) = server.get("/api/v1/models", &token).await;
    assert_eq!(before, after, "an upload over the limit stores nothing");
    // Missing image and missing name.
    let (status, body) = server
        .upload_model(&token, Vec::new(), "empty.jpg", &[("name", "x")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = server
        .upload_model(&token, fixture("persons/slim-light-full.jpg"), "p.jpg", &[])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

async fn a_full_queue_answers_503_with_retry_after(db: Db) {
    let slow = Engine::builder().provider(MockProvider::new().with_latency(Duration::from_secs(3)));
    let server = start_with(db, slow, |c| {
        c.limits.queue_capacity = 1;
        c.limits.workers = 1;
    })
    .await;
    let (token, model, product) = server.catalog().await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..4 {
        let response = server
            .client
            .post(format!("{}/api/v1/tryon", server.base))
            .bearer_auth(&token)
            .json(&json!({"model_id": model, "product_id": product}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            retry_after = Some(
                response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "queue_full");
        }
    }
    assert_eq!(statuses[0], StatusCode::ACCEPTED);
    assert!(
        statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
}

async fn errors_share_one_shape_and_ops_endpoints_answer(db: Db) {
    let server = start(db, |_| {}).await;
    let (status, body) = server.call(Method::GET, "/nope", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");

    let response = server
        .client
        .post(format!("{}/api/v1/auth/login", server.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");

    let (status, body) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@b.co", "password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "validation");

    let (status, body) = server.call(Method::GET, "/health", None, None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    // Paging beyond the int32 the OpenAPI document declares is refused like it.
    let (customer, _, _) = server.register("customer").await;
    let (status, body) = server
        .get("/api/v1/products?offset=2147483648", &customer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = server
        .get("/api/v1/products?offset=2147483647", &customer)
        .await;
    assert_eq!(status, StatusCode::OK);
    // Every answer, whoever made it, tells browsers not to sniff its type.
    for (method, path) in [
        (Method::GET, "/ready"),
        (Method::GET, "/nope"),
        (Method::GET, "/api/v1/me"),
        (Method::POST, "/api/v1/auth/login"),
        (Method::GET, "/api/v1/images/0/image.webp"),
    ] {
        let response = server
            .client
            .request(method, format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
    let (status, _) = server.call(Method::GET, "/ready", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, doc) = server.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/tryon"]["post"].is_object());
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(
            "fitview_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("fitview_tryon_queue_depth 0"));
}

crate::common::on_both_databases!(
    the_sixth_login_in_a_minute_is_refused_with_retry_after,
    logins_are_limited_per_ip_across_accounts,
    an_accounts_login_budget_is_shared_by_its_email_and_phone,
    login_floods_keep_the_servers_memory_bounded,
    slow_and_idle_connections_are_closed,
    connections_per_ip_are_bounded,
    data_files_are_private_to_the_server,
    try_ons_are_rate_limited_per_user,
    feedback_posts_are_rate_limited_per_user,
    a_whole_number_written_as_a_float_is_an_integer,
    uploads_that_are_not_images_get_a_typed_error,
    a_full_queue_answers_503_with_retry_after,
    errors_share_one_shape_and_ops_endpoints_answer,
);

/// A log filter that does not parse stops the server at start with a message naming the
/// variable, instead of running with another filter than the operator asked for.
#[test]
fn an_invalid_log_filter_stops_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_fitview-server"))
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("FITVIEW_LOG", "fitview=loud")
        .env("FITVIEW_JWT_SECRET", crate::common::SECRET)
        .env_remove("FITVIEW_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("FITVIEW_LOG=\"fitview=loud\" is not a valid log filter"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes into a pipe: {stderr}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing was started"
    );
}
