//! The `grok` style provider against the xAI fake: the shared style conformance suite, then
//! every moderation, error and transport scenario, checked by the error kind a caller sees,
//! and through the engine's retry policy (Retry-After, 5xx, timeouts).

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use fitview_engine::provider::conformance;
use fitview_engine::provider::grok::{GrokProvider, KEY_VAR, XaiConfig};
use fitview_engine::provider::{ProviderOutput, ProviderRegistry, ProviderSettings, StyleProvider};
use fitview_engine::{Engine, EngineConfig, Error, OutputOptions, RetryPolicy, Style};
use fitview_fakes::xai::{FakeXai, XaiScenario};
use fitview_fakes::{FakeServer, TEST_KEY};

use crate::common::{self, decoded};

/// User words that go into the prompt and must never come back in an error.
const USER_WORDS: &str = "the private rooftop of Villa Quartzberg";

fn config_for(fake: &FakeServer<XaiScenario>) -> XaiConfig {
    let mut config = XaiConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    config
}

fn provider_for(fake: &FakeServer<XaiScenario>) -> GrokProvider {
    GrokProvider::new(config_for(fake)).unwrap()
}

fn user_style() -> Style {
    Style::Background {
        description: USER_WORDS.to_owned(),
    }
}

async fn attempt(provider: &GrokProvider) -> Result<ProviderOutput, Error> {
    provider
        .stylize(conformance::sample_style_request(user_style()))
        .await
}

/// An error a user may see: no key, no prompt words, no base64 payload.
fn assert_clean(err: &Error, key: &str) {
    common::assert_clean(err, key);
    let text = err.to_string();
    assert!(!text.contains("Quartzberg"), "the prompt leaked: {text}");
}

fn engine_with(provider: GrokProvider, retry: RetryPolicy) -> Engine {
    Engine::builder()
        .config(EngineConfig {
            retry,
            ..EngineConfig::default()
        })
        .style_provider(Arc::new(provider))
        .build()
        .unwrap()
}

fn tryon_png() -> Vec<u8> {
    let image = conformance::sample_tryon_image((384, 512));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn variations_on_grok_imagine_image_2_0_send_its_quality_and_are_billed_by_it() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let mut config = config_for(&fake);
    config.model = "grok-imagine-image-2.0".into();
    let provider = GrokProvider::new(config).unwrap();
    let out = attempt(&provider).await.unwrap();
    let body = fake.requests().pop().unwrap().body.unwrap();
    assert_eq!(body["model"], "grok-imagine-image-2.0");
    assert_eq!(
        body["quality"], "medium",
        "variations use the balanced mode"
    );
    assert!((out.usage.estimated_cost_usd - 0.04).abs() < 1e-9);
    assert!((provider.capabilities().cost_per_image_usd - 0.04).abs() < 1e-9);

    // The default model takes no quality and costs the list price.
    let provider = provider_for(&fake);
    attempt(&provider).await.unwrap();
    let body = fake.requests().pop().unwrap().body.unwrap();
    assert!(body.get("quality").is_none(), "{body}");
}

#[tokio::test]
async fn grok_passes_the_style_conformance_suite() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    conformance::run_all_styles(&provider_for(&fake)).await;
}

