//! Try-on jobs (a user's history), finished results and feedback.

use sqlx::AnyPool;

/// A try-on job record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    /// Id.
    pub id: String,
    /// Who asked.
    pub user_id: String,
    /// The model.
    pub model_id: String,
    /// The product.
    pub product_id: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// 1 when served from the cache.
    pub cached: i64,
    /// The engine's content key of the result.
    pub result_key: Option<String>,
    /// The result's images, as JSON.
    pub images: Option<String>,
    /// Stable error code when failed.
    pub error_code: Option<String>,
    /// Public error message when failed.
    pub error_message: Option<String>,
    /// The quality checks the result failed, as JSON (engine `Check`s); `None` when it passed.
    pub failed_checks: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

const COLUMNS: &str = "id, user_id, model_id, product_id, status, cached, result_key, images, \
                       error_code, error_message, failed_checks, created_at, updated_at";

/// Inserts a job.
pub async fn insert_job(pool: &AnyPool, job: &JobRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO tryon_jobs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(job.id.clone())
    .bind(job.user_id.clone())
    .bind(job.model_id.clone())
    .bind(job.product_id.clone())
    .bind(job.status.clone())
    .bind(job.cached)
    .bind(job.result_key.clone())
    .bind(job.images.clone())
    .bind(job.error_code.clone())
    .bind(job.error_message.clone())
    .bind(job.failed_checks.clone())
    .bind(job.created_at)
    .bind(job.updated_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The job with this id, if `user_id` (when given) owns it.
pub async fn get_job(
    pool: &AnyPool,
    id: &str,
    user_id: Option<&str>,
) -> Result<Option<JobRow>, sqlx::Error> {
    let mut c = super::Conditions::default();
    c.push("id = {}", super::Arg::Text(id.to_owned()));
    c.push_opt(
        "user_id = {}",
        user_id.map(|u| super::Arg::Text(u.to_owned())),
    );
    let sql = c.sql(&format!("SELECT {COLUMNS} FROM tryon_jobs"), "", None);
    c.bind(sqlx::query_as(&sql)).fetch_optional(pool).await
}

/// Marks a job running.
pub async fn mark_running(pool: &AnyPool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tryon_jobs SET status = 'running', updated_at = $1 WHERE id = $2")
        .bind(super::now())
        .bind(id.to_owned())
        .execute(pool)
        .await?;
    Ok(())
}

/// Marks a job succeeded with its result, and the quality checks it failed (JSON) if any.
pub async fn mark_succeeded(
    pool: &AnyPool,
    id: &str,
    result_key: &str,
    images: &str,
    failed_checks: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tryon_jobs SET status = 'succeeded', result_key = $1, images = $2, \
         failed_checks = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(result_key.to_owned())
    .bind(images.to_owned())
    .bind(failed_checks.map(str::to_owned))
    .bind(super::now())
    .bind(id.to_owned())
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks a job failed with a public error.
pub async fn mark_failed(
    pool: &AnyPool,
    id: &str,
    code: &str,
    message: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tryon_jobs SET status = 'failed', error_code = $1, error_message = $2, updated_at = $3 \
         WHERE id = $4",
    )
    .bind(code.to_owned())
    .bind(message.to_owned())
    .bind(super::now())
    .bind(id.to_owned())
    .execute(pool)
    .await?;
    Ok(())
}

/// Ids of try-on jobs accepted but not ended that have no row in the durable queue (accepted
/// by a server that died before queueing them, or by a version without the durable queue),
/// oldest first.
pub async fn unfinished_without_queue_job(pool: &AnyPool) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM tryon_jobs WHERE status IN ('queued', 'running') \
         AND NOT EXISTS (SELECT 1 FROM queue_jobs q WHERE q.id = tryon_jobs.id) \
         ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// A user's jobs, newest first.
pub async fn history(
    pool: &AnyPool,
    user_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<JobRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tryon_jobs WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
    ))
    .bind(user_id.to_owned())
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

/// The newest jobs made of `retailer_id`'s products, newest first.
pub async fn of_catalog(
    pool: &AnyPool,
    retailer_id: &str,
    limit: i64,
) -> Result<Vec<JobRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tryon_jobs WHERE product_id IN \
         (SELECT id FROM products WHERE retailer_id = $1) ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(retailer_id.to_owned())
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A finished result, by the server's cache key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResultRow {
    /// The engine's content key.
    pub result_key: String,
    /// The images, as JSON.
    pub images: String,
}

/// The stored result for a cache key.
pub async fn get_result(pool: &AnyPool, cache_key: &str) -> Result<Option<ResultRow>, sqlx::Error> {
    sqlx::query_as("SELECT result_key, images FROM tryon_results WHERE cache_key = $1")
        .bind(cache_key.to_owned())
        .fetch_optional(pool)
        .await
}

/// Forgets the stored results (try-ons and variations) with these result keys, e.g. once their
/// images are erased.
pub async fn delete_results(pool: &AnyPool, result_keys: &[String]) -> Result<(), sqlx::Error> {
    for key in result_keys {
        sqlx::query("DELETE FROM tryon_results WHERE result_key = $1")
            .bind(key.clone())
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Stores a result under a cache key (the first one written wins).
pub async fn put_result(
    pool: &AnyPool,
    cache_key: &str,
    row: &ResultRow,
) -> Result<(), sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO tryon_results (cache_key, result_key, images, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(cache_key.to_owned())
    .bind(row.result_key.clone())
    .bind(row.images.clone())
    .bind(super::now())
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if super::is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Feedback on a result.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedbackRow {
    /// Id.
    pub id: String,
    /// The job rated.
    pub job_id: String,
    /// Who rated.
    pub user_id: String,
    /// 1 to 5.
    pub rating: i64,
    /// Free text.
    pub comment: Option<String>,
    /// Creation time.
    pub created_at: i64,
}

/// Stores feedback.
pub async fn insert_feedback(pool: &AnyPool, f: &FeedbackRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO feedback (id, job_id, user_id, rating, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(f.id.clone())
    .bind(f.job_id.clone())
    .bind(f.user_id.clone())
    .bind(f.rating)
    .bind(f.comment.clone())
    .bind(f.created_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// A user's feedback, newest first.
pub async fn feedback_of_user(
    pool: &AnyPool,
    user_id: &str,
) -> Result<Vec<FeedbackRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, job_id, user_id, rating, comment, created_at FROM feedback WHERE user_id = $1 \
         ORDER BY created_at DESC, id",
    )
    .bind(user_id.to_owned())
    .fetch_all(pool)
    .await
}
