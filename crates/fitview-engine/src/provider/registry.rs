//! Resolves a provider name from configuration to a provider instance.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::draft::DraftProvider;
use super::mock::MockProvider;
use super::throttle::ThrottleConfig;
use super::{StyleProvider, TryOnProvider};
use crate::error::{Error, Result};

/// Settings handed to provider factories. Keys are never printed by `Debug`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderSettings {
    /// Model id to use instead of the provider's default.
    pub model: Option<String>,
    /// Base URL to use instead of the provider's public endpoint (a proxy or a fake).
    pub base_url: Option<String>,
    /// API key; when absent, providers read their usual environment variable.
    #[serde(skip_serializing)]
    pub api_key: Option<String>,
    /// How long every `mock` provider call takes, in milliseconds, its images made meanwhile
    /// (benchmarks and demos of batches).
    pub mock_latency_ms: Option<u64>,
    /// Concurrency and requests-per-minute limits of an HTTP provider, to stay within the
    /// account's quota; `None` keeps the provider's defaults.
    pub throttle: Option<ThrottleConfig>,
    /// Google Cloud project of a Vertex AI provider; else `GOOGLE_CLOUD_PROJECT`.
    pub project: Option<String>,
    /// Google Cloud region of a Vertex AI provider; else `GOOGLE_CLOUD_LOCATION`, else
    /// `us-central1`.
    pub location: Option<String>,
    /// A command printing an OAuth access token for a Vertex AI provider (e.g.
    /// `gcloud auth print-access-token`), run through `sh -c` when a token is needed; else
    /// `GOOGLE_OAUTH_ACCESS_TOKEN`.
    pub token_command: Option<String>,
}

impl ProviderSettings {
    /// What is wrong with these settings, each problem prefixed with `section`.
    pub fn problems(&self, section: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(base_url) = &self.base_url
            && !(base_url.starts_with("http://") || base_url.starts_with("https://"))
        {
            problems.push(format!(
                "{section}.base_url `{base_url}` must start with http:// or https://"
            ));
        }
        if let Some(throttle) = &self.throttle {
            problems.extend(
                throttle
                    .problems()
                    .into_iter()
                    .map(|p| format!("{section}.throttle.{p}")),
            );
        }
        problems
    }
}

impl fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("mock_latency_ms", &self.mock_latency_ms)
            .field("throttle", &self.throttle)
            .field("project", &self.project)
            .field("location", &self.location)
            .field("token_command", &self.token_command)
            .finish()
    }
}

type TryOnFactory = Arc<dyn Fn(&ProviderSettings) -> Result<Arc<dyn TryOnProvider>> + Send + Sync>;
type StyleFactory = Arc<dyn Fn(&ProviderSettings) -> Result<Arc<dyn StyleProvider>> + Send + Sync>;

/// A name → factory table for try-on and style providers.
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    try_on: BTreeMap<String, TryOnFactory>,
    style: BTreeMap<String, StyleFactory>,
}

impl fmt::Debug for ProviderRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderRegistry")
            .field("try_on", &self.try_on.keys().collect::<Vec<_>>())
            .field("style", &self.style.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ProviderRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry of every provider built into FitView.
    pub fn with_builtins() -> Self {
        let mut registry = Self::new();
        registry.register_try_on("draft", |_| Ok(Arc::new(DraftProvider::new())));
        registry.register_try_on("mock", |settings| Ok(Arc::new(mock_from(settings))));
        registry.register_try_on(
            super::gemini::NanoBananaProvider::NAME,
            super::gemini::NanoBananaProvider::from_settings,
        );
        registry.register_try_on(
            super::fashn::FashnProvider::NAME,
            super::fashn::FashnProvider::from_settings,
        );
        registry.register_try_on(
            super::vertex::VertexTryOnProvider::NAME,
            super::vertex::VertexTryOnProvider::from_settings,
        );
        registry.register_style("mock", |settings| Ok(Arc::new(mock_from(settings))));
        registry.register_style(
            super::grok::GrokProvider::NAME,
            super::grok::GrokProvider::from_settings,
        );
        registry
    }

    /// Adds (or replaces) a try-on provider factory.
    pub fn register_try_on(
        &mut self,
        name: &str,
        factory: impl Fn(&ProviderSettings) -> Result<Arc<dyn TryOnProvider>> + Send + Sync + 'static,
    ) {
        self.try_on.insert(name.to_owned(), Arc::new(factory));
    }

    /// Adds (or replaces) a style provider factory.
    pub fn register_style(
        &mut self,
        name: &str,
        factory: impl Fn(&ProviderSettings) -> Result<Arc<dyn StyleProvider>> + Send + Sync + 'static,
    ) {
        self.style.insert(name.to_owned(), Arc::new(factory));
    }

    /// Names of the registered try-on providers, sorted.
    pub fn try_on_names(&self) -> Vec<&str> {
        self.try_on.keys().map(String::as_str).collect()
    }

    /// Names of the registered style providers, sorted.
    pub fn style_names(&self) -> Vec<&str> {
        self.style.keys().map(String::as_str).collect()
    }

    /// Builds the try-on provider called `name`.
    pub fn try_on(
        &self,
        name: &str,
        settings: &ProviderSettings,
    ) -> Result<Arc<dyn TryOnProvider>> {
        let factory = self
            .try_on
            .get(name)
            .ok_or_else(|| unknown(name, self.try_on_names()))?;
        factory(settings)
    }

    /// Builds the style provider called `name`.
    pub fn style(&self, name: &str, settings: &ProviderSettings) -> Result<Arc<dyn StyleProvider>> {
        let factory = self
            .style
            .get(name)
            .ok_or_else(|| unknown(name, self.style_names()))?;
        factory(settings)
    }
}

/// The `mock` provider as the settings describe it.
fn mock_from(settings: &ProviderSettings) -> MockProvider {
    let latency = std::time::Duration::from_millis(settings.mock_latency_ms.unwrap_or(0));
    MockProvider::new().with_latency(latency)
}

fn unknown(name: &str, known: Vec<&str>) -> Error {
    Error::Config {
        problems: vec![format!(
            "unknown provider `{name}` (known: {})",
            known.join(", ")
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_builtins_and_names_the_known_ones_on_a_typo() {
        let registry = ProviderRegistry::with_builtins();
        let mock = registry
            .try_on("mock", &ProviderSettings::default())
            .unwrap();
        assert_eq!(mock.name(), "mock");
        let err = registry
            .try_on("nano-bananna", &ProviderSettings::default())
            .unwrap_err();
        assert_eq!(err.code(), "config");
        assert!(
            err.to_string().contains("known: ") && err.to_string().contains("mock"),
            "{err}"
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let settings = ProviderSettings {
            api_key: Some("sk-secret".into()),
            ..Default::default()
        };
        assert!(!format!("{settings:?}").contains("sk-secret"));
    }
}
