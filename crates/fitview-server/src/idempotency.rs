//! `Idempotency-Key`: a client that repeats a write (a retry after a lost answer) gets the first
//! answer again instead of a second job.
//!
//! A middleware, so any write route adopts it with one `route_layer`. Keys are scoped per
//! account and kept 24 hours with a fingerprint of the request (method, path, body; a multipart
//! body without its random boundary). The same key with:
//! - the same request, answered: the first answer (status and body), marked
//!   `Idempotent-Replayed: true`;
//! - the same request, still being handled: 409;
//! - a different request: 422.
//!
//! Only successful answers are kept: after an error the key is free again, so the client's
//! retry is handled afresh. A request without the header, or unauthenticated, passes untouched
//! (the handler answers 401).

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::AuthUser;
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// The request header.
pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");

/// The response header set on a replayed answer.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a key is remembered.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// A first request still marked in flight after this long died with its server: its key is
/// free again.
const ABANDONED_AFTER: Duration = Duration::from_secs(10 * 60);

/// Longest key accepted.
const MAX_KEY_LEN: usize = 255;

/// Largest answer kept for replay; a larger one is answered but not kept.
const MAX_KEPT_ANSWER: usize = 4 * 1024 * 1024;

/// The middleware: replays, refuses or runs the request and keeps its answer.
pub async fn once(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match handle(&state, request, next).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle(state: &AppState, request: Request, next: Next) -> Result<Response, ApiError> {
    let Some(key) = request.headers().get(&HEADER) else {
        return Ok(next.run(request).await);
    };
    let key = key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
            ))
        })?
        .to_owned();
    let (mut parts, body) = request.into_parts();
    let Ok(user) = AuthUser::from_request_parts(&mut parts, state).await else {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let limit = state
        .config
        .limits
        .max_upload_bytes
        .max(state.config.limits.max_json_bytes);
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let print = fingerprint(
        parts.method.as_str(),
        parts.uri.path(),
        parts.headers.get(header::CONTENT_TYPE),
        &bytes,
    );

    match reserve(state, &user.id, &key, &print).await? {
        Reserved::Ours => {}
        Reserved::Answered(stored) => {
            if stored.fingerprint != print {
                return Err(different_request());
            }
            return Ok(stored.replay());
        }
        Reserved::InFlight { fingerprint } => {
            if fingerprint != print {
                return Err(different_request());
            }
            return Err(ApiError::Conflict(
                "a request with this Idempotency-Key is still being handled; retry shortly"
                    .to_owned(),
            ));
        }
    }

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    keep(state, &user.id, &key, response).await
}

fn different_request() -> ApiError {
    ApiError::Validation(
        "this Idempotency-Key was used for a different request; use a new key".to_owned(),
    )
}

/// BLAKE3 of the method, path and body; a multipart body is hashed without its boundary,
/// which clients choose at random for each attempt.
fn fingerprint(
    method: &str,
    path: &str,
    content_type: Option<&HeaderValue>,
    body: &[u8],
) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in [method.as_bytes(), path.as_bytes()] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let boundary = content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(';')
                .find_map(|p| p.trim().strip_prefix("boundary="))
        })
        .map(|b| b.trim_matches('"').as_bytes().to_vec())
        .filter(|b| !b.is_empty());
    match boundary {
        Some(boundary) => {
            let mut rest = body;
            while let Some(at) = find(rest, &boundary) {
                hasher.update(&rest[..at]);
                rest = &rest[at + boundary.len()..];
            }
            hasher.update(rest);
        }
        None => {
            hasher.update(body);
        }
    }
    hasher.finalize().to_hex().to_string()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A kept answer.
#[derive(Debug, sqlx::FromRow)]
struct Stored {
    fingerprint: String,
    status: Option<i64>,
    content_type: Option<String>,
    body: Option<String>,
    created_at: i64,
}

