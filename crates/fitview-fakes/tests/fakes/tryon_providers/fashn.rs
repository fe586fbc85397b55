//! `fashn` against the FASHN fake: the conformance suite, the run body, polling, data-URI and
//! URL outputs, every named error, the deadline, and the engine's retries.

use std::sync::Arc;
use std::time::Duration;

use fitview_engine::provider::conformance::{self, Expectations};
use fitview_engine::provider::fashn::{FashnConfig, FashnProvider, KEY_VAR};
use fitview_engine::provider::{ProviderOutput, ProviderRegistry, ProviderSettings, TryOnProvider};
use fitview_engine::{
    Engine, EngineConfig, Error, GarmentCategory, QualityMode, RetryPolicy, TryOnRequest,
};
use fitview_fakes::fashn::{FakeFashn, FashnScenario};
use fitview_fakes::{FakeServer, TEST_KEY};

use crate::common::{assert_clean, decoded, fixture, logs_of};

fn config_for(fake: &FakeServer<FashnScenario>) -> FashnConfig {
    let mut config = FashnConfig::new(TEST_KEY);
    config.base_url = fake.base_url();
    config.first_poll = Duration::from_millis(5);
    config.max_poll_interval = Duration::from_millis(20);
    config
}

fn provider_for(fake: &FakeServer<FashnScenario>) -> FashnProvider {
    FashnProvider::new(config_for(fake)).unwrap()
}

async fn attempt(provider: &FashnProvider) -> Result<ProviderOutput, Error> {
    let request = conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
    provider.try_on(request).await
}

fn runs(fake: &FakeServer<FashnScenario>) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.path == "/v1/run")
        .count()
}

#[tokio::test]
async fn fashn_passes_the_provider_conformance_suite() {
    let fake = FakeFashn::start(FashnScenario::Success).await.unwrap();
    conformance::run_all(&provider_for(&fake), Expectations::nondeterministic()).await;
}

