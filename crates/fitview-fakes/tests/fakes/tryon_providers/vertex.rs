//! `vertex-vto` against the Vertex AI fake: the conformance suite, the `:predict` body, filtered
//! and missing predictions, the `google.rpc.Status` errors, the token sources.

use std::sync::Arc;
use std::time::Duration;

use fitview_engine::provider::conformance::{self, Expectations};
use fitview_engine::provider::vertex::{TOKEN_VAR, TokenSource, VertexConfig, VertexTryOnProvider};
use fitview_engine::provider::{ProviderOutput, ProviderRegistry, ProviderSettings, TryOnProvider};
use fitview_engine::{
    Engine, EngineConfig, Error, GarmentCategory, QualityMode, RetryPolicy, TryOnRequest,
};
use fitview_fakes::vertex::{FakeVertex, VertexScenario};
use fitview_fakes::{FakeServer, TEST_KEY};

use crate::common::{assert_clean, decoded, fixture, logs_of};

const PATH: &str = "/v1/projects/fitview-test/locations/europe-west4/publishers/google/models/virtual-try-on-001:predict";

fn config_for(fake: &FakeServer<VertexScenario>, token: TokenSource) -> VertexConfig {
    let mut config = VertexConfig::new(token, "fitview-test", "europe-west4");
    config.base_url = Some(fake.base_url());
    config
}

fn provider_for(fake: &FakeServer<VertexScenario>) -> VertexTryOnProvider {
    VertexTryOnProvider::new(config_for(fake, TokenSource::fixed(TEST_KEY))).unwrap()
}

async fn attempt(provider: &VertexTryOnProvider, samples: u8) -> Result<ProviderOutput, Error> {
    let mut request = conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
    request.samples = samples;
    provider.try_on(request).await
}

#[tokio::test]
async fn vertex_vto_passes_the_provider_conformance_suite() {
    let fake = FakeVertex::start(VertexScenario::Success).await.unwrap();
    conformance::run_all(&provider_for(&fake), Expectations::nondeterministic()).await;
}