impl Stored {
    fn replay(self) -> Response {
        let status = self
            .status
            .and_then(|s| u16::try_from(s).ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK);
        let mut response = (status, self.body.unwrap_or_default()).into_response();
        let headers = response.headers_mut();
        if let Some(value) = self
            .content_type
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers.insert(REPLAYED, HeaderValue::from_static("true"));
        response
    }
}

enum Reserved {
    /// This request holds the key: run it.
    Ours,
    /// A request with this key was answered.
    Answered(Stored),
    /// A request with this key is being handled.
    InFlight { fingerprint: String },
}

/// Takes the key for this request, or says who has it.
async fn reserve(
    state: &AppState,
    account: &str,
    key: &str,
    print: &str,
) -> Result<Reserved, ApiError> {
    let now = db::now();
    for _ in 0..2 {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idem_key, fingerprint, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(account.to_owned())
        .bind(key.to_owned())
        .bind(print.to_owned())
        .bind(now)
        .execute(&state.db)
        .await;
        match inserted {
            Ok(_) => return Ok(Reserved::Ours),
            Err(e) if db::is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let stored: Option<Stored> = sqlx::query_as(
            "SELECT fingerprint, status, content_type, body, created_at FROM idempotency_keys \
             WHERE account_id = $1 AND idem_key = $2",
        )
        .bind(account.to_owned())
        .bind(key.to_owned())
        .fetch_optional(&state.db)
        .await?;
        let Some(stored) = stored else {
            // Freed meanwhile: take it.
            continue;
        };
        let age = now - stored.created_at;
        let expired = age >= secs(RETENTION);
        let abandoned = stored.status.is_none() && age >= secs(ABANDONED_AFTER);
        if expired || abandoned {
            release(state, account, key).await?;
            continue;
        }
        return Ok(match stored.status {
            Some(_) => Reserved::Answered(stored),
            None => Reserved::InFlight {
                fingerprint: stored.fingerprint,
            },
        });
    }
    Err(ApiError::Conflict(
        "a request with this Idempotency-Key is still being handled; retry shortly".to_owned(),
    ))
}

/// Keeps a successful answer for replay; frees the key after any other.
async fn keep(
    state: &AppState,
    account: &str,
    key: &str,
    response: Response,
) -> Result<Response, ApiError> {
    if !response.status().is_success() {
        release(state, account, key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_KEPT_ANSWER).await {
        Ok(bytes) => bytes,
        Err(error) => {
            release(state, account, key).await?;
            return Err(ApiError::internal(format!(
                "answer too large to keep: {error}"
            )));
        }
    };
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            sqlx::query(
                "UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3 \
                 WHERE account_id = $4 AND idem_key = $5",
            )
            .bind(i64::from(parts.status.as_u16()))
            .bind(content_type)
            .bind(text.to_owned())
            .bind(account.to_owned())
            .bind(key.to_owned())
            .execute(&state.db)
            .await?;
        }
        // Not text: answered, not kept.
        Err(_) => release(state, account, key).await?,
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

async fn release(state: &AppState, account: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2")
        .bind(account.to_owned())
        .bind(key.to_owned())
        .execute(&state.db)
        .await?;
    Ok(())
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_ignores_the_multipart_boundary_only() {
        let form = |b: &str| {
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"person\"\r\n\r\nPIXELS\r\n--{b}--\r\n"
            )
        };
        let print = |b: &str, body: &str| {
            let ct = HeaderValue::from_str(&format!("multipart/form-data; boundary={b}")).ok();
            fingerprint("POST", "/api/v1/tryon/upload", ct.as_ref(), body.as_bytes())
        };
        assert_eq!(print("abc123", &form("abc123")), print("zz9", &form("zz9")));
        assert_ne!(
            print("abc123", &form("abc123")),
            print("zz9", &form("zz9").replace("PIXELS", "OTHER"))
        );
        let json = |body: &str| fingerprint("POST", "/api/v1/tryon", None, body.as_bytes());
        assert_ne!(json(r#"{"a":1}"#), json(r#"{"a":2}"#));
        assert_ne!(
            fingerprint("POST", "/a", None, b"x"),
            fingerprint("POST", "/b", None, b"x")
        );
    }
}