#[tokio::test]
async fn each_quality_mode_is_fashns_mode_at_one_price() {
    let fake = FakeFashn::start(FashnScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    for (quality, mode) in [
        (QualityMode::Fast, "performance"),
        (QualityMode::Balanced, "balanced"),
        (QualityMode::Best, "quality"),
    ] {
        let mut request =
            conformance::sample_request(&provider.capabilities(), GarmentCategory::Top);
        request.quality = quality;
        provider.try_on(request).await.unwrap();
        let run = fake
            .requests()
            .into_iter()
            .rfind(|r| r.path == "/v1/run")
            .unwrap();
        assert_eq!(run.body.unwrap()["inputs"]["mode"], mode, "{quality}");
        let offer = provider.offer(quality);
        assert_eq!(offer.setting, format!("mode={mode}"));
        assert!(
            (offer.usd_per_image - 0.075).abs() < 1e-12,
            "one credit whatever the mode"
        );
    }
}

#[tokio::test]
async fn a_run_sends_fashns_inputs_polls_to_completion_and_bills_the_credits_used() {
    let fake = FakeFashn::start(FashnScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    let mut request =
        conformance::sample_request(&provider.capabilities(), GarmentCategory::Bottom);
    request.samples = 2;
    request.seed = Some(9);
    let out = provider.try_on(request).await.unwrap();

    let requests = fake.requests();
    assert_eq!(requests[0].path, "/v1/run");
    let body = requests[0].body.as_ref().unwrap();
    assert_eq!(body["model_name"], "tryon-v1.6");
    let inputs = &body["inputs"];
    assert_eq!(inputs["category"], "bottoms");
    assert_eq!(inputs["garment_photo_type"], "flat-lay");
    assert_eq!(inputs["mode"], "performance");
    assert_eq!(inputs["num_samples"], 2);
    assert_eq!(inputs["seed"], 9);
    assert_eq!(inputs["return_base64"], true);
    assert_eq!(inputs["moderation_level"], "permissive");
    for image in ["model_image", "garment_image"] {
        assert!(
            inputs[image]
                .as_str()
                .unwrap()
                .starts_with("data:image/jpeg;base64,/9j/"),
            "{image}: the person and the garment laid on white go as JPEG data URIs"
        );
    }
    // starting, in_queue, processing... then completed: three polls of the one prediction.
    let polls: Vec<&str> = requests[1..].iter().map(|r| r.path.as_str()).collect();
    assert_eq!(polls.len(), 3, "{polls:?}");
    assert!(
        polls.iter().all(|p| p.starts_with("/v1/status/fake")),
        "{polls:?}"
    );

    assert_eq!(out.images.len(), 2);
    let first = decoded(&out.images[0]);
    assert_eq!((first.width(), first.height()), (864, 1296));
    assert_ne!(
        first.to_rgba8(),
        decoded(&out.images[1]).to_rgba8(),
        "two samples differ"
    );
    // Two credits from x-fashn-credits-used at the default price per credit.
    assert_eq!(out.metadata["credits_used"], 2.0);
    assert!(
        (out.usage.estimated_cost_usd - 0.15).abs() < 1e-9,
        "{:?}",
        out.usage
    );
    assert_eq!(out.metadata["mode"], "performance");
}

#[tokio::test]
async fn url_outputs_are_fetched_from_the_base_urls_host_without_the_key_and_foreign_hosts_are_refused()
 {
    let fake = FakeFashn::start(FashnScenario::Success).await.unwrap();
    let mut config = config_for(&fake);
    config.return_base64 = false;
    let provider = FashnProvider::new(config).unwrap();
    let out = attempt(&provider).await.unwrap();
    assert_eq!(decoded(&out.images[0]).width(), 864);
    assert_eq!(
        fake.requests()[0].body.as_ref().unwrap()["inputs"]["return_base64"],
        false
    );

    // The fake links to a URL although data URIs were asked: still fetched and checked.
    let provider = provider_for(&fake);
    fake.push(FashnScenario::UrlOutput);
    let out = attempt(&provider).await.unwrap();
    assert_eq!(decoded(&out.images[0]).height(), 1296);

    fake.push(FashnScenario::ForeignUrl);
    let err = attempt(&provider).await.unwrap_err();
    assert_eq!(err.code(), "malformed_response", "{err}");
    assert!(err.to_string().contains("files.example.com"), "{err}");
}

#[tokio::test]
async fn every_named_error_maps_to_the_kind_a_caller_acts_on() {
    let fake = FakeFashn::start(FashnScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    let cases = [
        (
            FashnScenario::Fails("ContentModerationError".into()),
            "content_policy",
        ),
        (FashnScenario::Fails("PoseError".into()), "invalid_input"),
        (
            FashnScenario::Fails("ImageLoadError".into()),
            "invalid_input",
        ),
        (
            FashnScenario::Fails("InputValidationError".into()),
            "invalid_input",
        ),
        (FashnScenario::Fails("PipelineError".into()), "unavailable"),
        (FashnScenario::RateLimited(2), "rate_limited"),
        (FashnScenario::ConcurrencyLimited, "rate_limited"),
        (FashnScenario::OutOfCredits, "auth"),
        (FashnScenario::ServerError, "unavailable"),
    ];
    for (scenario, want) in cases {
        fake.push(scenario.clone());
        let err = attempt(&provider).await.unwrap_err();
        assert_eq!(err.code(), want, "{scenario:?}: {err}");
        assert_clean(&err, TEST_KEY);
    }
    // FASHN's own words reach the caller for the input errors.
    fake.push(FashnScenario::Fails("PoseError".into()));
    let err = attempt(&provider).await.unwrap_err();
    assert!(
        err.to_string().contains("Could not detect a body pose"),
        "{err}"
    );
    fake.push(FashnScenario::RateLimited(2));
    assert_eq!(
        attempt(&provider).await.unwrap_err().retry_after(),
        Some(Duration::from_secs(2))
    );
    fake.push(FashnScenario::OutOfCredits);
    let err = attempt(&provider).await.unwrap_err();
    assert!(
        !err.is_retryable() && err.to_string().contains("out of credits"),
        "{err}"
    );

    // A wrong key: 401, naming the variable, never the key.
    let wrong = "fa-Wr0ngKeyWr0ngKeyWr0ngKey0123";
    let mut config = config_for(&fake);
    config.api_key = fitview_engine::provider::Secret::new(wrong);
    let err = attempt(&FashnProvider::new(config).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth", "{err}");
    assert!(err.to_string().contains(KEY_VAR), "{err}");
    assert_clean(&err, wrong);

    // An unknown model is refused by FASHN as a bad request.
    let mut config = config_for(&fake);
    config.model = "tryon-v0.1".into();
    let err = attempt(&FashnProvider::new(config).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
}

#[tokio::test]
async fn a_prediction_that_never_finishes_is_a_timeout_at_the_deadline_and_a_lost_poll_is_not_fatal()
 {
    let fake = FakeFashn::start(FashnScenario::NeverCompletes)
        .await
        .unwrap();
    let mut config = config_for(&fake);
    config.max_wait = Duration::from_millis(300);
    let provider = FashnProvider::new(config).unwrap();
    let err = attempt(&provider).await.unwrap_err();
    assert_eq!(err.code(), "timeout", "{err}");
    // Polled with a growing interval, capped at 20 ms: a bounded number of polls, one run.
    let polls = fake.request_count() - 1;
    assert!((2..=40).contains(&polls), "{polls} polls");
    assert_eq!(runs(&fake), 1);

    fake.set_default(FashnScenario::Success);
    fake.push(FashnScenario::FlakyStatus);
    let out = attempt(&provider).await.unwrap();
    assert_eq!(out.images.len(), 1);
}

fn engine_with(provider: FashnProvider, max_attempts: u32) -> Engine {
    Engine::builder()
        .config(EngineConfig {
            retry: RetryPolicy {
                max_attempts,
                initial_backoff: Duration::from_millis(20),
                ..RetryPolicy::default()
            },
            ..EngineConfig::default()
        })
        .shared_provider(Arc::new(provider))
        .build()
        .unwrap()
}

fn request() -> TryOnRequest {
    TryOnRequest::new(
        fixture("persons/average-medium-full.jpg"),
        fixture("garments/shirt-striped.jpg"),
    )
    .with_category(GarmentCategory::Top)
}

#[tokio::test]
async fn the_engine_retries_a_429_and_never_a_moderation_refusal() {
    let fake = FakeFashn::start(FashnScenario::Success).await.unwrap();
    let engine = engine_with(provider_for(&fake), 3);
    fake.push(FashnScenario::RateLimited(0));
    let result = engine.try_on(request()).await.unwrap();
    assert_eq!((result.attempts, runs(&fake)), (2, 2));
    assert_eq!(result.provider, "fashn");
    // The person photo is 3:4; the result keeps it.
    assert_eq!(result.images[0].width * 4, result.images[0].height * 3);
    assert!((result.usage.estimated_cost_usd - 0.075).abs() < 1e-9);

    fake.push(FashnScenario::Fails("ContentModerationError".into()));
    let err = engine
        .try_on(TryOnRequest::new(
            fixture("persons/slim-light-full.jpg"),
            fixture("garments/tshirt-plain.jpg"),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "content_policy");
    assert_eq!(runs(&fake), 3, "a refusal is not retried");
}

#[tokio::test]
async fn the_api_key_never_reaches_the_logs() {
    let fake = FakeFashn::start(FashnScenario::Success).await.unwrap();
    let provider = provider_for(&fake);
    let logs = logs_of(async {
        attempt(&provider).await.unwrap();
        fake.push(FashnScenario::Fails("PipelineError".into()));
        attempt(&provider).await.unwrap_err();
        fake.push(FashnScenario::OutOfCredits);
        attempt(&provider).await.unwrap_err();
    })
    .await;
    assert!(
        logs.contains("provider http call"),
        "the calls were logged:\n{logs}"
    );
    assert!(!logs.contains(TEST_KEY), "the key is in the logs:\n{logs}");
    assert!(!format!("{provider:?}").contains(TEST_KEY));
}

#[test]
fn the_registry_builds_fashn_and_names_the_variable_when_the_key_is_missing() {
    let registry = ProviderRegistry::with_builtins();
    let settings = ProviderSettings {
        api_key: Some(TEST_KEY.into()),
        model: Some("tryon-max".into()),
        ..Default::default()
    };
    let provider = registry.try_on("fashn", &settings).unwrap();
    assert_eq!(provider.model(), "tryon-max");
    // tryon-max bills 4 credits an image.
    assert!((provider.capabilities().cost_per_image_usd - 0.3).abs() < 1e-9);
    if std::env::var_os(KEY_VAR).is_some() {
        eprintln!("{KEY_VAR} is set: skipping the missing-key check");
        return;
    }
    let err = registry
        .try_on("fashn", &ProviderSettings::default())
        .unwrap_err();
    assert_eq!(err.code(), "auth");
    assert!(err.to_string().contains(KEY_VAR), "{err}");
}
