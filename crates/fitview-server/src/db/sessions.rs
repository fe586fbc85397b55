//! Browser sessions: a random cookie token names a server-side record (only its digest is
//! stored) holding the signed-in user, the form token and the chosen model.

use sqlx::AnyPool;

/// A session record.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct SessionRow {
    /// BLAKE3 digest of the cookie's token.
    pub token_hash: String,
    /// The signed-in user, if any.
    pub user_id: Option<String>,
    /// The token every form posted with this session must carry.
    pub csrf_token: String,
    /// The model the shopper picked.
    pub model_id: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// End of life (seconds since the epoch).
    pub expires_at: i64,
}

const COLUMNS: &str = "token_hash, user_id, csrf_token, model_id, created_at, expires_at";

/// Stores a new session.
pub async fn insert(pool: &AnyPool, s: &SessionRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO browser_sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(s.token_hash.clone())
    .bind(s.user_id.clone())
    .bind(s.csrf_token.clone())
    .bind(s.model_id.clone())
    .bind(s.created_at)
    .bind(s.expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The live session with this token digest (an expired one is not found).
pub async fn find(pool: &AnyPool, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM browser_sessions WHERE token_hash = $1 AND expires_at > $2"
    ))
    .bind(token_hash.to_owned())
    .bind(super::now())
    .fetch_optional(pool)
    .await
}

/// Remembers the shopper's model.
pub async fn set_model(
    pool: &AnyPool,
    token_hash: &str,
    model_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE browser_sessions SET model_id = $1 WHERE token_hash = $2")
        .bind(model_id.to_owned())
        .bind(token_hash.to_owned())
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends a session.
pub async fn delete(pool: &AnyPool, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM browser_sessions WHERE token_hash = $1")
        .bind(token_hash.to_owned())
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets sessions past their end; returns how many.
pub async fn delete_expired(pool: &AnyPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM browser_sessions WHERE expires_at <= $1")
        .bind(super::now())
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
