//! The claim: one statement that picks the runnable job that has waited longest and leases it.
//!
//! Runnable means queued and due, or running under a lease that ran out (its worker died). The
//! `SET` expressions see the row as it was, so `reclaimed` records whether this claim took the
//! job over. PostgreSQL picks with `FOR UPDATE SKIP LOCKED`: concurrent claims by many servers
//! each get a different job without waiting; SQLite runs one writer at a time, so the same
//! statement is atomic without it.

use sqlx::AnyPool;

use super::{Claimed, Dialect};

/// Leases the next runnable job of `kinds` to `worker` until `until_ms`, at `now_ms`.
pub(super) async fn claim(
    pool: &AnyPool,
    dialect: Dialect,
    worker: &str,
    kinds: &[&str],
    now_ms: i64,
    until_ms: i64,
) -> Result<Option<Claimed>, sqlx::Error> {
    if kinds.is_empty() {
        return Ok(None);
    }
    let sql = statement(dialect, kinds.len());
    let mut query = sqlx::query_as(&sql)
        .bind(worker.to_owned())
        .bind(until_ms)
        .bind(now_ms);
    for kind in kinds {
        query = query.bind((*kind).to_owned());
    }
    query.fetch_optional(pool).await
}

/// The claim statement for `kinds` kinds (placeholders `$4` onwards).
fn statement(dialect: Dialect, kinds: usize) -> String {
    let placeholders: Vec<String> = (0..kinds).map(|i| format!("${}", i + 4)).collect();
    let skip_locked = match dialect {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    format!(
        "UPDATE queue_jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
         locked_until_ms = $2, updated_at_ms = $3, \
         reclaimed = CASE WHEN status = 'running' THEN 1 ELSE 0 END \
         WHERE id = (SELECT id FROM queue_jobs WHERE kind IN ({kinds}) AND \
         ((status = 'queued' AND run_after_ms <= $3) OR \
         (status = 'running' AND locked_until_ms <= $3)) \
         ORDER BY run_after_ms, created_at_ms, id LIMIT 1{skip_locked}) \
         RETURNING id, kind, payload, attempts, max_attempts, reclaimed",
        kinds = placeholders.join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_skips_locked_rows() {
        assert!(statement(Dialect::Postgres, 1).contains("FOR UPDATE SKIP LOCKED"));
        assert!(!statement(Dialect::Sqlite, 1).contains("FOR UPDATE"));
        assert!(statement(Dialect::Sqlite, 2).contains("kind IN ($4, $5)"));
    }
}
