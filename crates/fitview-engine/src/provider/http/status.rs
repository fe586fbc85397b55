//! HTTP status → [`Error`] mapping shared by every HTTP provider, and `Retry-After` parsing.
//!
//! Provider wire modules first turn their own error bodies into a [`Failure`] (and handle the
//! provider-specific cases, such as a bad key answered with 400); everything else is mapped
//! here, so all providers agree on what is retryable.

use std::time::Duration;

use crate::error::Error;

/// What a provider's non-success answer said, already redacted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    /// HTTP status.
    pub(crate) status: u16,
    /// The provider's symbolic code (`RESOURCE_EXHAUSTED`, `invalid_request_error`), if any.
    pub(crate) code: Option<String>,
    /// The provider's message, redacted.
    pub(crate) message: String,
    /// How long the provider asked us to wait, if it said.
    pub(crate) retry_after: Option<Duration>,
}

/// Maps a failure by its HTTP status. `provider` names the provider in messages; `key_var` is
/// the environment variable that holds its key.
///
/// | status | error | retried |
/// |---|---|---|
/// | 401, 403 | `Auth` | no |
/// | 404 | `Config` (model id or base URL) | no |
/// | 429 | `RateLimited` with the provider's wait | yes |
/// | 408, 5xx | `Unavailable` | yes |
/// | other 4xx | `InvalidInput` | no |
pub(crate) fn error_for_status(provider: &str, key_var: &str, failure: Failure) -> Error {
    let Failure {
        status,
        code,
        message,
        retry_after,
    } = failure;
    let code = code.map(|c| format!(" {c}")).unwrap_or_default();
    match status {
        401 | 403 => Error::Auth {
            detail: format!("{provider} answered HTTP {status}{code}: {message} (check {key_var})"),
        },
        404 => Error::Config {
            problems: vec![format!(
                "{provider} answered HTTP 404{code}: {message} (check the model id and base URL)"
            )],
        },
        429 => Error::RateLimited { retry_after },
        408 | 500..=599 => Error::Unavailable {
            detail: format!("{provider} answered HTTP {status}{code}: {message}"),
        },
        _ => Error::InvalidInput {
            reason: format!("{provider} rejected the request (HTTP {status}{code}): {message}"),
        },
    }
}

/// Parses a `Retry-After` header given in seconds (integer or fractional). HTTP-date values are
/// not used by the providers FitView calls and give `None` (the retry policy's backoff applies).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16) -> Failure {
        Failure {
            status,
            code: None,
            message: "m".into(),
            retry_after: Some(Duration::from_secs(3)),
        }
    }

    #[test]
    fn statuses_map_to_meaningful_kinds() {
        let kind = |status| error_for_status("Gemini", "GEMINI_API_KEY", failure(status)).code();
        assert_eq!(kind(401), "auth");
        assert_eq!(kind(403), "auth");
        assert_eq!(kind(404), "config");
        assert_eq!(kind(429), "rate_limited");
        assert_eq!(kind(500), "unavailable");
        assert_eq!(kind(503), "unavailable");
        assert_eq!(kind(400), "invalid_input");
        let err = error_for_status("Gemini", "GEMINI_API_KEY", failure(429));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
        let err = error_for_status("Gemini", "GEMINI_API_KEY", failure(403));
        assert!(err.to_string().contains("GEMINI_API_KEY"), "{err}");
    }

    #[test]
    fn retry_after_accepts_seconds_only() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 1.5 "),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
