//! Fallback chains (`provider = ["a", "b", ...]`): which failures move on to the next provider,
//! what the result says about the earlier ones, and that each provider keeps its own cache.

use std::sync::Arc;
use std::time::Duration;

use fitview_engine::provider::mock::{Fault, MockProvider};
use fitview_engine::provider::{
    Capabilities, FallbackPolicy, ProviderOutput, ProviderRequest, TryOnProvider,
};
use fitview_engine::{CacheStatus, Engine, EngineConfig, RetryPolicy, TryOnRequest};

use super::common;

/// A mock under another registry name, so two mocks in a chain keep apart in results and keys.
#[derive(Debug)]
struct Named(&'static str, Arc<MockProvider>);

#[async_trait::async_trait]
impl TryOnProvider for Named {
    fn name(&self) -> &str {
        self.0
    }
    fn model(&self) -> &str {
        self.1.model()
    }
    fn prompt_version(&self) -> &str {
        self.1.prompt_version()
    }
    fn capabilities(&self) -> Capabilities {
        self.1.capabilities()
    }
    async fn try_on(&self, request: ProviderRequest) -> fitview_engine::Result<ProviderOutput> {
        self.1.try_on(request).await
    }
}

fn chain(
    primary: &Arc<MockProvider>,
    secondary: &Arc<MockProvider>,
    fallback: FallbackPolicy,
) -> Engine {
    let config = EngineConfig {
        retry: RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(100),
            ..RetryPolicy::default()
        },
        fallback,
        ..EngineConfig::default()
    };
    Engine::builder()
        .config(config)
        .shared_provider(Arc::new(Named("primary", primary.clone())))
        .fallback_provider(Arc::new(Named("secondary", secondary.clone())))
        .build()
        .unwrap()
}

fn request() -> TryOnRequest {
    TryOnRequest::new(common::person_png(300, 400), common::garment_png(200, 240))
}

#[tokio::test(start_paused = true)]
async fn a_primary_that_is_down_past_its_retries_hands_over_to_the_secondary() {
    let primary =
        Arc::new(MockProvider::new().with_faults([Fault::ServerError, Fault::ServerError]));
    let secondary = Arc::new(MockProvider::new());
    let result = chain(&primary, &secondary, FallbackPolicy::default())
        .try_on(request())
        .await
        .unwrap();
    assert_eq!(
        (primary.calls(), secondary.calls()),
        (2, 1),
        "retried, then moved on"
    );
    assert_eq!(result.provider, "secondary");
    assert_eq!(result.attempts, 1);
    assert_eq!(result.fallbacks.len(), 1);
    assert_eq!(result.fallbacks[0].provider, "primary");
    assert_eq!(result.fallbacks[0].error, "unavailable");
    // The sidecar's metadata records it too.
    assert_eq!(result.metadata["fallback_after"][0]["provider"], "primary");
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(json["fallbacks"][0]["error"], "unavailable");
}

#[tokio::test(start_paused = true)]
async fn a_refusal_moves_on_by_default_and_is_final_when_the_policy_says_so() {
    let primary =
        Arc::new(MockProvider::new().with_faults([Fault::Refusal("IMAGE_SAFETY".into())]));
    let secondary = Arc::new(MockProvider::new());
    let result = chain(&primary, &secondary, FallbackPolicy::default())
        .try_on(request())
        .await
        .unwrap();
    assert_eq!(result.provider, "secondary");
    assert_eq!(result.fallbacks[0].error, "content_policy");
    assert_eq!(primary.calls(), 1, "a refusal is not retried");

    let primary =
        Arc::new(MockProvider::new().with_faults([Fault::Refusal("IMAGE_SAFETY".into())]));
    let secondary = Arc::new(MockProvider::new());
    let final_refusal = FallbackPolicy {
        on: vec![
            "unavailable".into(),
            "rate_limited".into(),
            "timeout".into(),
        ],
    };
    let err = chain(&primary, &secondary, final_refusal)
        .try_on(request())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "content_policy");
    assert_eq!(secondary.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn when_every_provider_fails_the_last_error_is_returned_and_bad_input_never_moves_on() {
    let primary =
        Arc::new(MockProvider::new().with_faults([Fault::ServerError, Fault::ServerError]));
    let secondary = Arc::new(
        MockProvider::new().with_faults([Fault::RateLimited(None), Fault::RateLimited(None)]),
    );
    let err = chain(&primary, &secondary, FallbackPolicy::default())
        .try_on(request())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "rate_limited", "the secondary's error: {err}");
    assert_eq!((primary.calls(), secondary.calls()), (2, 2));

    let primary = Arc::new(MockProvider::new());
    let secondary = Arc::new(MockProvider::new());
    let engine = chain(&primary, &secondary, FallbackPolicy::default());
    let bad = TryOnRequest::new(b"not an image".to_vec(), common::garment_png(200, 240));
    assert_eq!(
        engine.try_on(bad).await.unwrap_err().code(),
        "unsupported_format"
    );
    assert_eq!((primary.calls(), secondary.calls()), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_fallback_result_is_cached_for_its_provider_only() {
    let primary =
        Arc::new(MockProvider::new().with_faults([Fault::ServerError, Fault::ServerError]));
    let secondary = Arc::new(MockProvider::new());
    let engine = chain(&primary, &secondary, FallbackPolicy::default());
    let first = engine.try_on(request()).await.unwrap();
    assert_eq!(first.provider, "secondary");

    // The primary is back: it answers the same request itself, under its own key.
    let second = engine.try_on(request()).await.unwrap();
    assert_eq!(
        (second.provider.as_str(), second.cache),
        ("primary", CacheStatus::Miss)
    );
    assert_ne!(second.key, first.key);
    assert!(second.fallbacks.is_empty());
    let third = engine.try_on(request()).await.unwrap();
    assert_eq!(
        (third.provider.as_str(), third.cache),
        ("primary", CacheStatus::HitMemory)
    );
    assert_eq!((primary.calls(), secondary.calls()), (3, 1));
}

#[test]
fn a_chain_is_built_from_names_with_each_providers_own_settings() {
    let config: EngineConfig = serde_json::from_value(serde_json::json!({
        "provider": ["mock", "draft"],
        "providers": {"mock": {"mock_latency_ms": 5}},
    }))
    .unwrap();
    assert_eq!(config.provider, "mock,draft");
    let engine = Engine::builder().config(config).build().unwrap();
    assert_eq!(engine.provider().name(), "mock");
    let fallbacks: Vec<&str> = engine
        .fallback_providers()
        .iter()
        .map(|p| p.name())
        .collect();
    assert_eq!(fallbacks, ["draft"]);

    let twice = EngineConfig {
        provider: "mock, draft, mock".into(),
        ..EngineConfig::default()
    };
    let err = Engine::builder().config(twice).build().unwrap_err();
    assert!(err.to_string().contains("appears twice"), "{err}");
}
