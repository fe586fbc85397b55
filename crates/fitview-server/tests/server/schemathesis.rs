//! schemathesis against the running server's own /openapi.json: generated requests to every
//! operation, as a logged-in retailer over a seeded catalog, must get no 5xx, only documented
//! status codes and content types, and bodies that match the documented schemas.
//!
//! Needs FITVIEW_SCHEMATHESIS (the `schemathesis` command; `.ci/services/schemathesis.sh`
//! installs it and sets it); skipped with a message without it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Db, start_with};
use fitview_engine::{Engine, EngineConfig};
use reqwest::StatusCode;
use serde_json::json;

/// Test cases per operation.
const MAX_EXAMPLES: &str = "25";
/// schemathesis' own time budget, in seconds.
const MAX_TIME_SECS: u64 = 150;
/// Past this the run is killed and the test fails.
const HARD_LIMIT: Duration = Duration::from_secs(MAX_TIME_SECS + 120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    let Some(schemathesis) = std::env::var_os("FITVIEW_SCHEMATHESIS").filter(|s| !s.is_empty())
    else {
        eprintln!(
            "SKIPPED schemathesis run: FITVIEW_SCHEMATHESIS is not set \
             (.ci/services/schemathesis.sh installs schemathesis and sets it)"
        );
        return;
    };

    // The offline provider of the default configuration, and limits that let a fuzzer through.
    let engine = Engine::builder().config(EngineConfig::default());
    let server = start_with(Db::Sqlite, engine, |c| {
        c.rate_limits.login_per_minute = 100_000;
        c.rate_limits.register_per_minute = 100_000;
        c.rate_limits.tryon_per_minute = 100_000;
        c.limits.max_upload_bytes = 2 * 1024 * 1024;
    })
    .await;

    // A seeded catalog and a finished try-on, so ids in the fuzzer's requests can hit real rows.
    let (token, model_id, product_id) = server.catalog().await;
    let (status, job) = server
        .post(
            "/api/v1/tryon",
            Some(&token),
            json!({"model_id": model_id, "product_id": product_id, "wait_ms": 30000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");

    let schema = format!("{}/openapi.json", server.base);
    let report = tempfile::tempdir().unwrap();
    let mut command = Command::new(&schemathesis);
    command
        .args(["--no-color", "run"])
        .arg(&schema)
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            MAX_EXAMPLES,
            "--max-time",
            &MAX_TIME_SECS.to_string(),
            "--seed",
            "20261125",
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--suppress-health-check",
            "all",
            // The stateful phase stops at links schemathesis infers itself (4.32.5 infers one
            // from GET /tryon/history to POST /webhooks with an `id` that operation does not
            // take, and refuses to run); the API declares no links yet.
            "--phases",
            "examples,coverage,fuzzing",
            // A fuzzer must not log its own account out or delete it half-way.
            "--exclude-operation-id",
            "delete_me",
            "--exclude-operation-id",
            "logout_all",
        ])
        .arg("--report-dir")
        .arg(report.path())
        .current_dir(report.path())
        .stdin(Stdio::null());
    let outcome = tokio::task::spawn_blocking(move || run_bounded(command, HARD_LIMIT))
        .await
        .unwrap();
    let (success, output) = outcome;
    assert!(success, "schemathesis found problems:\n{output}");
    println!("{output}");
    // The run really exercised the API.
    assert!(
        output.contains("/api/v1/tryon") && output.contains("passed"),
        "{output}"
    );
}

/// Runs `command` to its end or until `limit`, then kills it; returns whether it succeeded and
/// what it printed (stdout then stderr).
fn run_bounded(mut command: Command, limit: Duration) -> (bool, String) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let err = tempfile::NamedTempFile::new().unwrap();
    command
        .stdout(out.reopen().unwrap())
        .stderr(err.reopen().unwrap());
    let mut child = command.spawn().expect("cannot start schemathesis");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut output = std::fs::read_to_string(out.path()).unwrap_or_default();
    output.push_str(&std::fs::read_to_string(err.path()).unwrap_or_default());
    match status {
        Some(status) => (status.success(), output),
        None => (
            false,
            format!("{output}\nschemathesis killed after {limit:?}"),
        ),
    }
}
