//! The recommendation API: a shopper's measurements, the size to buy, what to try on next, and
//! the retailer's acceptance figures.

use axum::Json;
use axum::extract::State;
use chrono::Days;
use fitview_insights::recommend::size::measurements_from_json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::analytics::routes::{RangeQuery, Scope};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::recommend::acceptance::{self, Acceptance};
use crate::recommend::answers::{self, MAX_SUGGESTIONS};
use crate::recommend::measurements;
use crate::routes::products::visible;
use crate::state::AppState;

/// Body measurements in centimetres; at least one, each in (0, 300].
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct MeasurementsBody {
    /// Chest girth (`bust` is accepted for it).
    #[schema(exclusive_minimum = 0.0, maximum = 300.0)]
    pub chest: Option<f64>,
    /// Waist girth.
    #[schema(exclusive_minimum = 0.0, maximum = 300.0)]
    pub waist: Option<f64>,
    /// Hip girth.
    #[schema(exclusive_minimum = 0.0, maximum = 300.0)]
    pub hip: Option<f64>,
    /// Body height.
    #[schema(exclusive_minimum = 0.0, maximum = 300.0)]
    pub height: Option<f64>,
    /// Inside leg length.
    #[schema(exclusive_minimum = 0.0, maximum = 300.0)]
    pub inseam: Option<f64>,
}

/// Saves the caller's body measurements (replacing any saved before), for size recommendations.
#[utoipa::path(put, path = "/api/v1/me/measurements", tag = "recommendations",
    request_body = MeasurementsBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "The measurements saved, in centimetres", body = MeasurementsBody),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 422, description = "An unknown measurement or a value out of range (the field is named)", body = ErrorBody),
    ))]
pub async fn put_measurements(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let saved = measurements_from_json(&body.to_string())
        .map_err(|e| ApiError::Validation(format!("measurements: {e}")))?;
    measurements::save(&state.db, &user.id, &saved).await?;
    Ok(Json(measurements::to_json(&saved)))
}

/// The caller's saved body measurements.
#[utoipa::path(get, path = "/api/v1/me/measurements", tag = "recommendations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The measurements, in centimetres", body = MeasurementsBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "None saved", body = ErrorBody),
    ))]
pub async fn get_measurements(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Value>> {
    let saved = measurements::load(&state.db, &user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(measurements::to_json(&saved)))
}

/// A size and its confidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct SizeOptionView {
    /// The size label.
    pub size: String,
    /// In [0, 1].
    pub confidence: f64,
}

/// Which size to buy, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct SizeRecommendation {
    /// The recommended size.
    pub size: String,
    /// In [0, 1]: the size's probability times the weight of the data behind it.
    pub confidence: f64,
    /// Other sizes worth considering, most likely first.
    pub alternatives: Vec<SizeOptionView>,
    /// How the article fits ("Runs small: 30 of 40 buyers returned it as too small ...").
    pub fit_notes: Vec<String>,
    /// The layers that answered: `{"layer": "chart", "measurements": n}`, `{"layer":
    /// "article", "purchases": n}`, `{"layer": "shopper", "purchases": n}` or `{"layer":
    /// "popular", "kept": n}`.
    #[schema(value_type = Vec<Object>)]
    pub basis: Vec<Value>,
}

/// The size the caller should buy of a product: from their saved measurements against its size
/// chart, how the product fits (its returns as too small or too big) and what the caller kept
/// and returned before.
#[utoipa::path(get, path = "/api/v1/products/{id}/size-recommendation", tag = "recommendations",
    params(("id" = String, Path, description = "Product id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The recommended size", body = SizeRecommendation),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such product visible to the caller", body = ErrorBody),
        (status = 409, description = "`no_size_basis`: no size chart fitting the caller's measurements and no purchase history to go on", body = ErrorBody),
    ))]
pub async fn size_recommendation(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SizeRecommendation>> {
    let product = visible(&state, &user, &id).await?;
    let advice = answers::size_for(&state, &user.id, &product).await?;
    Ok(Json(SizeRecommendation {
        basis: advice
            .basis
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .map_err(ApiError::internal)?,
        size: advice.size,
        confidence: advice.confidence,
        alternatives: advice
            .alternatives
            .into_iter()
            .map(|o| SizeOptionView {
                size: o.size,
                confidence: o.confidence,
            })
            .collect(),
        fit_notes: advice.fit_notes,
    }))
}

/// What to suggest.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationsQuery {
    /// How many products (default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
    /// Products like this one ("you may also like") instead of the caller's own suggestions.
    pub product_id: Option<String>,
}

/// A suggested product.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendedProduct {
    /// Product id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its score (comparable within one answer only).
    pub score: f32,
    /// Why, in words ("Because you tried on Striped shirt").
    pub reason: String,
}

/// Suggested products, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recommendations {
    /// Best first; never out of stock, never one the caller bought.
    pub products: Vec<RecommendedProduct>,
}

/// What the caller may try on next, best first: from what they tried on, carted and bought
/// (and what other shoppers tried on with it), or like one product with `product_id`. Never a
/// product out of stock or one the caller already bought.
#[utoipa::path(get, path = "/api/v1/recommendations", tag = "recommendations",
    params(RecommendationsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "Suggested products", body = Recommendations),
        (status = 400, description = "A limit out of 1..=50", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such product visible to the caller", body = ErrorBody),
    ))]
pub async fn recommendations(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RecommendationsQuery>,
) -> ApiResult<Json<Recommendations>> {
    let limit = query.limit.unwrap_or(10) as usize;
    if !(1..=MAX_SUGGESTIONS).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_SUGGESTIONS}"
        )));
    }
    let near = match &query.product_id {
        Some(id) => Some(visible(&state, &user, id).await?),
        None => None,
    };
    let shown =
        answers::suggestions_for(&state, &user.id, user.catalog_scope(), near.as_ref(), limit)
            .await?;
    Ok(Json(Recommendations {
        products: shown
            .into_iter()
            .map(|s| RecommendedProduct {
                id: s.product.id,
                name: s.product.name,
                score: s.suggestion.score,
                reason: s.suggestion.reason,
            })
            .collect(),
    }))
}

/// The acceptance figures of a range.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptanceAnswer {
    /// The product, when one was asked about.
    pub product_id: Option<String>,
    /// First day.
    pub from: String,
    /// Last day (included).
    pub to: String,
    /// The figures.
    pub acceptance: Acceptance,
}

/// How shoppers follow size recommendations: the share of carts and purchases in the
/// recommended size after one was shown, and the return rates in and out of it.
#[utoipa::path(get, path = "/api/v1/analytics/recommendations", tag = "analytics",
    params(RangeQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "Acceptance of recommended sizes", body = AcceptanceAnswer),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "Not a retailer, or not a product of the caller's", body = ErrorBody),
        (status = 422, description = "A range out of bounds", body = ErrorBody),
    ))]
pub async fn acceptance_route(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Json<AcceptanceAnswer>> {
    let scope = Scope::of(&state, &user, &query).await?;
    let millis = |day: chrono::NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis())
    };
    let end = scope.to.checked_add_days(Days::new(1)).unwrap_or(scope.to);
    let rows = acceptance::load(
        &state.db,
        &scope.retailer,
        scope.product.as_deref(),
        (millis(scope.from), millis(end)),
    )
    .await?;
    Ok(Json(AcceptanceAnswer {
        product_id: scope.product,
        from: scope.from.to_string(),
        to: scope.to.to_string(),
        acceptance: acceptance::acceptance(&rows),
    }))
}
