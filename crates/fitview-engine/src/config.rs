//! Everything a user can tune in the engine, with safe defaults.
//!
//! Binaries layer it: defaults → TOML file → `FITVIEW_*` environment → flags. The engine only
//! sees the final struct and validates it as a whole.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::budget::BudgetConfig;
use crate::cache::CacheConfig;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::provider::ProviderSettings;
use crate::provider::chain::{self, FallbackPolicy};
use crate::provider::throttle::ThrottleConfig;
use crate::retry::RetryPolicy;
use crate::store::StoreConfig;
use crate::validate::ValidationConfig;

/// The engine's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Name of the try-on provider (see [`crate::provider::ProviderRegistry`]), or a fallback
    /// chain: names separated by commas (`"fashn,nano-banana,draft"`), or a list in a file
    /// (`provider = ["fashn", "nano-banana", "draft"]`). See [`crate::provider::chain`].
    #[serde(deserialize_with = "chain::name_or_list")]
    pub provider: String,
    /// Settings of the try-on provider (model id, base URL, key, request limits); in a chain,
    /// of its first provider unless that one has its own `[providers.<name>]`.
    pub provider_settings: ProviderSettings,
    /// Each chain provider's own settings, by name (`[providers.fashn]`, `[providers.nano-banana]`).
    pub providers: BTreeMap<String, ProviderSettings>,
    /// When a chain moves on to its next provider.
    pub fallback: FallbackPolicy,
    /// Name of the style-variation provider.
    pub style_provider: String,
    /// Settings of the style provider, separate so that try-on and style variations can use
    /// different services (e.g. Gemini for try-on, xAI for variations).
    pub style_provider_settings: ProviderSettings,
    /// Decode and output limits.
    pub limits: Limits,
    /// Retry policy around provider calls.
    pub retry: RetryPolicy,
    /// Most CPU-heavy image jobs (decode, resize, encode) running at once.
    pub cpu_workers: usize,
    /// Bound on all provider calls of this engine together (try-on and style, every attempt),
    /// on top of each HTTP provider's own `throttle`; `None` for no engine-wide bound. A batch
    /// sets it so that its concurrency counts calls in flight, not requests being prepared.
    pub provider_calls: Option<ThrottleConfig>,
    /// Colour of the letterbox around the person photo; `None` uses the photo's own backdrop.
    pub person_background: Option<[u8; 3]>,
    /// The in-process and shared (Redis) cache layers.
    pub cache: CacheConfig,
    /// Where durable results are kept (none unless set; the binaries default to a directory).
    pub store: StoreConfig,
    /// Thresholds of the quality checks every provider output passes (see [`crate::validate`]).
    pub validation: ValidationConfig,
    /// Spend caps on recorded provider cost (see [`crate::budget`]).
    pub budget: BudgetConfig,
    /// Whether the output serves a business: then a provider whose licence allows research
    /// use only is refused when the engine is built (see [`crate::provider::licence`]).
    pub commercial: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            provider: "draft".to_owned(),
            provider_settings: ProviderSettings::default(),
            providers: BTreeMap::new(),
            fallback: FallbackPolicy::default(),
            style_provider: "mock".to_owned(),
            style_provider_settings: ProviderSettings::default(),
            limits: Limits::default(),
            retry: RetryPolicy::default(),
            cpu_workers: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            provider_calls: None,
            person_background: None,
            cache: CacheConfig::default(),
            store: StoreConfig::default(),
            validation: ValidationConfig::default(),
            budget: BudgetConfig::default(),
            commercial: false,
        }
    }
}

impl EngineConfig {
    /// Checks the whole configuration and reports every problem at once.
    pub fn validate(&self) -> Result<()> {
        let mut problems = self.limits.problems();
        problems.extend(self.retry.problems());
        problems.extend(self.cache.problems(self.retry.deadline));
        problems.extend(self.store.problems());
        problems.extend(self.validation.problems());
        problems.extend(self.provider_settings.problems("provider_settings"));
        for (name, settings) in &self.providers {
            problems.extend(settings.problems(&format!("providers.{name}")));
        }
        problems.extend(self.fallback.problems());
        problems.extend(self.budget.problems());
        let names = chain::chain_names(&self.provider);
        if names.is_empty() {
            problems.push("provider must name at least one provider".to_owned());
        }
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                problems.push(format!("provider `{name}` appears twice in the chain"));
            }
        }
        problems.extend(
            self.style_provider_settings
                .problems("style_provider_settings"),
        );
        if self.cpu_workers == 0 {
            problems.push("cpu_workers must be at least 1".to_owned());
        }
        if let Some(calls) = &self.provider_calls {
            problems.extend(
                calls
                    .problems()
                    .into_iter()
                    .map(|p| format!("provider_calls.{p}")),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Config { problems })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_problems_are_all_listed() {
        EngineConfig::default().validate().unwrap();
        let mut bad = EngineConfig {
            cpu_workers: 0,
            ..EngineConfig::default()
        };
        bad.limits.max_width = 0;
        bad.retry.max_attempts = 0;
        bad.cache.lock_ttl = std::time::Duration::from_secs(1);
        bad.store.url = Some("ftp://host/dir".to_owned());
        bad.provider_calls = Some(ThrottleConfig {
            max_concurrency: 0,
            ..ThrottleConfig::default()
        });
        let Err(Error::Config { problems }) = bad.validate() else {
            panic!("expected config error")
        };
        assert_eq!(problems.len(), 6, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p == "provider_calls.max_concurrency must be at least 1"),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("cache.lock_ttl")),
            "{problems:?}"
        );
    }
}
