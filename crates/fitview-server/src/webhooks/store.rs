//! The webhook tables (migration 0009): endpoints, deliveries and their attempts.

use sqlx::AnyPool;

/// An endpoint as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    /// Id (`ep_…`).
    pub id: String,
    /// The retailer it belongs to.
    pub retailer_id: String,
    /// Where deliveries go.
    pub url: String,
    /// The retailer's note.
    pub description: Option<String>,
    /// Event types, comma-separated.
    pub events: String,
    /// The signing secret.
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_until_ms`.
    pub previous_secret: Option<String>,
    /// When the previous secret stops signing.
    pub previous_until_ms: Option<i64>,
    /// Why it no longer receives (NULL while enabled).
    pub disabled_reason: Option<String>,
    /// Created.
    pub created_at_ms: i64,
}

impl EndpointRow {
    /// The event types it receives.
    pub fn event_types(&self) -> impl Iterator<Item = &str> {
        self.events.split(',').filter(|e| !e.is_empty())
    }

    /// The secrets that sign a delivery at `now_ms`: the current one, and the previous one
    /// during its grace period.
    pub fn signing_secrets(&self, now_ms: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_until_ms)
            && now_ms < until
        {
            secrets.push(previous);
        }
        secrets
    }
}

const ENDPOINT_COLUMNS: &str = "id, retailer_id, url, description, events, secret, \
    previous_secret, previous_until_ms, disabled_reason, created_at_ms";

/// Stores a new endpoint.
pub async fn insert_endpoint(pool: &AnyPool, row: &EndpointRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, retailer_id, url, description, events, secret, \
         created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(row.id.clone())
    .bind(row.retailer_id.clone())
    .bind(row.url.clone())
    .bind(row.description.clone())
    .bind(row.events.clone())
    .bind(row.secret.clone())
    .bind(row.created_at_ms)
    .execute(pool)
    .await?;
    Ok(())
}

/// The endpoint `id`, if it belongs to `retailer` (any retailer's when `None`).
pub async fn endpoint(
    pool: &AnyPool,
    id: &str,
    retailer: Option<&str>,
) -> Result<Option<EndpointRow>, sqlx::Error> {
    let row: Option<EndpointRow> = sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
    ))
    .bind(id.to_owned())
    .fetch_optional(pool)
    .await?;
    Ok(row.filter(|r| retailer.is_none_or(|owner| r.retailer_id == owner)))
}

/// A retailer's endpoints, oldest first.
pub async fn endpoints_of(pool: &AnyPool, retailer: &str) -> Result<Vec<EndpointRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE retailer_id = $1 \
         ORDER BY created_at_ms, id"
    ))
    .bind(retailer.to_owned())
    .fetch_all(pool)
    .await
}

/// Deletes an endpoint of `retailer` with its deliveries; `false` when there was none.
pub async fn delete_endpoint(
    pool: &AnyPool,
    id: &str,
    retailer: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // Explicit as well as the cascades, for SQLite files without foreign keys enforced.
    sqlx::query(
        "DELETE FROM webhook_attempts WHERE delivery_id IN \
         (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
    )
    .bind(id.to_owned())
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND retailer_id = $2")
        .bind(id.to_owned())
        .bind(retailer.to_owned())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the secret; the old one keeps signing until `previous_until_ms`.
pub async fn rotate_secret(
    pool: &AnyPool,
    id: &str,
    secret: &str,
    previous_until_ms: i64,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_until_ms = $1, \
         secret = $2, updated_at_ms = $3 WHERE id = $4",
    )
    .bind(previous_until_ms)
    .bind(secret.to_owned())
    .bind(now_ms)
    .bind(id.to_owned())
    .execute(pool)
    .await?;
    Ok(())
}

/// Stops deliveries to an endpoint, saying why.
pub async fn disable(
    pool: &AnyPool,
    id: &str,
    reason: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_endpoints SET disabled_reason = $1, updated_at_ms = $2 WHERE id = $3",
    )
    .bind(reason.to_owned())
    .bind(now_ms)
    .bind(id.to_owned())
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores an endpoint's URL, events, note and enabled state.
pub async fn update_endpoint(
    pool: &AnyPool,
    row: &EndpointRow,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_endpoints SET url = $1, events = $2, description = $3, \
         disabled_reason = $4, updated_at_ms = $5 WHERE id = $6",
    )
    .bind(row.url.clone())
    .bind(row.events.clone())
    .bind(row.description.clone())
    .bind(row.disabled_reason.clone())
    .bind(now_ms)
    .bind(row.id.clone())
    .execute(pool)
    .await?;
    Ok(())
}

/// A delivery as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    /// Id (`dlv_…`), also the id of its queue job.
    pub id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The `webhook-id` header.
    pub message_id: String,
    /// The event type.
    pub event_type: String,
    /// The exact body sent.
    pub payload: String,
    /// `pending`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// Created.
    pub created_at_ms: i64,
    /// When it ended.
    pub ended_at_ms: Option<i64>,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, message_id, event_type, payload, status, \
    attempts, last_error, created_at_ms, ended_at_ms";

/// Stores a pending delivery unless this message was already given to this endpoint; returns
/// whether it was new.
pub async fn insert_delivery(pool: &AnyPool, row: &DeliveryRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, message_id, event_type, payload, \
         status, attempts, created_at_ms) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6) \
         ON CONFLICT (endpoint_id, message_id) DO NOTHING",
    )
    .bind(row.id.clone())
    .bind(row.endpoint_id.clone())
    .bind(row.message_id.clone())
    .bind(row.event_type.clone())
    .bind(row.payload.clone())
    .bind(row.created_at_ms)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The delivery `id`.
pub async fn delivery(pool: &AnyPool, id: &str) -> Result<Option<DeliveryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
    ))
    .bind(id.to_owned())
    .fetch_optional(pool)
    .await
}

/// An endpoint's latest deliveries, newest first.
pub async fn deliveries_of(
    pool: &AnyPool,
    endpoint: &str,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 \
         ORDER BY created_at_ms DESC, id DESC LIMIT $2"
    ))
    .bind(endpoint.to_owned())
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Pending deliveries that have no queue job (the server stopped between the two inserts).
pub async fn pending_without_job(pool: &AnyPool) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM webhook_deliveries d WHERE status = 'pending' \
         AND NOT EXISTS (SELECT 1 FROM queue_jobs q WHERE q.id = d.id)",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Records how a delivery ended (`succeeded`, `failed` or `cancelled`).
pub async fn end_delivery(
    pool: &AnyPool,
    id: &str,
    status: &str,
    error: Option<&str>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, last_error = COALESCE($2, last_error), \
         ended_at_ms = $3 WHERE id = $4",
    )
    .bind(status.to_owned())
    .bind(error.map(str::to_owned))
    .bind(now_ms)
    .bind(id.to_owned())
    .execute(pool)
    .await?;
    Ok(())
}

/// One attempt of a delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    /// The delivery.
    pub delivery_id: String,
    /// 1 for the first.
    pub attempt: i64,
    /// When it started.
    pub at_ms: i64,
    /// The receiver's status, if it answered.
    pub status_code: Option<i64>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
    /// The start of the answer's body.
    pub response_excerpt: Option<String>,
}

/// Records an attempt (replacing a record of the same attempt made by a worker that died) and
/// counts it on its delivery.
pub async fn record_attempt(pool: &AnyPool, row: &AttemptRow) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery_id, attempt, at_ms, status_code, error, \
         duration_ms, response_excerpt) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (delivery_id, attempt) DO UPDATE SET at_ms = excluded.at_ms, \
         status_code = excluded.status_code, error = excluded.error, \
         duration_ms = excluded.duration_ms, response_excerpt = excluded.response_excerpt",
    )
    .bind(row.delivery_id.clone())
    .bind(row.attempt)
    .bind(row.at_ms)
    .bind(row.status_code)
    .bind(row.error.clone())
    .bind(row.duration_ms)
    .bind(row.response_excerpt.clone())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE webhook_deliveries SET attempts = $1, last_error = $2 WHERE id = $3")
        .bind(row.attempt)
        .bind(row.error.clone())
        .bind(row.delivery_id.clone())
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// The attempts of these deliveries, in order.
pub async fn attempts_of(
    pool: &AnyPool,
    deliveries: &[String],
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    let mut all = Vec::new();
    // A page of deliveries is small (at most the page size): one query each keeps the SQL
    // portable without an IN list.
    for id in deliveries {
        let rows: Vec<AttemptRow> = sqlx::query_as(
            "SELECT delivery_id, attempt, at_ms, status_code, error, duration_ms, \
             response_excerpt FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt",
        )
        .bind(id.clone())
        .fetch_all(pool)
        .await?;
        all.extend(rows);
    }
    Ok(all)
}
