//! `grok` as a try-on provider against the xAI fake: the conformance suite, the multi-image
//! edit it sends (person first, then the garments, with the mode's `quality`), the price per
//! quality, the retired model, and a chain that falls back from Gemini to grok.

use std::sync::Arc;
use std::time::Duration;

use fitview_engine::provider::conformance::{self, Expectations};
use fitview_engine::provider::gemini::{GeminiConfig, NanoBananaProvider};
use fitview_engine::provider::grok::{GrokTryOnProvider, XaiConfig};
use fitview_engine::provider::{
    PreparedGarment, ProviderRegistry, ProviderSettings, TryOnProvider,
};
use fitview_engine::{
    Engine, EngineConfig, GarmentCategory, QualityMode, RetryPolicy, TryOnRequest,
};
use fitview_fakes::gemini::{FakeGemini, GeminiScenario};
use fitview_fakes::xai::{FakeXai, XaiScenario};
use fitview_fakes::{FakeServer, TEST_KEY};

use crate::common::fixture;

fn settings_for(fake: &FakeServer<XaiScenario>) -> ProviderSettings {
    ProviderSettings {
        api_key: Some(TEST_KEY.into()),
        base_url: Some(fake.base_url()),
        ..Default::default()
    }
}

fn provider_for(fake: &FakeServer<XaiScenario>) -> Arc<dyn TryOnProvider> {
    ProviderRegistry::with_builtins()
        .try_on("grok", &settings_for(fake))
        .unwrap()
}

#[tokio::test]
async fn grok_try_on_passes_the_provider_conformance_suite() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    conformance::run_all(
        provider_for(&fake).as_ref(),
        Expectations::nondeterministic(),
    )
    .await;
}

#[tokio::test]
async fn one_edit_carries_the_person_then_the_garments_with_the_modes_quality_and_price() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    assert_eq!(provider.model(), "grok-imagine-image-2.0");
    let mut costs = Vec::new();
    for (mode, quality) in [
        (QualityMode::Fast, "low"),
        (QualityMode::Balanced, "medium"),
        (QualityMode::Best, "high"),
    ] {
        let caps = provider.capabilities();
        let mut request = conformance::sample_request(&caps, GarmentCategory::Kurta);
        request.garments.push(PreparedGarment {
            image: request.garments[0].image.clone(),
            category: GarmentCategory::Dupatta,
        });
        request.quality = mode;
        let out = provider.try_on(request).await.unwrap();
        let recorded = fake.requests().pop().unwrap();
        assert_eq!(recorded.path, "/v1/images/edits");
        let body = recorded.body.unwrap();
        assert_eq!(body["model"], "grok-imagine-image-2.0");
        assert_eq!(body["quality"], quality);
        assert!(body.get("image").is_none() && body.get("size").is_none());
        let sources = body["images"].as_array().unwrap();
        assert_eq!(sources.len(), 3, "the person and two garments");
        assert!(
            sources[0]["url"]
                .as_str()
                .unwrap()
                .starts_with("data:image/jpeg"),
            "the opaque person first"
        );
        let prompt = body["prompt"].as_str().unwrap();
        assert!(
            prompt.contains("<IMAGE_0> is the photo of the person"),
            "{prompt}"
        );
        assert!(
            prompt.contains("<IMAGE_2> is the product photo of a dupatta"),
            "{prompt}"
        );
        assert_eq!(out.metadata["quality"], quality);
        // The answer is at the person's canvas aspect (3:4).
        let image = crate::common::decoded(&out.images[0]);
        assert_eq!(image.width() * 4, image.height() * 3);
        let offer = provider.offer(mode);
        assert_eq!(offer.setting, format!("quality={quality}"));
        assert!(
            (out.usage.estimated_cost_usd - offer.usd_per_image).abs() < 1e-9,
            "billed {} at {quality}, priced {}",
            out.usage.estimated_cost_usd,
            offer.usd_per_image
        );
        costs.push(offer.usd_per_image);
    }
    assert!(costs[0] < costs[1] && costs[1] < costs[2], "{costs:?}");

    // Five sources at most: the person and four garments.
    let caps = provider.capabilities();
    assert_eq!(caps.max_garments, 4);
    let mut request = conformance::sample_request(&caps, GarmentCategory::Top);
    request.garments = vec![request.garments[0].clone(); 5];
    let err = provider.try_on(request).await.unwrap_err();
    assert_eq!(err.code(), "not_supported", "{err}");
}

#[tokio::test]
async fn the_retired_quality_model_is_refused_with_what_to_use_instead() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let settings = ProviderSettings {
        model: Some("grok-imagine-image-quality".into()),
        ..settings_for(&fake)
    };
    let registry = ProviderRegistry::with_builtins();
    for err in [
        registry.try_on("grok", &settings).unwrap_err(),
        registry.style("grok", &settings).unwrap_err(),
    ] {
        assert_eq!(err.code(), "config");
        let text = err.to_string();
        assert!(
            text.contains("2026-11-02") && text.contains("grok-imagine-image-2.0"),
            "{text}"
        );
    }
    // An older model takes three sources and no quality.
    let mut config = XaiConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    let old = GrokTryOnProvider::new(config).unwrap();
    assert_eq!(old.capabilities().max_garments, 2);
    let request = conformance::sample_request(&old.capabilities(), GarmentCategory::Top);
    old.try_on(request).await.unwrap();
    let body = fake.requests().pop().unwrap().body.unwrap();
    assert!(body.get("quality").is_none(), "{body}");
    assert!(
        old.modes()
            .iter()
            .all(|m| (m.usd_per_image - 0.02).abs() < 1e-12)
    );
}

#[tokio::test]
async fn a_chain_falls_back_from_gemini_to_grok() {
    let gemini = FakeGemini::start(GeminiScenario::Status(503))
        .await
        .unwrap();
    let xai = FakeXai::start(XaiScenario::Success).await.unwrap();
    let mut gemini_config = GeminiConfig::new(TEST_KEY);
    gemini_config.base_url = gemini.base_url();
    let mut config = EngineConfig {
        provider: "nano-banana,grok".to_owned(),
        retry: RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        ..EngineConfig::default()
    };
    config
        .providers
        .insert("grok".to_owned(), settings_for(&xai));
    let engine = Engine::builder()
        .config(config)
        .shared_provider(Arc::new(NanoBananaProvider::new(gemini_config).unwrap()))
        .build()
        .unwrap();
    let result = engine
        .try_on(
            TryOnRequest::new(
                fixture("persons/average-medium-full.jpg"),
                fixture("garments/shirt-striped.jpg"),
            )
            .with_category(GarmentCategory::Top),
        )
        .await
        .unwrap();
    assert_eq!(result.provider, "grok");
    assert_eq!(result.fallbacks.len(), 1, "{:?}", result.fallbacks);
    assert_eq!(result.fallbacks[0].provider, "nano-banana");
    assert_eq!(result.fallbacks[0].error, "unavailable");
    assert_eq!(
        gemini.request_count(),
        2,
        "Gemini retried, then the chain moved on"
    );
    assert!(
        (result.usage.estimated_cost_usd - 0.02).abs() < 1e-9,
        "grok's low quality"
    );
    assert_eq!(result.images[0].width * 4, result.images[0].height * 3);
}