#[tokio::test]
async fn edits_send_the_tryon_as_one_json_image_and_return_jpegs_with_the_billed_cost() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    let mut request = conformance::sample_style_request(Style::Party);
    request.samples = 2;
    let out = provider.stylize(request).await.unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/images/edits");
    assert_eq!(
        requests[0].content_type.as_deref(),
        Some("application/json")
    );
    let body = requests[0].body.as_ref().unwrap();
    assert_eq!(body["model"], "grok-imagine-image");
    assert_eq!(body["n"], 2);
    assert_eq!(body["response_format"], "b64_json");
    assert_eq!(body["image"]["type"], "image_url");
    assert!(
        body["image"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/jpeg;base64,/9j/"),
        "the opaque try-on goes as a JPEG data URI"
    );
    assert!(body["prompt"].as_str().unwrap().contains("party"));
    for absent in ["size", "images", "aspect_ratio"] {
        assert!(body.get(absent).is_none(), "{absent} sent: {body}");
    }

    assert_eq!(out.images.len(), 2);
    let first = decoded(&out.images[0]);
    // The edit keeps the input's 3:4 framing.
    assert_eq!(first.width() * 4, first.height() * 3);
    assert_ne!(
        first.to_rgba8(),
        decoded(&out.images[1]).to_rgba8(),
        "two variations differ"
    );
    assert_eq!(out.metadata["style"], "party");
    assert_eq!(out.metadata["operation"], "edits");
    // $0.02 per image, from the response's cost_in_usd_ticks.
    assert!((out.usage.estimated_cost_usd - 0.04).abs() < 1e-9);
}

#[tokio::test]
async fn generations_send_aspect_and_resolution_and_no_image() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let out = provider_for(&fake)
        .generate("an empty studio backdrop in warm light", 2, "3:4")
        .await
        .unwrap();
    let body = fake.requests()[0].body.clone().unwrap();
    assert_eq!(fake.requests()[0].path, "/v1/images/generations");
    assert_eq!(body["aspect_ratio"], "3:4");
    assert_eq!(body["resolution"], "1k");
    assert!(body.get("image").is_none() && body.get("size").is_none());
    assert_eq!(out.images.len(), 2);
    let image = decoded(&out.images[1]);
    let aspect = f64::from(image.width()) / f64::from(image.height());
    assert!((aspect - 0.75).abs() < 0.01, "{aspect}");
}

#[tokio::test]
async fn a_data_uri_prefix_before_the_base64_is_stripped() {
    let fake = FakeXai::start(XaiScenario::DataUriPrefix).await.unwrap();
    let out = attempt(&provider_for(&fake)).await.unwrap();
    assert_eq!(decoded(&out.images[0]).width(), 768);
}

#[tokio::test]
async fn moderation_in_either_shape_is_a_content_policy_error() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    for scenario in [XaiScenario::Moderated, XaiScenario::ModerationFlag] {
        fake.push(scenario.clone());
        match attempt(&provider).await {
            Err(err @ Error::ContentPolicy { .. }) => {
                assert!(err.to_string().contains("moderation"), "{err}");
                assert!(!err.is_retryable());
                assert_clean(&err, TEST_KEY);
            }
            other => panic!("{scenario:?}: expected a refusal, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn error_bodies_and_transport_failures_map_to_typed_errors_without_secrets() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    let cases = [
        (XaiScenario::RateLimited(2), "rate_limited"),
        (XaiScenario::CreditsExhausted, "auth"),
        (XaiScenario::ServerError, "unavailable"),
        (XaiScenario::DroppedConnection, "unavailable"),
        (XaiScenario::TruncatedJson, "malformed_response"),
    ];
    for (scenario, want) in cases {
        fake.push(scenario.clone());
        let err = attempt(&provider).await.unwrap_err();
        assert_eq!(err.code(), want, "{scenario:?}: {err}");
        assert_clean(&err, TEST_KEY);
    }
    fake.push(XaiScenario::RateLimited(2));
    let err = attempt(&provider).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));

    // A wrong key: xAI answers 400 "Incorrect API key provided".
    let wrong = "xai-Wr0ngKeyWr0ngKeyWr0ngKey0123";
    let mut config = config_for(&fake);
    config.api_key = fitview_engine::provider::Secret::new(wrong);
    let err = attempt(&GrokProvider::new(config).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth", "{err}");
    assert!(err.to_string().contains(KEY_VAR), "{err}");
    assert_clean(&err, wrong);

    // A model xAI does not have: 404, a configuration problem.
    let mut config = config_for(&fake);
    config.model = "grok-imagine-image-pro".into();
    let err = attempt(&GrokProvider::new(config).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "config", "{err}");
    assert_clean(&err, TEST_KEY);
}

