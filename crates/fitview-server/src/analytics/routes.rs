//! The analytics API: `POST /api/v1/events` for shoppers and retailers, and the retailer's
//! figures of its own catalog (another retailer, a shopper or an administrator gets 404).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Days, NaiveDate, Utc};
use fitview_insights::aggregate::{self, Rollup, week_start, weekly_units};
use fitview_insights::forecast::{Forecast, forecast};
use fitview_insights::{EventKind, FunnelStep, funnel_steps as funnel_steps_of};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::funnel_table::{self, HORIZON_DAYS};
use super::store::{self, Detail};
use super::{BatchError, check_batch};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

/// What a client is told to wait when the buffer is full.
const BUFFER_FULL_RETRY: Duration = Duration::from_secs(1);
/// Longest range of days one request reads.
const MAX_RANGE_DAYS: u64 = 2 * 366;
/// Days read when the request names no `from`.
pub const DEFAULT_RANGE_DAYS: u64 = 30;

/// A batch of events.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EventsBody {
    /// The events (at most the configured batch size, 500 by default), each an object with
    /// `id` (UUID), `type`, `product_id` and the optional `occurred_at`, `model_id`, `size`,
    /// `quantity`, `value_cents`, `currency`, `session_id`, `user_id` and `reason`; docs/analytics.md.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
}

/// What became of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsAnswer {
    /// Events kept (a resent id is kept and then changes nothing).
    pub accepted: usize,
    /// The refused events, each with its index, field and reason.
    pub errors: Vec<BatchError>,
}

/// Records a batch of events: 202 with the errors of the refused ones (the others are kept);
/// 429 with `Retry-After` when the buffer is full (nothing kept; send the batch again).
#[utoipa::path(post, path = "/api/v1/events", tag = "analytics", request_body = EventsBody,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Replays the first answer for 24 h when the same key and body come again")),
    responses(
        (status = 202, description = "The batch was taken; refused events are listed", body = EventsAnswer),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is still running", body = ErrorBody),
        (status = 422, description = "Too many events, or this Idempotency-Key came with another body", body = ErrorBody),
        (status = 429, description = "The event buffer is full: send the batch again after Retry-After", body = ErrorBody),
    ))]
pub async fn post_events(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<EventsBody>,
) -> ApiResult<(StatusCode, Json<EventsAnswer>)> {
    let max = state.analytics.settings().max_batch;
    if body.events.len() > max {
        return Err(ApiError::Validation(format!(
            "at most {max} events per batch"
        )));
    }
    let (good, errors) = check_batch(&state, &user, body.events, Utc::now()).await?;
    let accepted = good.len();
    state
        .analytics
        .submit(good)
        .map_err(|_| ApiError::RateLimited {
            retry_after: BUFFER_FULL_RETRY,
        })?;
    Ok((
        StatusCode::ACCEPTED,
        Json(EventsAnswer { accepted, errors }),
    ))
}

/// The range and product of a retailer's request.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// One product of the caller's; the whole catalog without.
    pub product_id: Option<String>,
    /// First day (YYYY-MM-DD, UTC); 30 days before `to` without. At most two years before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, included; today without.
    #[param(format = Date)]
    pub to: Option<String>,
    /// The funnel's conversion window in days (1 to 90, default 7).
    #[param(minimum = 1, maximum = 90)]
    pub window_days: Option<u32>,
    /// Weeks to forecast (1 to 52, default 8).
    #[param(minimum = 1, maximum = 52)]
    pub weeks: Option<u32>,
}

/// A checked request: the retailer, its product if any, and the days.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The retailer (the caller).
    pub retailer: String,
    /// One of its products.
    pub product: Option<String>,
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
}

fn day(text: &str, field: &str) -> ApiResult<NaiveDate> {
    text.parse()
        .map_err(|_| ApiError::BadRequest(format!("{field}: expected a date YYYY-MM-DD")))
}

impl Scope {
    /// Only a retailer sees analytics, and only of its own products (404 otherwise).
    pub async fn of(state: &AppState, user: &AuthUser, query: &RangeQuery) -> ApiResult<Scope> {
        if user.role != Role::Retailer {
            return Err(ApiError::NotFound);
        }
        if let Some(product) = &query.product_id {
            crate::routes::products::visible(state, user, product).await?;
        }
        let to = match &query.to {
            Some(text) => day(text, "to")?,
            None => Utc::now().date_naive(),
        };
        let from = match &query.from {
            Some(text) => day(text, "from")?,
            None => to - Days::new(DEFAULT_RANGE_DAYS - 1),
        };
        if from > to {
            return Err(ApiError::Validation("from must not be after to".to_owned()));
        }
        if to - Days::new(MAX_RANGE_DAYS) > from {
            return Err(ApiError::Validation(format!(
                "at most {MAX_RANGE_DAYS} days per request"
            )));
        }
        Ok(Scope {
            retailer: user.id.clone(),
            product: query.product_id.clone(),
            from,
            to,
        })
    }

