//! Per-retailer daily spend caps: what the provider calls made for a retailer's catalog cost,
//! per UTC day, provider and model (recorded from each result's usage), and the cap that stops
//! them. A retailer's cap is its own (set by an administrator) or else the server's
//! `--retailer-daily-budget-usd`; none means no cap.
//!
//! The cap is checked before a try-on is queued and again before its provider call is made, so
//! a retailer past its cap is refused before anything is spent (`budget_exceeded`, 402); calls
//! already running when the cap is reached still finish, so a day may pass the cap by the cost of
//! the calls in flight (at most the server's workers).

use chrono::Utc;
use serde::Serialize;
use sqlx::AnyPool;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Dollars to millionths, the unit stored.
pub fn micros(usd: f64) -> i64 {
    (usd * 1e6).round() as i64
}

fn usd(micros: i64) -> f64 {
    micros as f64 / 1e6
}

/// Today, UTC, as stored.
fn today() -> String {
    Utc::now().date_naive().to_string()
}

/// Adds the cost of one provider call made for `retailer`'s catalog to today's spend, logging
/// instead of failing: the call is made and paid for, its result must not be lost for a ledger
/// row.
pub async fn record_logged(
    db: &AnyPool,
    retailer: &str,
    provider: &str,
    model: &str,
    cost_usd: f64,
) {
    if let Err(error) = record(db, retailer, provider, model, cost_usd).await {
        tracing::error!(%error, retailer, provider, cost_usd, "cannot record a provider call's cost");
    }
}

/// Adds the cost of one provider call made for `retailer`'s catalog to today's spend.
pub async fn record(
    db: &AnyPool,
    retailer: &str,
    provider: &str,
    model: &str,
    cost_usd: f64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO retailer_spend (retailer_id, day, provider, model, spent_micros, calls) \
         VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (retailer_id, day, provider, model) DO UPDATE \
         SET spent_micros = retailer_spend.spent_micros + excluded.spent_micros, \
         calls = retailer_spend.calls + 1",
    )
    .bind(retailer.to_owned())
    .bind(today())
    .bind(provider.to_owned())
    .bind(model.to_owned())
    .bind(micros(cost_usd.max(0.0)))
    .execute(db)
    .await?;
    Ok(())
}

/// The retailer's cap in force, in millionths: its own, else the server's default.
async fn cap_of(state: &AppState, retailer: &str) -> Result<Option<i64>, sqlx::Error> {
    let own: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT daily_budget_micros FROM users WHERE id = $1")
            .bind(retailer.to_owned())
            .fetch_optional(&state.db)
            .await?;
    let default = state.config.retailer_daily_budget_usd.map(micros);
    Ok(own.and_then(|(cap,)| cap).or(default))
}

/// Refuses (402 `budget_exceeded`) when `retailer` has spent its cap today.
pub async fn check(state: &AppState, retailer: &str) -> ApiResult<()> {
    let Some(cap) = cap_of(state, retailer).await? else {
        return Ok(());
    };
    let (spent,): (Option<i64>,) = sqlx::query_as(
        "SELECT CAST(SUM(spent_micros) AS BIGINT) FROM retailer_spend WHERE retailer_id = $1 AND day = $2",
    )
    .bind(retailer.to_owned())
    .bind(today())
    .fetch_one(&state.db)
    .await?;
    let spent = spent.unwrap_or(0);
    if spent >= cap {
        state
            .metrics
            .budget_refusals
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(ApiError::Engine(fitview_engine::Error::BudgetExceeded {
            scope: "retailer daily".to_owned(),
            spent_usd: usd(spent),
            limit_usd: usd(cap),
        }));
    }
    Ok(())
}

/// Sets a retailer's own cap (`None`: the server's default).
pub async fn set_cap(
    db: &AnyPool,
    retailer: &str,
    cap_usd: Option<f64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET daily_budget_micros = $1 WHERE id = $2")
        .bind(cap_usd.map(micros))
        .bind(retailer.to_owned())
        .execute(db)
        .await?;
    Ok(())
}

/// One row of the spend ledger.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct SpendRow {
    /// The retailer whose catalog the calls were for.
    pub retailer_id: String,
    /// The UTC day (YYYY-MM-DD).
    pub day: String,
    /// The provider.
    pub provider: String,
    /// The provider's model.
    pub model: String,
    /// What the calls cost, in millionths of a US dollar.
    pub spent_micros: i64,
    /// Provider calls.
    pub calls: i64,
}

/// The ledger from `from` to `to` (inclusive days), for one retailer or all.
pub async fn ledger(
    db: &AnyPool,
    retailer: Option<&str>,
    from: &str,
    to: &str,
) -> Result<Vec<SpendRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT retailer_id, day, provider, model, spent_micros, calls FROM retailer_spend \
         WHERE day >= $1 AND day <= $2 AND ($3 = '' OR retailer_id = $3) \
         ORDER BY day, retailer_id, provider, model",
    )
    .bind(from.to_owned())
    .bind(to.to_owned())
    .bind(retailer.unwrap_or_default().to_owned())
    .fetch_all(db)
    .await
}
