//! `GET /api/v1/admin/spend`: the provider spend ledger per retailer, UTC day, provider and model
//! (administrators only).

use axum::Json;
use axum::extract::State;
use chrono::{Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::spend::{self, SpendRow};
use crate::state::AppState;

/// Longest range one request reads.
const MAX_DAYS: u64 = 366;

/// Which days, and whose.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpendQuery {
    /// First day (YYYY-MM-DD, UTC); default 29 days before `to`.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, UTC); default today.
    pub to: Option<String>,
    /// One retailer only.
    pub retailer_id: Option<String>,
}

/// The ledger over the days asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpendReport {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Rows by day, retailer, provider and model.
    pub rows: Vec<SpendRow>,
    /// Their sum, in US dollars.
    pub total_usd: f64,
    /// The cap of retailers without one of their own, in US dollars (none: no cap).
    pub default_daily_budget_usd: Option<f64>,
}

fn day(field: &str, text: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(format!("`{field}` must be a date, YYYY-MM-DD")))
}

/// What provider calls cost, per retailer, day, provider and model.
#[utoipa::path(get, path = "/api/v1/admin/spend", tag = "admin", params(SpendQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The spend ledger", body = SpendReport),
        (status = 400, description = "A date that is not one, or a range over 366 days", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn ledger(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<SpendQuery>,
) -> ApiResult<Json<SpendReport>> {
    user.require(&[Role::Admin])?;
    let to = match &query.to {
        Some(text) => day("to", text)?,
        None => Utc::now().date_naive(),
    };
    let from = match &query.from {
        Some(text) => day("from", text)?,
        None => to.checked_sub_days(Days::new(29)).unwrap_or(to),
    };
    let span = (to - from).num_days();
    if span < 0 || span >= MAX_DAYS as i64 {
        return Err(ApiError::BadRequest(format!(
            "`from` must be on or before `to`, at most {MAX_DAYS} days before"
        )));
    }
    let (from, to) = (from.to_string(), to.to_string());
    let rows = spend::ledger(&state.db, query.retailer_id.as_deref(), &from, &to).await?;
    let total_micros: i64 = rows.iter().map(|r| r.spent_micros).sum();
    Ok(Json(SpendReport {
        from,
        to,
        rows,
        total_usd: total_micros as f64 / 1e6,
        default_daily_budget_usd: state.config.retailer_daily_budget_usd,
    }))
}
