//! The `nano-banana` provider against the Gemini fake: the shared conformance suite, then every
//! refusal, error and transport scenario, checked by the error kind a caller sees.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use fitview_engine::provider::conformance::{self, Expectations};
use fitview_engine::provider::gemini::{GeminiConfig, NanoBananaProvider};
use fitview_engine::provider::{ModeSettings, ProviderRegistry, ProviderSettings, TryOnProvider};
use fitview_engine::{
    Engine, EngineConfig, Error, GarmentCategory, QualityMode, RetryPolicy, TryOnRequest,
};
use fitview_fakes::gemini::{FakeGemini, GeminiScenario, Refusal};
use fitview_fakes::{FakeServer, TEST_KEY};

use crate::common::fixture;

fn provider_for(fake: &FakeServer<GeminiScenario>) -> NanoBananaProvider {
    let mut config = GeminiConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    NanoBananaProvider::new(config).unwrap()
}

async fn attempt(
    provider: &NanoBananaProvider,
) -> Result<fitview_engine::provider::ProviderOutput, Error> {
    let request = conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
    provider.try_on(request).await
}

#[tokio::test]
async fn nano_banana_passes_the_provider_conformance_suite() {
    let fake = FakeGemini::start(GeminiScenario::Success).await.unwrap();
    conformance::run_all(&provider_for(&fake), Expectations::nondeterministic()).await;
}

#[tokio::test]
async fn sends_garments_then_person_then_prompt_with_image_output_at_3_4() {
    let fake = FakeGemini::start(GeminiScenario::Success).await.unwrap();
    let out = attempt(&provider_for(&fake)).await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path,
        "/v1beta/models/gemini-3.1-flash-lite-image:generateContent"
    );
    let body = requests[0].body.as_ref().unwrap();
    let parts = body["contents"][0]["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        parts[0]["inlineData"]["mimeType"], "image/png",
        "the cut-out garment keeps its alpha"
    );
    assert_eq!(
        parts[1]["inlineData"]["mimeType"], "image/jpeg",
        "the opaque person goes as JPEG"
    );
    assert!(parts[2]["text"].as_str().unwrap().contains("image 1"));
    assert_eq!(
        body["generationConfig"]["responseModalities"],
        serde_json::json!(["IMAGE"])
    );
    assert_eq!(
        body["generationConfig"]["imageConfig"]["aspectRatio"],
        "3:4"
    );
    assert_eq!(body["generationConfig"]["imageConfig"]["imageSize"], "1K");
    // Usage and cost come from the response's usageMetadata.
    assert_eq!(out.usage.input_tokens, Some(560 * 2 + 200));
    assert_eq!(out.usage.output_tokens, Some(1120 + 180));
    assert!(out.usage.estimated_cost_usd > 0.01 && out.usage.estimated_cost_usd < 0.2);
    assert_eq!(out.metadata["model"], "gemini-3.1-flash-lite-image");
}

