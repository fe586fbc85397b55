//! Login identifiers, normalized so that one person has one spelling of each: emails by NFKC,
//! lowercase and a strict ASCII form; phone numbers to E.164 (`+` and 8 to 15 digits).
//!
//! Emails are accepted in ASCII after NFKC (so `ｃust@shop.test` is `cust@shop.test`); anything
//! that is still not ASCII — a Cyrillic `с` standing in for a Latin `c`, a zero-width space, a
//! bidi control — is refused rather than made into a look-alike account. Internationalized
//! domains are accepted in their `xn--` form.

use unicode_normalization::UnicodeNormalization;

use crate::error::{ApiError, ApiResult};

/// Longest email address, in bytes (RFC 5321's path limit less the brackets).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest local part (before the `@`), in bytes.
const MAX_LOCAL_BYTES: usize = 64;
/// Longest domain label, in bytes.
const MAX_LABEL_BYTES: usize = 63;

/// The normalized email and phone of a registration or login; at least one is given.
pub fn login_identifiers(
    email: Option<&str>,
    phone: Option<&str>,
) -> ApiResult<(Option<String>, Option<String>)> {
    let email = email
        .filter(|e| !e.trim().is_empty())
        .map(self::email)
        .transpose()?;
    let phone = phone
        .filter(|p| !p.trim().is_empty())
        .map(self::phone)
        .transpose()?;
    if email.is_none() && phone.is_none() {
        return Err(ApiError::Validation(
            "an email or a phone number is required".to_owned(),
        ));
    }
    Ok((email, phone))
}

/// The one spelling of an email address, or a validation error saying what is wrong.
pub fn email(raw: &str) -> ApiResult<String> {
    let invalid =
        |why: &str| ApiError::Validation(format!("the email address is not valid: {why}"));
    let email: String = raw.trim().nfkc().collect::<String>().to_lowercase();
    if email.len() > MAX_EMAIL_BYTES {
        return Err(invalid("too long"));
    }
    if !email.is_ascii() {
        return Err(invalid(
            "only ASCII letters, digits and punctuation are accepted (an internationalized domain \
             in its xn-- form)",
        ));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(invalid("it has no @"));
    };
    if domain.contains('@') {
        return Err(invalid("it has more than one @"));
    }
    if local.is_empty() || local.len() > MAX_LOCAL_BYTES || !dot_separated(local, local_char) {
        return Err(invalid("the part before the @"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_BYTES
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(invalid("the domain"));
    }
    Ok(email)
}

/// Characters of a local part (RFC 5322 `atext`), besides the dots between them.
fn local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b)
}

/// Non-empty runs of `allowed` bytes separated by single dots.
fn dot_separated(text: &str, allowed: fn(u8) -> bool) -> bool {
    text.split('.')
        .all(|run| !run.is_empty() && run.bytes().all(allowed))
}

