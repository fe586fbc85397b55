//! Refresh tokens: 256 random bits, opaque to the client, stored only as a BLAKE3 digest.
//!
//! A fast hash is enough here: unlike passwords, the tokens have full entropy.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A new token: what the client gets and the digest the database keeps.
pub fn generate() -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let digest = digest(&token);
    (token, digest)
}

/// The digest stored for a token.
pub fn digest(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_distinct_and_digests_stable() {
        let (a, da) = super::generate();
        let (b, _) = super::generate();
        assert_ne!(a, b);
        assert_eq!(super::digest(&a), da);
        assert_eq!(a.len(), 43);
    }
}
