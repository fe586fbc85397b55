//! Resolves a provider name from configuration to a provider instance.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::draft::DraftProvider;
use super::mock::{Fault, MockProvider};
use super::throttle::ThrottleConfig;
use super::{StyleProvider, TryOnProvider};
use crate::error::{Error, Result};
use crate::request::QualityMode;

/// What one quality mode of a provider uses instead of its defaults
/// (`[providers.nano-banana.modes.fast]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModeSettings {
    /// Model id of the mode, on providers whose modes call models (Gemini).
    pub model: Option<String>,
    /// Price of one output image in the mode, in USD, instead of the built-in figure (many
    /// figures are assumptions: `docs/providers.md` says which). Estimates and caps count it
    /// before a call; providers that bill no figure of their own record it after one.
    pub usd_per_image: Option<f64>,
}

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
    /// Per-mode model and price, by mode name (`fast`, `balanced`, `best`).
    pub modes: BTreeMap<QualityMode, ModeSettings>,
    /// Faults the `mock` provider answers with, in order, one per call, then it succeeds:
    /// `rate_limited`, `timeout`, `hang`, `refusal`, `server_error`, `auth`, `malformed`,
    /// `blank`, `slow:<ms>` (see [`crate::provider::mock::Fault`]).
    pub faults: Vec<String>,
    /// What one `mock` image costs, in USD (rehearsing spend caps without a paid provider).
    pub mock_usd_per_image: Option<f64>,
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
        for (mode, own) in &self.modes {
            if let Some(usd) = own.usd_per_image
                && !(usd.is_finite() && usd >= 0.0)
            {
                problems.push(format!(
                    "{section}.modes.{mode}.usd_per_image must be a non-negative number"
                ));
            }
            if own.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
                problems.push(format!("{section}.modes.{mode}.model must not be empty"));
            }
        }
        if let Some(usd) = self.mock_usd_per_image
            && !(usd.is_finite() && usd >= 0.0)
        {
            problems.push(format!(
                "{section}.mock_usd_per_image must be a non-negative number"
            ));
        }
        for fault in &self.faults {
            if let Err(err) = fault.parse::<super::mock::Fault>() {
                problems.push(format!("{section}.faults: {err}"));
            }
        }
        problems
    }

    /// The model `mode` is set to use, if any.
    pub fn mode_model(&self, mode: QualityMode) -> Option<&str> {
        self.modes.get(&mode).and_then(|m| m.model.as_deref())
    }

    /// The price `mode` is set to, if any.
    pub fn mode_price(&self, mode: QualityMode) -> Option<f64> {
        self.modes.get(&mode).and_then(|m| m.usd_per_image)
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
            .field("modes", &self.modes)
            .field("faults", &self.faults)
            .field("mock_usd_per_image", &self.mock_usd_per_image)
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
        registry.register_try_on("mock", |settings| Ok(Arc::new(mock_from(settings)?)));
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
        registry.register_try_on(
            super::grok::GrokTryOnProvider::NAME,
            super::grok::GrokTryOnProvider::from_settings,
        );
        registry.register_style("mock", |settings| Ok(Arc::new(mock_from(settings)?)));
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

/// The `mock` provider as the settings describe it: its latency, price and faults (an
/// unknown fault name is a `config` error that lists the known ones).
fn mock_from(settings: &ProviderSettings) -> Result<MockProvider> {
    let latency = std::time::Duration::from_millis(settings.mock_latency_ms.unwrap_or(0));
    let faults = settings
        .faults
        .iter()
        .map(|f| f.parse::<Fault>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Config {
            problems: vec![format!("mock faults: {e}")],
        })?;
    Ok(MockProvider::new()
        .with_latency(latency)
        .with_cost(settings.mock_usd_per_image.unwrap_or(0.0))
        .with_faults(faults))
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

    #[tokio::test]
    async fn mock_faults_come_from_the_settings_and_unknown_names_are_refused() {
        let registry = ProviderRegistry::with_builtins();
        let settings = ProviderSettings {
            faults: vec!["refusal".into(), "slow:1".into()],
            mock_usd_per_image: Some(0.25),
            ..Default::default()
        };
        let mock = registry.try_on("mock", &settings).unwrap();
        assert!((mock.offer(QualityMode::Best).usd_per_image - 0.25).abs() < 1e-12);
        let request = crate::provider::conformance::sample_request(
            &mock.capabilities(),
            crate::request::GarmentCategory::Top,
        );
        let err = mock.try_on(request.clone()).await.unwrap_err();
        assert_eq!(err.code(), "content_policy");
        let out = mock.try_on(request).await.unwrap();
        assert!((out.usage.estimated_cost_usd - 0.25).abs() < 1e-12);

        let typo = ProviderSettings {
            faults: vec!["rate-limited".into()],
            ..Default::default()
        };
        let err = registry.try_on("mock", &typo).unwrap_err();
        assert_eq!(err.code(), "config");
        assert!(
            err.to_string()
                .contains("unknown mock fault `rate-limited`"),
            "{err}"
        );
        assert_eq!(typo.problems("providers.mock").len(), 1);
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
