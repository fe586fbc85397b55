//! Licence terms a provider declares, and the guard that refuses research-only providers in
//! commercial use.
//!
//! A provider runs someone's model: a paid API under its terms of service, or weights under a
//! licence. Weights published for research only (non-commercial licences such as CC BY-NC)
//! cannot serve a shop. With `commercial = true` in the engine configuration (the server's
//! default) the engine refuses, when it is built, every provider of the chain and the style
//! provider whose terms are [`LicenceTerms::ResearchOnly`], with a `config` error that names
//! the provider, its licence and why.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The terms under which a provider's model may be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "terms", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LicenceTerms {
    /// Commercial use allowed: FitView's own code, or a paid API used under its terms.
    Commercial,
    /// Research or other non-commercial use only.
    ResearchOnly {
        /// The licence, as its authors name it (`CC BY-NC-SA 4.0`).
        licence: String,
        /// Where the terms are stated (a model card, a licence file).
        source: String,
    },
}

impl LicenceTerms {
    /// Whether a shop may use it.
    pub fn allows_commercial_use(&self) -> bool {
        matches!(self, LicenceTerms::Commercial)
    }
}

/// Refuses `provider` (a `role` such as `try-on provider`) when `commercial` use is configured
/// and its terms do not allow it.
pub fn check_commercial(
    commercial: bool,
    role: &str,
    provider: &str,
    terms: &LicenceTerms,
) -> Result<()> {
    match terms {
        LicenceTerms::ResearchOnly { licence, source } if commercial => Err(Error::Config {
            problems: vec![format!(
                "{role} `{provider}` is licensed for research only ({licence}, see {source}), \
                 and commercial = true: its output may not be used by a shop. Choose another \
                 provider, or set commercial = false for research use"
            )],
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn research_only_terms_are_refused_only_for_commercial_use() {
        let research = LicenceTerms::ResearchOnly {
            licence: "CC BY-NC-SA 4.0".into(),
            source: "the model card".into(),
        };
        check_commercial(false, "try-on provider", "lab", &research).unwrap();
        check_commercial(true, "try-on provider", "draft", &LicenceTerms::Commercial).unwrap();
        let err = check_commercial(true, "try-on provider", "lab", &research).unwrap_err();
        assert_eq!(err.code(), "config");
        let text = err.to_string();
        for part in [
            "`lab`",
            "research only",
            "CC BY-NC-SA 4.0",
            "commercial = true",
        ] {
            assert!(text.contains(part), "{text}");
        }
    }
}