#[tokio::test]
async fn each_mode_calls_its_model_at_its_size_and_is_priced_at_that_model() {
    let fake = FakeGemini::start(GeminiScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    let mut costs = Vec::new();
    for (mode, model, size) in [
        (QualityMode::Fast, "gemini-3.1-flash-lite-image", "1K"),
        (QualityMode::Balanced, "gemini-3.1-flash-image", "1K"),
        (QualityMode::Best, "gemini-3-pro-image", "2K"),
    ] {
        let mut request =
            conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
        request.quality = mode;
        let out = provider.try_on(request).await.unwrap();
        let last = fake.requests().pop().unwrap();
        assert_eq!(last.path, format!("/v1beta/models/{model}:generateContent"));
        let body = last.body.unwrap();
        assert_eq!(
            body["generationConfig"]["imageConfig"]["imageSize"], size,
            "{mode}"
        );
        let offer = provider.offer(mode);
        assert_eq!((offer.model.as_str(), offer.mode), (model, mode));
        costs.push((offer.usd_per_image, out.usage.estimated_cost_usd));
    }
    // Dearer per mode, before the call and after it.
    assert!(
        costs[0].0 < costs[1].0 && costs[1].0 < costs[2].0,
        "{costs:?}"
    );
    assert!(
        costs[0].1 < costs[1].1 && costs[1].1 < costs[2].1,
        "{costs:?}"
    );
    assert!(
        (provider.capabilities().cost_per_image_usd - costs[0].0).abs() < 1e-12,
        "the capability's price is the default mode's"
    );

    // Lite makes 1K only: the fake refuses 2K as Gemini does, so Lite as the best model is
    // asked for 1K.
    let mut config = GeminiConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    config.best_model = "gemini-3.1-flash-lite-image".into();
    let lite_best = NanoBananaProvider::new(config).unwrap();
    let mut request = conformance::sample_request(&lite_best.capabilities(), GarmentCategory::Top);
    request.quality = QualityMode::Best;
    lite_best.try_on(request).await.unwrap();
    let body = fake.requests().pop().unwrap().body.unwrap();
    assert_eq!(body["generationConfig"]["imageConfig"]["imageSize"], "1K");
}

#[tokio::test]
async fn per_mode_models_and_prices_come_from_the_settings() {
    let fake = FakeGemini::start(GeminiScenario::Success).await.unwrap();
    let mut settings = ProviderSettings {
        api_key: Some(TEST_KEY.into()),
        base_url: Some(fake.base_url()),
        ..Default::default()
    };
    settings.modes.insert(
        QualityMode::Fast,
        ModeSettings {
            model: Some("gemini-3.1-flash-image".into()),
            usd_per_image: Some(0.05),
        },
    );
    let provider = ProviderRegistry::with_builtins()
        .try_on("nano-banana", &settings)
        .unwrap();
    let offer = provider.offer(QualityMode::Fast);
    assert_eq!(offer.model, "gemini-3.1-flash-image");
    assert!((offer.usd_per_image - 0.05).abs() < 1e-12);
    let request = conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
    let out = provider.try_on(request).await.unwrap();
    assert!(
        (out.usage.estimated_cost_usd - 0.05).abs() < 1e-12,
        "the configured price is recorded"
    );
    assert_eq!(
        provider.offer(QualityMode::Best).model,
        "gemini-3-pro-image"
    );
}

#[tokio::test]
async fn every_refusal_shape_is_a_content_policy_error_naming_the_reason() {
    let fake = FakeGemini::start(GeminiScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    let cases = [
        (Refusal::PromptBlocked, "prompt blocked: PROHIBITED_CONTENT"),
        (Refusal::ImageSafety, "IMAGE_SAFETY"),
        (Refusal::ProhibitedContent, "PROHIBITED_CONTENT"),
        (Refusal::NoImage, "NO_IMAGE"),
        (Refusal::ImageOther, "IMAGE_OTHER"),
        (Refusal::ImageRecitation, "IMAGE_RECITATION"),
        (Refusal::Safety, "SAFETY"),
        (Refusal::TextOnly, "NO_IMAGE (text-only answer)"),
        (Refusal::EmptyCandidates, "no candidates"),
    ];
    for (shape, want) in cases {
        fake.push(GeminiScenario::Refusal(shape));
        match attempt(&provider).await {
            Err(Error::ContentPolicy { reason }) => {
                assert!(reason.starts_with(want), "{shape:?}: {reason}")
            }
            other => panic!("{shape:?}: expected a refusal, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn error_bodies_and_transport_failures_map_to_typed_errors() {
    let fake = FakeGemini::start(GeminiScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    let cases: Vec<(GeminiScenario, &str)> = vec![
        (
            GeminiScenario::RateLimited {
                retry_delay: "3.5s".into(),
                per_day: false,
            },
            "rate_limited",
        ),
        (GeminiScenario::Status(403), "auth"),
        (GeminiScenario::Status(400), "config"),
        (GeminiScenario::Status(500), "unavailable"),
        (GeminiScenario::Status(503), "unavailable"),
        (GeminiScenario::Status(504), "unavailable"),
        (GeminiScenario::BadGatewayHtml, "unavailable"),
        (GeminiScenario::TruncatedJson, "malformed_response"),
        (GeminiScenario::DroppedConnection, "unavailable"),
        (GeminiScenario::NotAnImage, "malformed_response"),
    ];
    for (scenario, want) in cases {
        fake.push(scenario.clone());
        let err = attempt(&provider).await.unwrap_err();
        assert_eq!(err.code(), want, "{scenario:?}: {err}");
    }
    fake.push(GeminiScenario::RateLimited {
        retry_delay: "3.5s".into(),
        per_day: false,
    });
    let err = attempt(&provider).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_millis(3500)));
    fake.push(GeminiScenario::RateLimited {
        retry_delay: "3s".into(),
        per_day: true,
    });
    let err = attempt(&provider).await.unwrap_err();
    assert!(
        err.retry_after().unwrap() > Duration::from_secs(60),
        "a daily quota waits for the reset: {err:?}"
    );
}

#[tokio::test]
async fn a_wrong_key_an_unknown_model_and_a_huge_answer_are_reported_without_secrets() {
    let fake = FakeGemini::start(GeminiScenario::Success).await.unwrap();
    let mut config = GeminiConfig::new("AIzaWrongKey0123456789abcdef");
    config.base_url = fake.base_url();
    let err = attempt(&NanoBananaProvider::new(config).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth");
    assert!(
        err.to_string().contains("GEMINI_API_KEY") && !err.to_string().contains("AIzaWrong"),
        "{err}"
    );

    let mut config = GeminiConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    config.fast_model = "gemini-3-pro-image-preview".into();
    let err = attempt(&NanoBananaProvider::new(config).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "config", "{err}");

    let mut config = GeminiConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    config.max_response_bytes = 4 * 1024 * 1024;
    fake.push(GeminiScenario::Oversized(8 * 1024 * 1024));
    let err = attempt(&NanoBananaProvider::new(config).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "malformed_response", "{err}");
}

#[tokio::test]
async fn a_jpeg_declared_as_png_is_sniffed_and_vertex_paths_use_a_bearer_token() {
    let fake = FakeGemini::start(GeminiScenario::JpegDeclaredPng)
        .await
        .unwrap();
    let out = attempt(&provider_for(&fake)).await.unwrap();
    assert_eq!(out.metadata["image_formats"][0]["declared"], "image/png");
    assert_eq!(out.metadata["image_formats"][0]["sniffed"], "JPEG");

    fake.set_default(GeminiScenario::Success);
    let settings = ProviderSettings {
        api_key: Some(TEST_KEY.into()),
        base_url: Some(format!(
            "{}/v1/projects/p/locations/global/publishers/google",
            fake.base_url()
        )),
        model: Some("gemini-3-pro-image".into()),
        ..Default::default()
    };
    let mut config = GeminiConfig::from_settings(&settings).unwrap();
    assert!(config.bearer, "the Vertex AI host switches to bearer auth");
    config.base_url = settings.base_url.clone().unwrap();
    let provider = NanoBananaProvider::new(config.clone()).unwrap();
    // A plain base URL sends x-goog-api-key, which the Vertex path of the fake refuses.
    config.bearer = false;
    assert_eq!(
        attempt(&NanoBananaProvider::new(config).unwrap())
            .await
            .unwrap_err()
            .code(),
        "auth"
    );
    // With the bearer token it succeeds (the local URL alone would not have switched).
    let mut bearer = GeminiConfig::from_settings(&settings).unwrap();
    bearer.bearer = true;
    assert!(
        attempt(&NanoBananaProvider::new(bearer).unwrap())
            .await
            .is_ok()
    );
    assert_eq!(provider.model(), "gemini-3-pro-image");
    let last = fake.requests().pop().unwrap();
    assert_eq!(
        last.path,
        "/v1/projects/p/locations/global/publishers/google/models/gemini-3-pro-image:generateContent"
    );
}

#[tokio::test]
async fn the_engine_waits_the_retry_delay_and_returns_a_decoded_result_at_the_person_aspect() {
    let fake = FakeGemini::start(GeminiScenario::Success).await.unwrap();
    fake.push(GeminiScenario::RateLimited {
        retry_delay: "0.2s".into(),
        per_day: false,
    });
    let config = EngineConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        },
        ..EngineConfig::default()
    };
    let engine = Engine::builder()
        .config(config)
        .shared_provider(Arc::new(provider_for(&fake)))
        .build()
        .unwrap();
    let person = fixture("persons/average-medium-full.jpg");
    let garment = fixture("garments/shirt-striped.jpg");
    let result = engine
        .try_on(TryOnRequest::new(person, garment).with_category(GarmentCategory::Top))
        .await
        .unwrap();
    assert_eq!(result.attempts, 2);
    assert_eq!(fake.request_count(), 2);
    assert_eq!(result.provider, "nano-banana");
    // The person photo is 768x1024 (3:4); the result keeps that aspect.
    let image = &result.images[0];
    assert_eq!(
        image.width * 4,
        image.height * 3,
        "{}x{}",
        image.width,
        image.height
    );
    assert!(result.usage.estimated_cost_usd > 0.0);
}

#[tokio::test]
async fn a_slow_answer_is_cut_by_the_engines_attempt_timeout() {
    let fake = FakeGemini::start(GeminiScenario::Slow(Duration::from_secs(30)))
        .await
        .unwrap();
    let config = EngineConfig {
        retry: RetryPolicy {
            max_attempts: 1,
            attempt_timeout: Duration::from_millis(300),
            deadline: Duration::from_secs(1),
            ..RetryPolicy::default()
        },
        ..EngineConfig::default()
    };
    let engine = Engine::builder()
        .config(config)
        .shared_provider(Arc::new(provider_for(&fake)))
        .build()
        .unwrap();
    let request = TryOnRequest::new(
        fixture("persons/slim-light-full.jpg"),
        fixture("garments/tshirt-plain.jpg"),
    );
    let err = engine.try_on(request).await.unwrap_err();
    assert_eq!(err.code(), "timeout", "{err}");
}

#[test]
fn the_registry_builds_nano_banana_and_names_the_variable_when_the_key_is_missing() {
    let registry = ProviderRegistry::with_builtins();
    let settings = ProviderSettings {
        api_key: Some(TEST_KEY.into()),
        ..Default::default()
    };
    let provider = registry.try_on("nano-banana", &settings).unwrap();
    assert_eq!(
        provider.model(),
        "gemini-3.1-flash-lite-image | gemini-3.1-flash-image | gemini-3-pro-image"
    );
    if std::env::var_os("GEMINI_API_KEY").is_some() {
        eprintln!("GEMINI_API_KEY is set: skipping the missing-key check");
        return;
    }
    let err = registry
        .try_on("nano-banana", &ProviderSettings::default())
        .unwrap_err();
    assert_eq!(err.code(), "auth");
    assert!(err.to_string().contains("GEMINI_API_KEY"), "{err}");
}