    fn cache_key(&self, what: &str, extra: u32) -> String {
        format!(
            "{what}|{}|{}|{}|{extra}",
            self.product.as_deref().unwrap_or(""),
            self.from,
            self.to
        )
    }

    /// The scope's rollups, summed down to `detail`.
    pub async fn rollups(&self, state: &AppState, detail: Detail) -> ApiResult<Vec<Rollup>> {
        Ok(store::rollups(
            &state.db,
            &self.retailer,
            self.product.as_deref(),
            (self.from, self.to),
            detail,
        )
        .await?)
    }

    fn echo(&self) -> Value {
        json!({"product_id": self.product, "from": self.from.to_string(), "to": self.to.to_string()})
    }
}

/// Answers from the cache, or computes, keeps and answers.
async fn cached<F>(
    state: &AppState,
    scope: &Scope,
    key: String,
    compute: F,
) -> ApiResult<Json<Value>>
where
    F: AsyncFnOnce() -> ApiResult<Value>,
{
    let cache = &state.analytics.cache;
    if let Some(answer) = cache.get(&scope.retailer, &key).await {
        return Ok(Json((*answer).clone()));
    }
    let mut answer = compute().await?;
    if let (Value::Object(map), Value::Object(echo)) = (&mut answer, scope.echo()) {
        map.extend(echo);
    }
    cache
        .put(&scope.retailer, &key, Arc::new(answer.clone()))
        .await;
    Ok(Json(answer))
}

/// The funnel view → try-on → cart → purchase: distinct shoppers reaching each step in order
/// within the window, with the conversion between steps.
#[utoipa::path(get, path = "/api/v1/analytics/funnel", tag = "analytics", params(RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{window_days, steps: [{event, count, conversion_from_previous, conversion_from_first}]}`", body = Object),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "Not a retailer, or not a product of the caller's", body = ErrorBody),
        (status = 422, description = "A range or window out of bounds", body = ErrorBody),
    ))]
pub async fn funnel_route(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let scope = Scope::of(&state, &user, &query).await?;
    let window_days = query.window_days.unwrap_or(7);
    if !(1..=HORIZON_DAYS).contains(&window_days) {
        return Err(ApiError::Validation(format!(
            "window_days must be 1 to {HORIZON_DAYS}"
        )));
    }
    let key = scope.cache_key("funnel", window_days);
    cached(&state, &scope, key, async || {
        let steps = funnel_steps(&state, &scope, window_days).await?;
        Ok(json!({"window_days": window_days, "steps": steps}))
    })
    .await
}

/// The default funnel of `scope`: distinct shoppers who entered it on a day of the range, per
/// step reached within `window_days` (from the funnel table, not the raw events).
pub async fn funnel_steps(
    state: &AppState,
    scope: &Scope,
    window_days: u32,
) -> ApiResult<Vec<FunnelStep>> {
    let reached = funnel_table::reached(
        &state.db,
        &scope.retailer,
        scope.product.as_deref(),
        (scope.from, scope.to),
        chrono::Duration::days(i64::from(window_days)),
    )
    .await?;
    Ok(funnel_steps_of(&EventKind::DEFAULT_FUNNEL, &reached))
}

/// Try-ons, carts, purchases and conversion per product.
#[utoipa::path(get, path = "/api/v1/analytics/products", tag = "analytics", params(RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{products: [{product_id, views, tryons, cart_units, purchased_units, returned_units, revenue_cents, ...}]}`", body = Object),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "Not a retailer, or not a product of the caller's", body = ErrorBody),
        (status = 422, description = "A range or window out of bounds", body = ErrorBody),
    ))]
pub async fn products(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let scope = Scope::of(&state, &user, &query).await?;
    cached(&state, &scope, scope.cache_key("products", 0), async || {
        Ok(json!({"products": aggregate::products(&scope.rollups(&state, Detail::PRODUCT).await?)}))
    })
    .await
}

/// Try-ons and conversion per model: which bodies shoppers choose.
#[utoipa::path(get, path = "/api/v1/analytics/models", tag = "analytics", params(RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{models: [...]}`: try-ons and conversion per model", body = Object),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "Not a retailer, or not a product of the caller's", body = ErrorBody),
        (status = 422, description = "A range or window out of bounds", body = ErrorBody),
    ))]
pub async fn models(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let scope = Scope::of(&state, &user, &query).await?;
    cached(&state, &scope, scope.cache_key("models", 0), async || {
        Ok(json!({"models": aggregate::models(&scope.rollups(&state, Detail::MODEL).await?)}))
    })
    .await
}

