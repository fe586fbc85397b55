//! Keeps the fakes honest with the official clients: FitView's provider sends its request to a
//! fake, then a script using the official Python SDK (`oracles/*.py`) reads that request back
//! from the fake and checks it against the SDK's own request types, and checks that the SDK
//! parses the fake's success, refusal and error answers.
//!
//! Needs `FITVIEW_PYTHON_SDKS`: a python3 that has `google-genai`, `openai` and `fashn`
//! (`.ci/services/python-sdks.sh` installs them and sets it). Without it the tests print why
//! and pass without checking.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use fitview_engine::provider::conformance;
use fitview_engine::provider::fashn::{FashnConfig, FashnProvider};
use fitview_engine::provider::gemini::{GeminiConfig, NanoBananaProvider};
use fitview_engine::provider::grok::{GrokProvider, XaiConfig};
use fitview_engine::provider::{ProviderRegistry, ProviderSettings, StyleProvider, TryOnProvider};
use fitview_engine::{GarmentCategory, QualityMode, Style};
use fitview_fakes::fashn::{FakeFashn, FashnScenario};
use fitview_fakes::gemini::{FakeGemini, GeminiScenario};
use fitview_fakes::xai::{FakeXai, XaiScenario};
use fitview_fakes::{RECORDED_REQUESTS_PATH, TEST_KEY};

const PYTHON_VAR: &str = "FITVIEW_PYTHON_SDKS";

/// The python3 to run the oracles with, or `None` (after saying why) when it is not configured.
fn python() -> Option<String> {
    match std::env::var(PYTHON_VAR) {
        Ok(path) if !path.trim().is_empty() => Some(path),
        _ => {
            eprintln!(
                "skipping the SDK oracle: {PYTHON_VAR} is not set (a python3 with google-genai, \
                 openai and fashn; .ci/services/python-sdks.sh installs them and sets it)"
            );
            None
        }
    }
}

/// Runs `oracles/<script> <base_url>` and returns its standard output; fails the test with the
/// script's output when it exits non-zero.
async fn run_oracle(python: String, script: &str, base_url: String) -> String {
    let path = format!("{}/oracles/{script}", env!("CARGO_MANIFEST_DIR"));
    // The fake answers on this runtime while the script runs on a blocking thread.
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&path)
            .arg(&base_url)
            .env("FITVIEW_FAKE_KEY", TEST_KEY)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {python} {path}: {e}"))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    println!("{stdout}");
    stdout
}

#[tokio::test]
async fn google_genai_accepts_fitviews_request_and_parses_the_gemini_fakes_answers() {
    let Some(python) = python() else { return };
    let fake = FakeGemini::start(GeminiScenario::Success).await.unwrap();
    let mut config = GeminiConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    let provider = NanoBananaProvider::new(config).unwrap();
    let request = conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
    provider.try_on(request).await.unwrap();

    let out = run_oracle(python, "gemini_sdk.py", fake.base_url()).await;
    for line in [
        "ok types.Content accepts fitview's contents",
        "ok types.GenerateContentConfig accepts fitview's generationConfig",
        "ok the SDK sends the body fitview sends (field spelling and base64 alphabet aside)",
        "ok success: final image part is a PNG",
        "ok blocked: promptFeedback.blockReason PROHIBITED_CONTENT, no candidates",
        "ok image-safety: finish reason IMAGE_SAFETY and no image",
        "ok quota: ClientError 429 RESOURCE_EXHAUSTED",
        "ok overloaded: ServerError 503 UNAVAILABLE",
        "gemini oracle: ",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
}

#[tokio::test]
async fn the_openai_sdk_accepts_fitviews_requests_and_parses_the_xai_fakes_answers() {
    let Some(python) = python() else { return };
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let mut config = XaiConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    let tryon = ProviderRegistry::with_builtins()
        .try_on(
            "grok",
            &ProviderSettings {
                api_key: Some(TEST_KEY.into()),
                base_url: Some(fake.base_url()),
                ..Default::default()
            },
        )
        .unwrap();
    let mut request = conformance::sample_request(&tryon.capabilities(), GarmentCategory::Top);
    request.quality = QualityMode::Best;
    tryon.try_on(request).await.unwrap();
    let provider = GrokProvider::new(config).unwrap();
    provider
        .stylize(conformance::sample_style_request(Style::Formal))
        .await
        .unwrap();
    provider
        .generate("an empty studio backdrop", 1, "3:4")
        .await
        .unwrap();

    let out = run_oracle(python, "xai_openai_sdk.py", fake.base_url()).await;
    for line in [
        "ok edit: never sends size (xAI rejects it)",
        "ok the SDK's images.generate sends fitview's generation body",
        "ok the SDK's JSON post sends fitview's edit body",
        "ok try-on: the SDK's type of `quality` accepts 'high'",
        "ok the SDK's JSON post sends fitview's try-on body",
        "ok generate: b64_json decodes to JPEG",
        "ok moderated: BadRequestError 400",
        "ok rate-limited: Retry-After header",
        "ok images.edit (multipart): APIStatusError 415",
        "xai oracle: ",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
}

#[tokio::test]
async fn the_fashn_sdk_accepts_fitviews_run_and_parses_the_fashn_fakes_answers() {
    let Some(python) = python() else { return };
    let fake = FakeFashn::start(FashnScenario::Success).await.unwrap();
    let mut config = FashnConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    config.first_poll = std::time::Duration::from_millis(5);
    let provider = FashnProvider::new(config).unwrap();
    let mut request = conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
    request.samples = 2;
    provider.try_on(request).await.unwrap();

    let out = run_oracle(python, "fashn_sdk.py", fake.base_url()).await;
    for line in [
        "ok model_name is the SDK's tryon-v1.6 literal",
        "ok TryOnRequestInputs accepts fitview's inputs (types and enums, strictly)",
        "ok the SDK sends the body fitview sends",
        "ok success: the output is a PNG data URI",
        "ok url: the URL serves a PNG",
        "ok moderated: failed with the SDK's error name ContentModerationError",
        "ok out-of-credits: RateLimitError 429",
        "ok wrong key: AuthenticationError 401",
        "fashn oracle: ",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
}

#[tokio::test]
async fn the_fakes_hand_back_what_they_received() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let mut config = XaiConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    GrokProvider::new(config)
        .unwrap()
        .generate("a backdrop", 1, "1:1")
        .await
        .unwrap();
    let url = format!("{}{RECORDED_REQUESTS_PATH}", fake.base_url());
    let body = tokio::task::spawn_blocking(move || {
        let (host, path) = url
            .strip_prefix("http://")
            .unwrap()
            .split_once('/')
            .unwrap();
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        write!(
            stream,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    let json = body.split_once("\r\n\r\n").unwrap().1;
    let recorded: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(recorded.as_array().unwrap().len(), 1, "{recorded}");
    assert_eq!(recorded[0], fake.requests()[0].to_json());
    assert_eq!(recorded[0]["body"]["prompt"], "a backdrop");
}
