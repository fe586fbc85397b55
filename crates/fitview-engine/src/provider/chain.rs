//! Fallback chains: `provider = ["fashn", "nano-banana", "draft"]` (or `"fashn,nano-banana,draft"`
//! on the command line), each provider with its own `[providers.<name>]` settings.
//!
//! The engine tries the providers in order, each with its own retries and its own cache key (so
//! a fallback's result never answers for the primary), and moves on only for the error kinds
//! [`FallbackPolicy::on`] lists; bad input never moves on, since every provider would refuse it
//! too. What each earlier provider answered is reported as [`ProviderAttempt`]s.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::registry::ProviderSettings;
use crate::error::Error;

/// The names in a chain spec: `"fashn, nano-banana,draft"` → `["fashn", "nano-banana", "draft"]`.
pub fn chain_names(spec: &str) -> Vec<&str> {
    spec.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect()
}

/// The settings of the chain's provider `name` at `position`: its `[providers.<name>]` table,
/// else, for the first provider only, the single-provider `[provider_settings]`.
pub fn settings_for<'a>(
    name: &str,
    position: usize,
    providers: &'a BTreeMap<String, ProviderSettings>,
    provider_settings: &'a ProviderSettings,
) -> std::borrow::Cow<'a, ProviderSettings> {
    match providers.get(name) {
        Some(own) => std::borrow::Cow::Borrowed(own),
        None if position == 0 => std::borrow::Cow::Borrowed(provider_settings),
        None => std::borrow::Cow::Owned(ProviderSettings::default()),
    }
}

/// Reads `provider` as a name, a comma-separated chain or a list of names, into the one
/// comma-separated form.
pub(crate) fn name_or_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NameOrList {
        Name(String),
        List(Vec<String>),
    }
    Ok(match NameOrList::deserialize(deserializer)? {
        NameOrList::Name(name) => name,
        NameOrList::List(names) => names.join(","),
    })
}

/// Error kinds a chain may move on after.
const MOVABLE: [&str; 8] = [
    "unavailable",
    "rate_limited",
    "timeout",
    "content_policy",
    "not_supported",
    "malformed_response",
    "auth",
    "config",
];

/// When a chain moves on to its next provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FallbackPolicy {
    /// Error codes after which the next provider is tried (after the failing provider's own
    /// retries): by default `unavailable`, `rate_limited`, `timeout`, `content_policy`,
    /// `not_supported` and `malformed_response`. Drop `content_policy` to make a refusal final;
    /// add `auth` or `config` to skip a provider whose key or account is broken. Input errors
    /// never move on.
    pub on: Vec<String>,
}

impl Default for FallbackPolicy {
    fn default() -> Self {
        Self {
            on: [
                "unavailable",
                "rate_limited",
                "timeout",
                "content_policy",
                "not_supported",
                "malformed_response",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

impl FallbackPolicy {
    /// Whether the chain tries its next provider after `error`.
    pub fn moves_on(&self, error: &Error) -> bool {
        !error.is_input_error() && self.on.iter().any(|code| code == error.code())
    }

    /// What is wrong with this policy.
    pub fn problems(&self) -> Vec<String> {
        self.on
            .iter()
            .filter(|code| !MOVABLE.contains(&code.as_str()))
            .map(|code| {
                format!(
                    "fallback.on: `{code}` is not an error a chain moves on after (one of: {})",
                    MOVABLE.join(", ")
                )
            })
            .collect()
    }
}

/// What one provider of a chain answered before the next one was tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderAttempt {
    /// The provider's registry name.
    pub provider: String,
    /// Its model.
    pub model: String,
    /// The error's code (`unavailable`, `content_policy`, ...).
    pub error: String,
    /// The error's message.
    pub message: String,
}

impl ProviderAttempt {
    /// The attempt of `provider` (with `model`) that failed with `error`.
    pub fn failed(provider: &str, model: &str, error: &Error) -> Self {
        Self {
            provider: provider.to_owned(),
            model: model.to_owned(),
            error: error.code().to_owned(),
            message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_split_on_commas() {
        assert_eq!(
            chain_names(" fashn, nano-banana,,draft "),
            ["fashn", "nano-banana", "draft"]
        );
        assert_eq!(chain_names("mock"), ["mock"]);
    }

    #[test]
    fn the_policy_moves_on_for_listed_kinds_and_never_for_bad_input() {
        let policy = FallbackPolicy::default();
        assert!(policy.moves_on(&Error::Unavailable {
            detail: "503".into()
        }));
        assert!(policy.moves_on(&Error::ContentPolicy { reason: "x".into() }));
        assert!(!policy.moves_on(&Error::invalid_input("bad photo")));
        assert!(!policy.moves_on(&Error::Auth {
            detail: "key".into()
        }));
        let strict = FallbackPolicy {
            on: vec!["unavailable".into(), "invalid_input".into()],
        };
        assert!(!strict.moves_on(&Error::ContentPolicy { reason: "x".into() }));
        assert!(!strict.moves_on(&Error::invalid_input("bad photo")));
        assert_eq!(strict.problems().len(), 1, "{:?}", strict.problems());
    }

    #[test]
    fn settings_are_per_provider_and_the_single_table_serves_the_first() {
        let single = ProviderSettings {
            model: Some("primary-model".into()),
            ..Default::default()
        };
        let mut providers = BTreeMap::new();
        providers.insert(
            "nano-banana".to_owned(),
            ProviderSettings {
                model: Some("gemini-3-pro-image".into()),
                ..Default::default()
            },
        );
        let model = |name, position| {
            settings_for(name, position, &providers, &single)
                .model
                .clone()
        };
        assert_eq!(model("fashn", 0).as_deref(), Some("primary-model"));
        assert_eq!(
            model("nano-banana", 1).as_deref(),
            Some("gemini-3-pro-image")
        );
        assert_eq!(model("draft", 2), None);
    }
}