#[tokio::test]
async fn a_response_over_the_size_cap_is_refused_before_parsing() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let mut config = config_for(&fake);
    config.max_response_bytes = 2 * 1024 * 1024;
    let provider = GrokProvider::new(config).unwrap();
    assert!(attempt(&provider).await.is_ok(), "a normal answer fits");
    fake.push(XaiScenario::Oversized(4 * 1024 * 1024));
    let err = attempt(&provider).await.unwrap_err();
    assert_eq!(err.code(), "malformed_response", "{err}");
    assert!(err.to_string().contains("exceeds the cap"), "{err}");
}

#[tokio::test]
async fn the_engine_honours_retry_after_and_retries_server_errors_but_not_refusals() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(50),
        attempt_timeout: Duration::from_secs(20),
        deadline: Duration::from_secs(30),
        ..RetryPolicy::default()
    };
    let engine = engine_with(provider_for(&fake), retry);
    let run =
        |style: Style| engine.variations(tryon_png().into(), style, 1, OutputOptions::default());

    // 429 with Retry-After: 1 → one wait, then the variation.
    fake.push(XaiScenario::RateLimited(1));
    let result = run(Style::Formal).await.unwrap();
    assert_eq!((result.attempts, fake.request_count()), (2, 2));
    assert_eq!(result.provider, "grok");
    // The engine's output keeps the input's 3:4 aspect.
    assert_eq!(result.images[0].width * 4, result.images[0].height * 3);

    // A 5xx is retried.
    fake.push(XaiScenario::ServerError);
    let result = run(Style::Casual).await.unwrap();
    assert_eq!((result.attempts, fake.request_count()), (2, 4));

    // A wait longer than the deadline allows is not attempted: the engine gives up at once
    // instead of hammering the provider early.
    fake.push(XaiScenario::RateLimited(3600));
    let err = run(Style::Party).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(fake.request_count(), 5);

    // A refusal is final.
    fake.push(XaiScenario::Moderated);
    let err = run(user_style()).await.unwrap_err();
    assert_eq!(err.code(), "content_policy");
    assert_eq!(fake.request_count(), 6);
}

#[tokio::test]
async fn a_slow_answer_is_cut_by_the_engines_attempt_timeout() {
    let fake = FakeXai::start(XaiScenario::Slow(Duration::from_secs(30)))
        .await
        .unwrap();
    let retry = RetryPolicy {
        max_attempts: 1,
        attempt_timeout: Duration::from_millis(300),
        deadline: Duration::from_secs(1),
        ..RetryPolicy::default()
    };
    let engine = engine_with(provider_for(&fake), retry);
    let err = engine
        .variations(
            tryon_png().into(),
            Style::Party,
            1,
            OutputOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "timeout", "{err}");
}

#[tokio::test]
async fn without_a_key_the_error_names_xai_api_key() {
    // An empty key reaches xAI as an empty bearer token, which it refuses.
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let mut config = config_for(&fake);
    config.api_key = fitview_engine::provider::Secret::new("");
    let err = attempt(&GrokProvider::new(config).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth", "{err}");
    assert!(err.to_string().contains(KEY_VAR), "{err}");

    let registry = ProviderRegistry::with_builtins();
    let settings = ProviderSettings {
        api_key: Some(TEST_KEY.into()),
        ..Default::default()
    };
    let provider = registry.style("grok", &settings).unwrap();
    assert_eq!(provider.model(), "grok-imagine-image");
    if std::env::var_os(KEY_VAR).is_some() {
        eprintln!("{KEY_VAR} is set: skipping the missing-key check of the registry");
        return;
    }
    let err = registry
        .style("grok", &ProviderSettings::default())
        .unwrap_err();
    assert_eq!(err.code(), "auth");
    assert!(err.to_string().contains(KEY_VAR), "{err}");
}