/// The E.164 form of a phone number in international form: `+` (or `00`) and the country code
/// first; spaces, dashes, dots and parentheses between digits are ignored.
pub fn phone(raw: &str) -> ApiResult<String> {
    let invalid = || {
        ApiError::Validation(
            "the phone number must be in international form: + and the country code, then \
             the number (8 to 15 digits in all)"
                .to_owned(),
        )
    };
    let text: String = raw.trim().nfkc().collect();
    let mut digits = String::with_capacity(16);
    let mut plus = false;
    for c in text.chars() {
        match c {
            '+' if digits.is_empty() && !plus => plus = true,
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(invalid()),
        }
    }
    if !plus {
        match digits.strip_prefix("00") {
            Some(rest) => digits = rest.to_owned(),
            None => return Err(invalid()),
        }
    }
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(invalid());
    }
    Ok(format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_have_one_spelling() {
        assert_eq!(email(" Ann@Example.COM ").unwrap(), "ann@example.com");
        // Fullwidth letters are the ASCII ones after NFKC.
        assert_eq!(email("ｃustx@x.test").unwrap(), "custx@x.test");
        assert_eq!(
            email("a.b+tag@xn--bcher-kva.example").unwrap(),
            "a.b+tag@xn--bcher-kva.example"
        );
    }

    #[test]
    fn look_alike_and_malformed_emails_are_refused() {
        for bad in [
            "сustx@x.test",         // Cyrillic с
            "custx\u{200b}@x.test", // zero-width space
            "custx\u{202e}@x.test", // right-to-left override
            "cust\u{0}x@x.test",
            "cust\tx@x.test",
            "custx@x.test.",
            "custx@@x.test",
            "a@b@x.test",
            "custx@x",
            "custx@-x.test",
            ".custx@x.test",
            "cu..stx@x.test",
            "\"quoted\"@x.test",
            "not-an-email",
            "@x.test",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phones_have_one_spelling() {
        for spelling in [
            "+44 20 7946 0958",
            "0044 20 7946 0958",
            "+44 (20) 7946-0958",
            "+44.20.7946.0958",
            "＋４４２０７９４６０９５８",
        ] {
            assert_eq!(phone(spelling).unwrap(), "+442079460958", "{spelling}");
        }
        for bad in [
            "442079460958",
            "020 7946 0958",
            "+44 20 7946 0958 x12",
            "+1234",
            "12ab",
            "+0044123456789",
        ] {
            assert!(phone(bad).is_err(), "{bad}");
        }
    }

    /// A small deterministic generator (xorshift), so the property tests need no dependency and
    /// run the same cases everywhere.
    struct Cases(u64);

    impl Cases {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[(self.next() % items.len() as u64) as usize]
        }

        /// A string of 0 to `max` characters from `alphabet`.
        fn string(&mut self, alphabet: &[char], max: u64) -> String {
            let n = self.next() % (max + 1);
            (0..n).map(|_| self.pick(alphabet)).collect()
        }
    }

    /// Letters, digits, punctuation, and the characters that make look-alikes: fullwidth and
    /// Cyrillic letters, zero-width and bidi controls, control characters, spaces, dots and @.
    const TRICKY: &[char] = &[
        'a', 'b', 'C', 'z', '0', '9', '.', '.', '-', '_', '+', '@', '@', ' ', 'ｃ', 'Ａ', 'с', 'е',
        '\u{200b}', '\u{200d}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{0}', '\t', '\n', 'ß', 'İ',
        'ﬁ', '\u{301}',
    ];

    #[test]
    fn accepted_emails_are_ascii_with_one_at_and_normalize_to_themselves() {
        let mut cases = Cases(0x9e37_79b9_7f4a_7c15);
        let mut accepted = 0;
        // Every other case draws from plain letters, so that many are valid and the invariants
        // are checked on more than a handful; the tricky half probes what must be refused.
        const PLAIN: &[char] = &['a', 'b', 'k', 'z', '0', '7', 'M', '.', '-', '_', '+'];
        for i in 0..20_000 {
            let alphabet = if i % 2 == 0 { TRICKY } else { PLAIN };
            let raw = format!(
                "{}@{}.{}",
                cases.string(alphabet, 8),
                cases.string(alphabet, 6),
                cases.string(alphabet, 4)
            );
            let Ok(normal) = email(&raw) else { continue };
            accepted += 1;
            assert!(normal.is_ascii(), "{raw:?} → {normal:?}");
            assert_eq!(normal.matches('@').count(), 1, "{raw:?} → {normal:?}");
            assert!(!normal.ends_with('.'), "{raw:?} → {normal:?}");
            assert!(
                !normal
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c.is_uppercase()),
                "{raw:?} → {normal:?}"
            );
            assert_eq!(email(&normal).unwrap(), normal, "idempotent: {raw:?}");
        }
        assert!(
            accepted > 100,
            "the generator reaches valid emails ({accepted})"
        );
    }

    #[test]
    fn a_hidden_character_anywhere_in_an_email_is_refused() {
        let mut cases = Cases(0x2545_f491_4f6c_dd1d);
        for _ in 0..5_000 {
            let valid = format!(
                "{}@{}.test",
                cases.string(&['a', 'b', '1', '_'], 10).replace(' ', "") + "x",
                cases.string(&['a', 'q', '7'], 8) + "d"
            );
            assert!(email(&valid).is_ok(), "{valid}");
            let hidden = cases.pick(&[
                '\u{200b}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{0}', '\u{7}', 'с',
            ]);
            let at = (cases.next() % valid.len() as u64) as usize;
            let mut spoofed = valid.clone();
            spoofed.insert(at, hidden);
            assert!(email(&spoofed).is_err(), "{spoofed:?}");
        }
    }

    #[test]
    fn case_and_width_variants_of_an_email_are_one_account() {
        let mut cases = Cases(0xdead_beef_cafe_f00d);
        for _ in 0..5_000 {
            let local = cases.string(&['a', 'b', 'k', 'z', '3'], 10) + "m";
            let domain = cases.string(&['s', 'h', 'o', 'p'], 6) + "x";
            let plain = format!("{local}@{domain}.test");
            let variant: String = plain
                .chars()
                .map(|c| match cases.next() % 3 {
                    0 => c.to_ascii_uppercase(),
                    // The fullwidth form of an ASCII letter or digit.
                    1 if c.is_ascii_alphanumeric() => {
                        char::from_u32(u32::from(c) - 0x21 + 0xFF01).unwrap_or(c)
                    }
                    _ => c,
                })
                .collect();
            assert_eq!(email(&variant).unwrap(), plain, "{variant}");
        }
    }

    #[test]
    fn every_spelling_of_a_phone_number_is_one_e164_number() {
        let mut cases = Cases(0x0123_4567_89ab_cdef);
        for _ in 0..5_000 {
            let digits = format!(
                "{}{}",
                cases.pick(&['1', '3', '4', '9']),
                cases.string(&['0', '1', '5', '8', '9'], 12)
            );
            let digits = if digits.len() < 8 {
                format!("{digits}1234567")
            } else {
                digits
            };
            let Ok(e164) = phone(&format!("+{digits}")) else {
                assert!(digits.len() > 15, "{digits}");
                continue;
            };
            assert_eq!(e164, format!("+{digits}"));
            let mut spelled = String::from(cases.pick(&["+", "00", "+ "]));
            for d in digits.chars() {
                spelled.push(d);
                spelled.push_str(cases.pick(&["", "", " ", "-", "."]));
            }
            assert_eq!(phone(&spelled).unwrap(), e164, "{spelled}");
        }
    }
}
