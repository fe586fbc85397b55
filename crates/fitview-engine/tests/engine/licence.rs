//! The licence guard: with `commercial = true` a provider licensed for research only is refused
//! when the engine is built, with a `config` error that says why; without it, it runs.

use std::sync::Arc;

use fitview_engine::provider::mock::MockProvider;
use fitview_engine::provider::{
    Capabilities, LicenceTerms, ProviderOutput, ProviderRegistry, ProviderRequest, TryOnProvider,
};
use fitview_engine::{Engine, EngineConfig};

/// A provider running weights published for research only.
#[derive(Debug)]
struct Research(MockProvider);

#[async_trait::async_trait]
impl TryOnProvider for Research {
    fn name(&self) -> &str {
        "lab-vton"
    }
    fn model(&self) -> &str {
        "lab-vton-1"
    }
    fn prompt_version(&self) -> &str {
        "lab-1"
    }
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
    fn licence(&self) -> LicenceTerms {
        LicenceTerms::ResearchOnly {
            licence: "CC BY-NC-SA 4.0".into(),
            source: "the model card".into(),
        }
    }
    async fn try_on(&self, request: ProviderRequest) -> fitview_engine::Result<ProviderOutput> {
        self.0.try_on(request).await
    }
}

fn registry() -> ProviderRegistry {
    let mut registry = ProviderRegistry::with_builtins();
    registry.register_try_on("lab-vton", |_| Ok(Arc::new(Research(MockProvider::new()))));
    registry
}

fn config(provider: &str, commercial: bool) -> EngineConfig {
    EngineConfig {
        provider: provider.to_owned(),
        commercial,
        ..EngineConfig::default()
    }
}

#[test]
fn a_research_only_provider_is_refused_at_start_for_commercial_use_and_says_why() {
    let err = Engine::builder()
        .config(config("lab-vton", true))
        .registry(registry())
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "config");
    let text = err.to_string();
    for part in [
        "`lab-vton`",
        "research only",
        "CC BY-NC-SA 4.0",
        "commercial = true",
    ] {
        assert!(text.contains(part), "{text}");
    }
    // Also as a fallback of a chain.
    let err = Engine::builder()
        .config(config("mock,lab-vton", true))
        .registry(registry())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`lab-vton`"), "{err}");

    // Research use, and commercial use of commercial providers, are fine.
    Engine::builder()
        .config(config("lab-vton", false))
        .registry(registry())
        .build()
        .unwrap();
    Engine::builder()
        .config(config("mock,draft", true))
        .registry(registry())
        .build()
        .unwrap();
}
