//! Shown text (product names and descriptions, display names, model names): printable
//! characters only. NUL and other control characters, and the bidi controls that reorder what is
//! shown (embeddings, overrides, isolates), or invisible characters that make look-alikes, are
//! refused with a validation error naming the field.

use crate::error::{ApiError, ApiResult};

/// Whether a field may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// A name: one line.
    One,
    /// A description: line breaks and tabs allowed.
    Many,
}

/// Refuses `value` of field `field` if it holds a character no shown text should.
pub fn check(field: &str, value: &str, lines: Lines) -> ApiResult<()> {
    match value.chars().find(|&c| refused(c, lines)) {
        None => Ok(()),
        Some(c) => Err(ApiError::Validation(format!(
            "`{field}` holds a control or invisible character (U+{:04X})",
            u32::from(c)
        ))),
    }
}

fn refused(c: char, lines: Lines) -> bool {
    if lines == Lines::Many && matches!(c, '\n' | '\r' | '\t') {
        return false;
    }
    c.is_control()
        // Bidi embeddings and overrides, isolates.
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        // Zero-width space, word joiner, byte-order mark. (The zero-width joiners U+200C and
        // U+200D are kept: Indic scripts and emoji need them.)
        || matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_passes_and_hidden_characters_do_not() {
        for good in [
            "Striped shirt",
            "Kurta — हिन्दी",
            "Saree क्\u{200D}ष",
            "😀\u{200D}😀",
            "é",
        ] {
            assert!(check("name", good, Lines::One).is_ok(), "{good}");
        }
        assert!(check("description", "Line one\nline two\ttab", Lines::Many).is_ok());
        for bad in [
            "a\u{0}b",
            "a\nb",
            "a\u{1b}[31mred",
            "evil\u{202E}gpj.exe",
            "a\u{2066}b",
            "a\u{200B}b",
            "\u{FEFF}a",
            "a\u{85}b",
        ] {
            assert!(check("name", bad, Lines::One).is_err(), "{bad:?}");
        }
        assert!(check("description", "a\u{0}b", Lines::Many).is_err());
        assert!(check("description", "a\u{202D}b", Lines::Many).is_err());
    }
}