#[tokio::test]
async fn predict_sends_the_documented_parameters_with_the_seed_and_no_watermark() {
    let fake = FakeVertex::start(VertexScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    let mut request = conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
    request.samples = 2;
    request.seed = Some(1337);
    request.quality = QualityMode::Best;
    let out = provider.try_on(request).await.unwrap();

    let recorded = &fake.requests()[0];
    assert_eq!(recorded.path, PATH);
    let body = recorded.body.as_ref().unwrap();
    let instance = &body["instances"][0];
    assert!(
        instance["personImage"]["image"]["bytesBase64Encoded"]
            .as_str()
            .unwrap()
            .starts_with("/9j/")
    );
    assert!(
        instance["productImages"][0]["image"]["bytesBase64Encoded"]
            .as_str()
            .unwrap()
            .starts_with("iVBOR"),
        "the cut-out garment goes as PNG"
    );
    let parameters = &body["parameters"];
    assert_eq!(parameters["sampleCount"], 2);
    assert_eq!(parameters["baseSteps"], 48, "quality mode");
    assert_eq!(parameters["seed"], 1337);
    assert_eq!(parameters["addWatermark"], false);
    assert_eq!(parameters["personGeneration"], "allow_adult");
    assert_eq!(parameters["safetySetting"], "block_medium_and_above");
    assert_eq!(parameters["outputOptions"]["mimeType"], "image/png");

    assert_eq!(out.images.len(), 2);
    // Virtual Try-On answers at the input's size.
    assert_eq!(
        (
            decoded(&out.images[0]).width(),
            decoded(&out.images[0]).height()
        ),
        (768, 1024)
    );
    assert!((out.usage.estimated_cost_usd - 0.12).abs() < 1e-9);
    assert_eq!(out.metadata["base_steps"], 48);

    // Without a seed the watermark is left to Google and fast mode takes fewer steps.
    let mut unseeded = conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
    unseeded.seed = None;
    provider.try_on(unseeded).await.unwrap();
    let parameters = fake.requests()[1].body.clone().unwrap()["parameters"].clone();
    assert_eq!(parameters["baseSteps"], 24);
    assert!(parameters.get("seed").is_none() && parameters.get("addWatermark").is_none());
}

#[tokio::test]
async fn filtered_and_missing_predictions_are_refusals_or_fewer_images() {
    let fake = FakeVertex::start(VertexScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    fake.push(VertexScenario::Filtered);
    let err = attempt(&provider, 2).await.unwrap_err();
    assert_eq!(err.code(), "content_policy", "{err}");
    assert!(err.to_string().contains("58061214"), "{err}");

    fake.push(VertexScenario::PartlyFiltered);
    let out = attempt(&provider, 3).await.unwrap();
    assert_eq!(
        (out.images.len(), out.metadata["filtered"].as_u64()),
        (2, Some(1))
    );
    // Only the images made are billed.
    assert!((out.usage.estimated_cost_usd - 0.12).abs() < 1e-9);

    fake.push(VertexScenario::Fewer);
    let out = attempt(&provider, 3).await.unwrap();
    assert_eq!(
        (out.images.len(), out.metadata["filtered"].as_u64()),
        (2, Some(1))
    );
}

#[tokio::test]
async fn errors_map_to_typed_kinds_naming_the_token_variable_and_never_the_token() {
    let fake = FakeVertex::start(VertexScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    for (scenario, want) in [
        (VertexScenario::RateLimited, "rate_limited"),
        (VertexScenario::ServerError, "unavailable"),
        (VertexScenario::Unavailable, "unavailable"),
    ] {
        fake.push(scenario.clone());
        let err = attempt(&provider, 1).await.unwrap_err();
        assert_eq!(err.code(), want, "{scenario:?}: {err}");
        assert_clean(&err, TEST_KEY);
    }
    let wrong = "ya29.Wr0ngT0kenWr0ngT0kenWr0ngT0ken";
    let wrong_provider =
        VertexTryOnProvider::new(config_for(&fake, TokenSource::fixed(wrong))).unwrap();
    let err = attempt(&wrong_provider, 1).await.unwrap_err();
    assert_eq!(err.code(), "auth", "{err}");
    assert!(err.to_string().contains(TOKEN_VAR), "{err}");
    assert_clean(&err, wrong);

    let mut config = config_for(&fake, TokenSource::fixed(TEST_KEY));
    config.model = "virtual-try-on-000".into();
    let err = attempt(&VertexTryOnProvider::new(config).unwrap(), 1)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "config", "{err}");

    let logs = logs_of(async {
        attempt(&provider, 1).await.unwrap();
        attempt(&wrong_provider, 1).await.unwrap_err();
    })
    .await;
    assert!(logs.contains("provider http call"), "{logs}");
    assert!(
        !logs.contains(TEST_KEY) && !logs.contains(wrong),
        "a token is in the logs:\n{logs}"
    );
}

#[tokio::test]
async fn a_token_command_supplies_the_bearer_token() {
    let fake = FakeVertex::start(VertexScenario::Success).await.unwrap();
    let source = TokenSource::command(format!("printf '%s\\n' {TEST_KEY}"));
    let provider = VertexTryOnProvider::new(config_for(&fake, source)).unwrap();
    assert_eq!(attempt(&provider, 1).await.unwrap().images.len(), 1);

    let provider =
        VertexTryOnProvider::new(config_for(&fake, TokenSource::command("exit 1"))).unwrap();
    assert_eq!(attempt(&provider, 1).await.unwrap_err().code(), "auth");
    assert_eq!(fake.request_count(), 1, "no call without a token");
}

#[tokio::test]
async fn the_engine_retries_the_quota_error_and_returns_the_person_aspect() {
    let fake = FakeVertex::start(VertexScenario::Success).await.unwrap();
    fake.push(VertexScenario::RateLimited);
    let engine = Engine::builder()
        .config(EngineConfig {
            retry: RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(20),
                ..RetryPolicy::default()
            },
            ..EngineConfig::default()
        })
        .shared_provider(Arc::new(provider_for(&fake)))
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
    assert_eq!((result.attempts, fake.request_count()), (2, 2));
    assert_eq!(result.provider, "vertex-vto");
    assert_eq!(result.images[0].width * 4, result.images[0].height * 3);
}

#[test]
fn the_registry_builds_vertex_vto_from_settings_and_says_what_is_missing() {
    let registry = ProviderRegistry::with_builtins();
    let settings = ProviderSettings {
        api_key: Some(TEST_KEY.into()),
        project: Some("fitview-test".into()),
        location: Some("europe-west4".into()),
        ..Default::default()
    };
    let provider = registry.try_on("vertex-vto", &settings).unwrap();
    assert_eq!(provider.model(), "virtual-try-on-001");
    assert!(provider.capabilities().supports_seed);
    let settings = ProviderSettings {
        api_key: Some(TEST_KEY.into()),
        project: Some("not a project!".into()),
        ..Default::default()
    };
    assert_eq!(
        registry.try_on("vertex-vto", &settings).unwrap_err().code(),
        "config"
    );
    if std::env::var_os(TOKEN_VAR).is_some() {
        eprintln!("{TOKEN_VAR} is set: skipping the missing-token check");
        return;
    }
    let err = registry
        .try_on("vertex-vto", &ProviderSettings::default())
        .unwrap_err();
    assert_eq!(err.code(), "auth");
    assert!(err.to_string().contains(TOKEN_VAR), "{err}");
}
