//! Access tokens: HS256 JWTs with `iss`, `aud`, `sub`, `exp` required and checked, and `nbf`
//! checked when present (issued tokens carry it).
//!
//! The algorithm is pinned: a token whose header names any other algorithm (`none`, `RS256`, ...)
//! is refused before its signature is looked at.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::config::TokenSettings;
use crate::error::{ApiError, ApiResult};

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The user's role when the token was issued.
    pub role: Role,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Not valid before (seconds since the epoch); checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
}

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Keys from a secret (at least 32 bytes recommended) and the token settings.
    pub fn new(secret: &[u8], settings: &TokenSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl: settings.access_ttl,
        }
    }

    /// Lifetime of the tokens issued.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues an access token for a user.
    pub fn issue(&self, user_id: &str, role: Role) -> ApiResult<String> {
        let now = now_secs();
        let claims = Claims {
            sub: user_id.to_owned(),
            role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: Some(now),
            exp: now + self.ttl.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Verifies a token's algorithm, signature, expiry, issuer and audience.
    pub fn verify(&self, token: &str) -> ApiResult<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| {
                tracing::debug!(%error, "access token refused");
                ApiError::Unauthorized
            })
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            b"0123456789abcdef0123456789abcdef",
            &TokenSettings::default(),
        )
    }

    #[test]
    fn issued_tokens_verify() {
        let keys = keys();
        let token = keys.issue("u1", Role::Retailer).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.role, Role::Retailer);
    }

    #[test]
    fn other_secret_issuer_or_audience_is_refused() {
        let token = keys().issue("u1", Role::Admin).unwrap();
        let other = JwtKeys::new(
            b"another secret of thirty-two bytes!",
            &TokenSettings::default(),
        );
        assert!(other.verify(&token).is_err());
        let settings = TokenSettings {
            audience: "elsewhere".to_owned(),
            ..TokenSettings::default()
        };
        let token = JwtKeys::new(b"0123456789abcdef0123456789abcdef", &settings)
            .issue("u1", Role::Admin)
            .unwrap();
        assert!(keys().verify(&token).is_err());
    }
}
