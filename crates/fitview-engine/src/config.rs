//! Everything a user can tune in the engine, with safe defaults.
//!
//! Binaries layer it: defaults → TOML file → `FITVIEW_*` environment → flags. The engine only
//! sees the final struct and validates it as a whole.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::provider::ProviderSettings;
use crate::retry::RetryPolicy;

/// The engine's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Name of the try-on provider (see [`crate::provider::ProviderRegistry`]).
    pub provider: String,
    /// Name of the style-variation provider.
    pub style_provider: String,
    /// Settings passed to the providers (model ids, base URLs, keys).
    pub providers: ProviderSettings,
    /// Decode and output limits.
    pub limits: Limits,
    /// Retry policy around provider calls.
    pub retry: RetryPolicy,
    /// Most CPU-heavy image jobs (decode, resize, encode) running at once.
    pub cpu_workers: usize,
    /// Colour of the letterbox around the person photo; `None` uses the photo's own backdrop.
    pub person_background: Option<[u8; 3]>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            provider: "mock".to_owned(),
            style_provider: "mock".to_owned(),
            providers: ProviderSettings::default(),
            limits: Limits::default(),
            retry: RetryPolicy::default(),
            cpu_workers: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            person_background: None,
        }
    }
}

impl EngineConfig {
    /// Checks the whole configuration and reports every problem at once.
    pub fn validate(&self) -> Result<()> {
        let mut problems = self.limits.problems();
        problems.extend(self.retry.problems());
        if self.cpu_workers == 0 {
            problems.push("cpu_workers must be at least 1".to_owned());
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
        let mut bad = EngineConfig::default();
        bad.cpu_workers = 0;
        bad.limits.max_width = 0;
        bad.retry.max_attempts = 0;
        let Err(Error::Config { problems }) = bad.validate() else { panic!("expected config error") };
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
