//! Browser sessions: an `HttpOnly`, `SameSite=Lax` cookie (`Secure` over TLS) holding a random
//! token that names a record in the database; the record says who is signed in, which model
//! the shopper picked and which CSRF token the session's forms carry. A session lives 24 hours;
//! signing out or deleting the account deletes the record, so the cookie stops working at once.
//! Records are in the database, or in Redis when the server has one ([`super::session_store`]).

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};

use crate::auth::{AuthUser, Role, refresh};
use crate::db::{self, sessions::SessionRow, users::UserRow};
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::PageError;

/// The cookie's name.
pub const COOKIE: &str = "fitview_session";
/// How long a session lives (the design's session TTL).
pub const SESSION_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Who is browsing: their session (if the cookie names a live one) and signed-in account.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// The live session.
    pub session: Option<SessionRow>,
    /// The signed-in, enabled account.
    pub user: Option<UserRow>,
}

impl Visitor {
    /// The signed-in account as the API's handlers take it.
    pub fn auth_user(&self) -> Option<AuthUser> {
        let user = self.user.as_ref()?;
        Some(AuthUser {
            id: user.id.clone(),
            role: Role::parse(&user.role)?,
        })
    }

    /// The signed-in account, or a redirect to the sign-in page coming back to `next`.
    pub fn require_user(&self, next: &str) -> Result<AuthUser, PageError> {
        self.auth_user().ok_or_else(|| PageError::SignIn {
            next: next.to_owned(),
        })
    }

    /// The session whose form token this is; anything else (no session, no or another token)
    /// is refused.
    pub fn check_csrf(&self, token: &str) -> Result<&SessionRow, PageError> {
        let session = self.session.as_ref().ok_or(PageError::Csrf)?;
        // `blake3::Hash` compares in constant time.
        if blake3::hash(token.as_bytes()) == blake3::hash(session.csrf_token.as_bytes()) {
            Ok(session)
        } else {
            Err(PageError::Csrf)
        }
    }

    /// The model the shopper picked.
    pub fn model_id(&self) -> Option<&str> {
        self.session.as_ref()?.model_id.as_deref()
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie_token(&parts.headers) else {
            return Ok(Visitor::default());
        };
        let Some(session) = state.sessions.find(&refresh::digest(token)).await? else {
            return Ok(Visitor::default());
        };
        let user = match &session.user_id {
            Some(id) => db::users::find(&state.db, id)
                .await
                .map_err(ApiError::from)?
                .filter(|u| u.disabled == 0),
            None => None,
        };
        Ok(Visitor {
            session: Some(session),
            user,
        })
    }
}

/// The session token in a request's `Cookie` headers.
fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// A new session (signed in as `user_id`, if given, with this model), and the `Set-Cookie`
/// value that hands it to the browser.
pub async fn start(
    state: &AppState,
    user_id: Option<&str>,
    model_id: Option<&str>,
) -> Result<(SessionRow, HeaderValue), ApiError> {
    let (token, token_hash) = refresh::generate();
    let (csrf_token, _) = refresh::generate();
    let now = db::now();
    let ttl = i64::try_from(SESSION_TTL.as_secs()).unwrap_or(i64::MAX);
    let row = SessionRow {
        token_hash,
        user_id: user_id.map(str::to_owned),
        csrf_token,
        model_id: model_id.map(str::to_owned),
        created_at: now,
        expires_at: now.saturating_add(ttl),
    };
    state.sessions.insert(&row).await?;
    let cookie = cookie(state, &token, SESSION_TTL.as_secs())?;
    Ok((row, cookie))
}

/// The visitor's session, starting one (and its cookie) when there is none.
pub async fn ensure(
    state: &AppState,
    visitor: &Visitor,
) -> Result<(SessionRow, Option<HeaderValue>), ApiError> {
    match &visitor.session {
        Some(session) => Ok((session.clone(), None)),
        None => {
            let (row, cookie) = start(state, None, None).await?;
            Ok((row, Some(cookie)))
        }
    }
}

/// Ends the visitor's session; the returned `Set-Cookie` value removes the cookie.
pub async fn end(state: &AppState, visitor: &Visitor) -> Result<HeaderValue, ApiError> {
    if let Some(session) = &visitor.session {
        state.sessions.delete(&session.token_hash).await?;
    }
    cookie(state, "", 0)
}

fn cookie(state: &AppState, token: &str, max_age: u64) -> Result<HeaderValue, ApiError> {
    let secure = if state.config.tls.is_some() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    #[test]
    fn the_token_is_found_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; fitview_session=abc; z=9"),
        );
        assert_eq!(super::cookie_token(&headers), Some("abc"));
        assert_eq!(super::cookie_token(&HeaderMap::new()), None);
    }
}
