//! The engine's one error type.
//!
//! Variants say what went wrong in terms a caller can act on (bad input, refusal, rate limit, ...),
//! never which library failed. Messages never contain API keys, prompts or image bytes.

use std::time::Duration;

/// Result alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a try-on, by meaning.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request itself is wrong (empty image, unknown option, inconsistent fields).
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong, in words a user can act on.
        reason: String,
    },
    /// An image exceeds a configured limit (bytes, width, height or pixel count).
    #[error("image too large: {what} is {actual}, the limit is {limit}")]
    ImageTooLarge {
        /// Which quantity is over the limit ("width", "height", "pixels", "bytes").
        what: &'static str,
        /// The image's value.
        actual: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The bytes are not an image in an accepted format, or are corrupt or truncated.
    #[error("unsupported or corrupt image: {detail}")]
    UnsupportedFormat {
        /// What was found (format name, decoder message).
        detail: String,
    },
    /// The provider refused the request on content-policy grounds. Retrying the same input will not help.
    #[error("refused by content policy: {reason}")]
    ContentPolicy {
        /// The provider's reason (e.g. `IMAGE_SAFETY`), without user data.
        reason: String,
    },
    /// The provider asked us to slow down.
    #[error("rate limited by the provider{}", retry_after.map(|d| format!(", retry after {:.1}s", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// How long the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// Credentials are missing, invalid or lack permission.
    #[error("authentication failed: {detail}")]
    Auth {
        /// What to fix (e.g. which variable to set); never the key itself.
        detail: String,
    },
    /// An operation did not finish in time.
    #[error("timed out after {:.1}s", after.as_secs_f64())]
    Timeout {
        /// How long we waited.
        after: Duration,
    },
    /// The provider is unreachable or answered with a server error.
    #[error("provider unavailable: {detail}")]
    Unavailable {
        /// Status or transport error, without request contents.
        detail: String,
    },
    /// The provider answered, but not with something we can use.
    #[error("malformed provider response: {detail}")]
    MalformedResponse {
        /// What was wrong with it.
        detail: String,
    },
    /// The provider cannot do what was asked (category, input count, size).
    #[error("not supported by provider {provider}: {detail}")]
    NotSupported {
        /// The provider's name.
        provider: String,
        /// What it cannot do.
        detail: String,
    },
    /// Reading or writing results failed.
    #[error("storage error: {detail}")]
    Storage {
        /// What failed.
        detail: String,
    },
    /// The configuration is invalid; lists every problem found.
    #[error("invalid configuration: {}", problems.join("; "))]
    Config {
        /// Every problem found, not just the first.
        problems: Vec<String>,
    },
    /// A spend cap would be passed by this provider call, so it was not made.
    #[error(
        "budget exceeded: the {scope} budget of ${limit_usd:.2} is spent (${spent_usd:.2} so far)"
    )]
    BudgetExceeded {
        /// Which cap (`daily`, `batch`, `retailer`).
        scope: String,
        /// What was spent so far, in US dollars.
        spent_usd: f64,
        /// The cap, in US dollars.
        limit_usd: f64,
    },
    /// The work was cancelled before it finished.
    #[error("cancelled")]
    Cancelled,
    /// A bug in FitView: an internal invariant did not hold.
    #[error("internal error: {detail}")]
    Internal {
        /// What went wrong.
        detail: String,
    },
}

impl Error {
    /// Whether retrying the same request later can succeed.
    ///
    /// Rate limits, timeouts and unavailable upstreams are transient; refusals, bad input and
    /// authentication problems are not.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Unavailable { .. }
        )
    }

    /// How long the provider asked to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// A stable, machine-readable code for this kind of error (used by the CLI's JSON output
    /// and the server's error bodies).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::ImageTooLarge { .. } => "image_too_large",
            Error::UnsupportedFormat { .. } => "unsupported_format",
            Error::ContentPolicy { .. } => "content_policy",
            Error::RateLimited { .. } => "rate_limited",
            Error::Auth { .. } => "auth",
            Error::Timeout { .. } => "timeout",
            Error::Unavailable { .. } => "unavailable",
            Error::MalformedResponse { .. } => "malformed_response",
            Error::NotSupported { .. } => "not_supported",
            Error::Storage { .. } => "storage",
            Error::Config { .. } => "config",
            Error::BudgetExceeded { .. } => "budget_exceeded",
            Error::Cancelled => "cancelled",
            Error::Internal { .. } => "internal",
        }
    }

    /// Whether the caller's input is at fault (as opposed to the provider, storage or FitView).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Error::InvalidInput { .. }
                | Error::ImageTooLarge { .. }
                | Error::UnsupportedFormat { .. }
        )
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid_input(reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Internal`].
    pub fn internal(detail: impl Into<String>) -> Self {
        Error::Internal {
            detail: detail.into(),
        }
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(err: tokio::task::JoinError) -> Self {
        if err.is_cancelled() {
            Error::Cancelled
        } else {
            Error::internal("a CPU worker task panicked")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_errors_are_retryable() {
        assert!(Error::RateLimited { retry_after: None }.is_retryable());
        assert!(
            Error::Timeout {
                after: Duration::from_secs(1)
            }
            .is_retryable()
        );
        assert!(
            Error::Unavailable {
                detail: "503".into()
            }
            .is_retryable()
        );
        assert!(
            !Error::ContentPolicy {
                reason: "IMAGE_SAFETY".into()
            }
            .is_retryable()
        );
        assert!(
            !Error::Auth {
                detail: "set GEMINI_API_KEY".into()
            }
            .is_retryable()
        );
        assert!(!Error::invalid_input("empty").is_retryable());
    }

    #[test]
    fn rate_limit_message_names_the_wait() {
        let err = Error::RateLimited {
            retry_after: Some(Duration::from_millis(1500)),
        };
        assert_eq!(
            err.to_string(),
            "rate limited by the provider, retry after 1.5s"
        );
        assert_eq!(err.retry_after(), Some(Duration::from_millis(1500)));
    }
}