/// Carts, purchases and returns per size, with the return reasons.
#[utoipa::path(get, path = "/api/v1/analytics/sizes", tag = "analytics", params(RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{sizes: [...]}`: carts, purchases and returns per size with the reasons", body = Object),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "Not a retailer, or not a product of the caller's", body = ErrorBody),
        (status = 422, description = "A range or window out of bounds", body = ErrorBody),
    ))]
pub async fn sizes(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let scope = Scope::of(&state, &user, &query).await?;
    cached(&state, &scope, scope.cache_key("sizes", 0), async || {
        Ok(json!({"sizes": aggregate::sizes(&scope.rollups(&state, Detail::SIZE).await?)}))
    })
    .await
}

/// Try-ons per day: requested, completed, failed, failure rate and provider cost.
#[utoipa::path(get, path = "/api/v1/analytics/tryons", tag = "analytics", params(RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{days: [...]}`: try-ons per day, failure rate and provider cost", body = Object),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "Not a retailer, or not a product of the caller's", body = ErrorBody),
        (status = 422, description = "A range or window out of bounds", body = ErrorBody),
    ))]
pub async fn tryons(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let scope = Scope::of(&state, &user, &query).await?;
    cached(&state, &scope, scope.cache_key("tryons", 0), async || {
        Ok(json!({"days": aggregate::days(&scope.rollups(&state, Detail::DAY).await?)}))
    })
    .await
}

/// One product's weekly units so far and their forecast.
#[derive(Debug, Clone)]
pub struct ProductForecast {
    /// The product.
    pub product_id: String,
    /// Monday of the first forecast week (the current week).
    pub this_week: NaiveDate,
    /// Units sold per whole week before it, oldest first.
    pub history: Vec<f64>,
    /// The forecast from `this_week` on.
    pub forecast: Forecast,
}

impl ProductForecast {
    /// Reads the product's whole weeks of sales and forecasts `weeks` more.
    pub async fn of(
        state: &AppState,
        retailer: &str,
        product: &str,
        weeks: u32,
        today: NaiveDate,
    ) -> ApiResult<ProductForecast> {
        // Whole weeks only: the current week is the first forecast one.
        let this_week = week_start(today);
        let last_full = this_week - Days::new(1);
        let history = match store::first_day(&state.db, retailer, product).await? {
            Some(first) if first <= last_full => {
                let range = (first, last_full);
                let rows =
                    store::rollups(&state.db, retailer, Some(product), range, Detail::DAY).await?;
                weekly_units(&rows, first, last_full)
            }
            _ => Vec::new(),
        };
        let forecast = forecast(&history, weeks as usize);
        Ok(ProductForecast {
            product_id: product.to_owned(),
            this_week,
            history,
            forecast,
        })
    }

    /// Monday of forecast week `i` (0 is the current week).
    pub fn week(&self, i: usize) -> NaiveDate {
        self.this_week + Days::new(7 * i as u64)
    }

    /// The forecast as the API shows it.
    pub fn to_json(&self) -> Value {
        let f = &self.forecast;
        let points: Vec<Value> = f
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                json!({"week_start": self.week(i).to_string(), "units": p.units, "low": p.low, "high": p.high})
            })
            .collect();
        json!({
            "product_id": self.product_id,
            "history_weeks": self.history.len(),
            "demand": f.demand,
            "method": f.method,
            "points": points,
            "backtest": f.backtest,
        })
    }
}

/// Weekly demand forecast of one product, with its backtest against seasonal naive.
#[utoipa::path(get, path = "/api/v1/analytics/forecast", tag = "analytics", params(RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{product_id, history_weeks, demand, method, points, backtest}` (needs `product_id`)", body = Object),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "Not a retailer, or not a product of the caller's", body = ErrorBody),
        (status = 422, description = "A range or window out of bounds", body = ErrorBody),
    ))]
pub async fn forecast_route(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    if query.product_id.is_none() && user.role == Role::Retailer {
        return Err(ApiError::BadRequest("product_id is required".to_owned()));
    }
    let scope = Scope::of(&state, &user, &query).await?;
    let product = scope.product.clone().ok_or(ApiError::NotFound)?;
    let weeks = query.weeks.unwrap_or(8);
    if !(1..=52).contains(&weeks) {
        return Err(ApiError::Validation("weeks must be 1 to 52".to_owned()));
    }
    let today = Utc::now().date_naive();
    let key = format!("forecast|{product}|{today}|{weeks}");
    let answer = cached(&state, &scope, key, async || {
        Ok(
            ProductForecast::of(&state, &scope.retailer, &product, weeks, today)
                .await?
                .to_json(),
        )
    })
    .await?;
    // The forecast reads its own history, not the request's range.
    let Json(mut answer) = answer;
    if let Value::Object(map) = &mut answer {
        map.remove("from");
        map.remove("to");
    }
    Ok(Json(answer))
}
