//! The authenticated caller, from a `Authorization: Bearer` access token whose account still
//! exists and is not disabled (see [`crate::auth::account_check`]).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::auth::Role;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The caller of a request that requires authentication.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user's id.
    pub id: String,
    /// The user's role.
    pub role: Role,
}

impl AuthUser {
    /// Refuses with 403 unless the caller has one of these roles.
    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The retailer whose catalog this caller is confined to: its own for a retailer, none
    /// (every catalog) for customers and admins.
    pub fn catalog_scope(&self) -> Option<&str> {
        (self.role == Role::Retailer).then_some(self.id.as_str())
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(ApiError::Unauthorized)?;
        let value = value.to_str().map_err(|_| ApiError::Unauthorized)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let claims = state.jwt.verify(token.trim())?;
        let account = state
            .accounts
            .status(&state.db, &claims.sub)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if account.disabled {
            return Err(ApiError::AccountDisabled);
        }
        Ok(AuthUser {
            id: claims.sub,
            role: account.role,
        })
    }
}
