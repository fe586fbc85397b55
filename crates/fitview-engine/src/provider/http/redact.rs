//! Scrubbing of provider-supplied text before it enters an error or a log line.
//!
//! Provider error messages are useful ("API key not valid", "Argument not supported: size"), but
//! some echo parts of the request. Anything that looks like a key or a base64 payload is replaced,
//! and the text is cut to a length a log line can afford.

/// Longest provider text kept in an error.
const MAX_CHARS: usize = 300;
/// Runs of base64-alphabet characters at least this long are treated as payload or secret.
const MIN_SECRET_RUN: usize = 24;

/// `text` with key-like and base64-like runs replaced by `<redacted>`, cut to a few hundred
/// characters.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CHARS + 16));
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if looks_secret(run) {
            out.push_str("<redacted>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    if out.chars().count() > MAX_CHARS {
        let cut: String = out.chars().take(MAX_CHARS).collect();
        return format!("{cut}…");
    }
    out
}

/// A run that is long and mixes letters and digits (keys, tokens, base64), or starts like a
/// known key format. URLs and words are split at `:` `.` and spaces, so they stay readable.
fn looks_secret(run: &str) -> bool {
    if run.starts_with("AIza") || run.starts_with("xai-") || run.starts_with("sk-") {
        return run.len() >= 12;
    }
    run.len() >= MIN_SECRET_RUN
        && run.chars().any(|c| c.is_ascii_digit())
        && run.chars().any(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_payloads_are_removed_and_words_kept() {
        let text =
            "API key not valid: AIzaSyD-abcdefghijk123 for data iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB";
        let out = redact(text);
        assert!(!out.contains("AIzaSy"), "{out}");
        assert!(!out.contains("iVBORw0KGgo"), "{out}");
        assert!(out.starts_with("API key not valid"), "{out}");
        let url = "see https://ai.google.dev/gemini-api/docs/rate-limits please";
        assert_eq!(redact(url), url);
        assert!(redact("Incorrect API key provided: xai-1234567890abcdef").ends_with("<redacted>"));
    }

    #[test]
    fn long_text_is_cut() {
        let long = "word ".repeat(200);
        assert!(redact(&long).chars().count() <= MAX_CHARS + 1);
    }
}
