//! Users and their refresh tokens.

use sqlx::AnyPool;

/// A user record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    /// Id.
    pub id: String,
    /// Email, lowercased.
    pub email: Option<String>,
    /// Phone number, digits and a leading `+` only.
    pub phone: Option<String>,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Role name.
    pub role: String,
    /// Shown name.
    pub display_name: Option<String>,
    /// 1 when disabled by an admin.
    pub disabled: i64,
    /// Creation time.
    pub created_at: i64,
}

const USER_COLUMNS: &str =
    "id, email, phone, password_hash, role, display_name, disabled, created_at";

/// Inserts a user.
pub async fn insert(pool: &AnyPool, user: &UserRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, email, phone, password_hash, role, display_name, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(user.id.clone())
    .bind(user.email.clone())
    .bind(user.phone.clone())
    .bind(user.password_hash.clone())
    .bind(user.role.clone())
    .bind(user.display_name.clone())
    .bind(user.disabled)
    .bind(user.created_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The user with this email or phone.
pub async fn find_by_login(
    pool: &AnyPool,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<Option<UserRow>, sqlx::Error> {
    let (column, value) = match (email, phone) {
        (Some(email), _) => ("email", email),
        (None, Some(phone)) => ("phone", phone),
        (None, None) => return Ok(None),
    };
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {column} = $1"
    ))
    .bind(value.to_owned())
    .fetch_optional(pool)
    .await
}

/// The user with this id.
pub async fn find(pool: &AnyPool, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id.to_owned())
        .fetch_optional(pool)
        .await
}

/// The role and `disabled` flag of the user with this id.
pub async fn status(pool: &AnyPool, id: &str) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT role, disabled FROM users WHERE id = $1")
        .bind(id.to_owned())
        .fetch_optional(pool)
        .await
}

/// Users with this role, oldest first.
pub async fn list_by_role(
    pool: &AnyPool,
    role: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE role = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3"
    ))
    .bind(role.to_owned())
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

/// Disables or enables a user with this role; false when there is none.
pub async fn set_disabled(
    pool: &AnyPool,
    id: &str,
    role: &str,
    disabled: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2 AND role = $3")
        .bind(i64::from(disabled))
        .bind(id.to_owned())
        .bind(role.to_owned())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a user; their tokens, catalog, jobs and feedback go with them (foreign keys cascade).
pub async fn delete(pool: &AnyPool, id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // Explicit deletes as well as the cascades, so SQLite files created without foreign keys
    // enforced lose the same rows.
    for sql in [
        "DELETE FROM feedback WHERE user_id = $1",
        "DELETE FROM feedback WHERE job_id IN (SELECT id FROM tryon_jobs WHERE user_id = $1)",
        "DELETE FROM tryon_jobs WHERE user_id = $1",
        "DELETE FROM refresh_tokens WHERE user_id = $1",
        "DELETE FROM browser_sessions WHERE user_id = $1",
        "DELETE FROM cart_lines WHERE user_id = $1",
        "DELETE FROM shopper_measurements WHERE user_id = $1",
        "DELETE FROM cart_lines WHERE product_id IN (SELECT id FROM products WHERE retailer_id = $1)",
        "DELETE FROM order_lines WHERE order_id IN \
         (SELECT id FROM orders WHERE user_id = $1 OR retailer_id = $1)",
        "DELETE FROM orders WHERE user_id = $1 OR retailer_id = $1",
        "DELETE FROM product_search WHERE product_id IN (SELECT id FROM products WHERE retailer_id = $1)",
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT d.id FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.retailer_id = $1)",
        "DELETE FROM webhook_deliveries WHERE endpoint_id IN \
         (SELECT id FROM webhook_endpoints WHERE retailer_id = $1)",
        "DELETE FROM webhook_endpoints WHERE retailer_id = $1",
        "DELETE FROM models WHERE retailer_id = $1",
        "DELETE FROM products WHERE retailer_id = $1",
    ] {
        sqlx::query(sql)
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
    }
    let done = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// A refresh token record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    /// Id.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Expiry time.
    pub expires_at: i64,
    /// When it was revoked or used.
    pub revoked_at: Option<i64>,
}

/// Stores a refresh token's digest.
pub async fn insert_refresh(
    pool: &AnyPool,
    user_id: &str,
    digest: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(super::new_id())
    .bind(user_id.to_owned())
    .bind(digest.to_owned())
    .bind(expires_at)
    .bind(super::now())
    .execute(pool)
    .await?;
    Ok(())
}

/// The refresh token with this digest.
pub async fn find_refresh(pool: &AnyPool, digest: &str) -> Result<Option<RefreshRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, expires_at, revoked_at FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(digest.to_owned())
    .fetch_optional(pool)
    .await
}

/// Revokes one refresh token; false if it was already revoked (so a token is used only once).
pub async fn revoke_refresh(pool: &AnyPool, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(super::now())
    .bind(id.to_owned())
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Revokes every refresh token of a user.
pub async fn revoke_all_refresh(pool: &AnyPool, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(super::now())
    .bind(user_id.to_owned())
    .execute(pool)
    .await?;
    Ok(())
}
