//! What went wrong, in words a shopper understands.

use std::time::Duration;

use crate::error::ApiError;

/// The shopper's sentence for an error of a page or a form.
pub fn for_error(error: &ApiError) -> String {
    match error {
        ApiError::RateLimited { retry_after } => format!(
            "You have tried a lot in a short time. Please try again in {}.",
            wait(*retry_after)
        ),
        ApiError::QueueFull { retry_after } => format!(
            "Many shoppers are trying things on right now. Please try again in {}.",
            wait(*retry_after)
        ),
        ApiError::NotFound => "We could not find that page.".to_owned(),
        ApiError::InvalidCredentials => "That email or password is not right.".to_owned(),
        ApiError::AccountDisabled => "This account has been disabled.".to_owned(),
        ApiError::Forbidden => "Your account cannot do that.".to_owned(),
        ApiError::Unavailable => {
            "The shop cannot serve this page right now. Please try again in a minute.".to_owned()
        }
        ApiError::Engine(e) if e.code() == "content_policy" => {
            "The try-on service refused this photo, so we cannot show it. \
             Please pick another model or product."
                .to_owned()
        }
        ApiError::Validation(message) | ApiError::Conflict(message) => capitalized(message),
        _ => for_code(error.code()),
    }
}

/// The shopper's sentence for a failed try-on, by its stored error code.
pub fn for_code(code: &str) -> String {
    match code {
        "rate_limited" | "queue_full" | "unavailable" => {
            "The try-on service is busy right now. Please try again in a minute.".to_owned()
        }
        "content_policy" => "The try-on service refused this photo, so we cannot show it. \
                             Please pick another model or product."
            .to_owned(),
        "timeout" => "The try-on took too long. Please try again.".to_owned(),
        _ => "Something went wrong on our side. Please try again.".to_owned(),
    }
}

fn wait(duration: Duration) -> String {
    match duration.as_secs().max(1) {
        1 => "a second".to_owned(),
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

/// `message` as a sentence: a capital first letter and a full stop.
pub fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::error::ApiError;

    #[test]
    fn limits_say_when_to_retry() {
        let limited = ApiError::RateLimited {
            retry_after: Duration::from_secs(30),
        };
        assert_eq!(
            super::for_error(&limited),
            "You have tried a lot in a short time. Please try again in 30 seconds."
        );
        assert_eq!(
            super::for_error(&ApiError::Validation("the size is not sold".to_owned())),
            "The size is not sold."
        );
        assert!(super::for_code("content_policy").contains("refused"));
    }
}
