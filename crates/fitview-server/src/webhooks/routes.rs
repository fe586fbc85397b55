//! A retailer's webhook endpoints: register (the secret is shown once), list, change, delete,
//! rotate the secret, send a test event, and read the recent deliveries with every attempt.
//! Another retailer's endpoint is 404; shoppers and administrators get 403.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::store::{self, AttemptRow, DeliveryRow, EndpointRow};
use super::{EVENT_TYPES, address, rfc3339, signature};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::text::{self, Lines};

/// Longest description.
const MAX_DESCRIPTION_CHARS: usize = 200;
/// Deliveries listed at most.
const MAX_DELIVERIES: u32 = 100;

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where deliveries are POSTed: `https`, on a public address.
    #[schema(max_length = 2048, example = "https://hooks.example.com/fitview")]
    pub url: String,
    /// The event types to receive (`tryon.completed`, `tryon.failed`).
    #[schema(min_items = 1)]
    pub events: Vec<String>,
    /// A note for the retailer.
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

/// Changes to an endpoint; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointChange {
    /// A new URL (checked like a new endpoint's).
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    /// New event types.
    #[schema(min_items = 1)]
    pub events: Option<Vec<String>>,
    /// A new note.
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// `true` lets a disabled endpoint (410 from its receiver) receive again; `false` stops it.
    pub enabled: Option<bool>,
}

/// An endpoint, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    /// Id.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types it receives.
    pub events: Vec<String>,
    /// The retailer's note.
    pub description: Option<String>,
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// Why it was disabled, if it is.
    pub disabled_reason: Option<String>,
    /// When it was registered (RFC 3339).
    pub created_at: String,
}

/// A new endpoint with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// The signing secret (`whsec_…`): verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

/// A new secret after a rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    /// The new secret, shown this once.
    pub secret: String,
    /// Until when deliveries are also signed with the previous secret (RFC 3339).
    pub previous_valid_until: String,
}

/// The retailer's endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    /// Oldest first.
    pub endpoints: Vec<EndpointView>,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// 1 for the first.
    pub attempt: i64,
    /// When it was made (RFC 3339).
    pub at: String,
    /// The receiver's status, if it answered.
    pub status_code: Option<i64>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: i64,
    /// The start of the receiver's answer.
    pub response_excerpt: Option<String>,
}

/// One event sent to the endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Id.
    pub id: String,
    /// The `webhook-id` header it is sent with.
    pub message_id: String,
    /// The event type.
    pub event_type: String,
    /// `pending`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// The body sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// When the event happened (RFC 3339).
    pub created_at: String,
    /// When the delivery ended, if it did.
    pub ended_at: Option<String>,
    /// Every attempt, in order.
    pub attempts: Vec<AttemptView>,
}

/// Recent deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub deliveries: Vec<DeliveryView>,
}

/// How many deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// At most this many (default 20; more than 100 lists 100).
    #[param(minimum = 1)]
    pub limit: Option<u32>,
}

fn view(row: &EndpointRow) -> EndpointView {
    EndpointView {
        id: row.id.clone(),
        url: row.url.clone(),
        events: row.event_types().map(str::to_owned).collect(),
        description: row.description.clone(),
        enabled: row.disabled_reason.is_none(),
        disabled_reason: row.disabled_reason.clone(),
        created_at: rfc3339(row.created_at_ms),
    }
}

/// The URL, checked for shape and destination.
async fn checked_url(state: &AppState, raw: &str) -> ApiResult<String> {
    let allow_private = state.webhooks.settings().allow_private;
    let refused = |e: address::AddressError| ApiError::Validation(format!("`url`: {e}"));
    let url = address::check_url(raw.trim(), allow_private).map_err(refused)?;
    address::check_destination(&url, allow_private)
        .await
        .map_err(refused)?;
    Ok(url.to_string())
}

/// The event types, checked and as stored.
fn checked_events(events: &[String]) -> ApiResult<String> {
    if events.is_empty() {
        return Err(ApiError::Validation(
            "`events` needs at least one event type".to_owned(),
        ));
    }
    let mut kept: Vec<&str> = Vec::new();
    for event in events {
        let known = EVENT_TYPES
            .iter()
            .find(|t| **t == event.as_str() && **t != "webhook.test")
            .ok_or_else(|| {
                ApiError::Validation(format!(
                    "`events`: unknown event type {event:?} (known: tryon.completed, tryon.failed)"
                ))
            })?;
        if !kept.contains(known) {
            kept.push(known);
        }
    }
    Ok(kept.join(","))
}

fn checked_description(description: Option<String>) -> ApiResult<Option<String>> {
    let Some(description) = description.map(|d| d.trim().to_owned()) else {
        return Ok(None);
    };
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::Validation(format!(
            "`description` is longer than {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    text::check("description", &description, Lines::One)?;
    Ok((!description.is_empty()).then_some(description))
}

async fn own_endpoint(state: &AppState, user: &AuthUser, id: &str) -> ApiResult<EndpointRow> {
    user.require(&[Role::Retailer])?;
    store::endpoint(&state.db, id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)
}

/// Registers an endpoint; the answer holds its secret, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewEndpoint,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered; keep the secret", body = CreatedEndpoint),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 409, description = "The retailer has the most endpoints allowed", body = ErrorBody),
        (status = 422, description = "Not https, not a public address, or an unknown event type", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<NewEndpoint>,
) -> ApiResult<(StatusCode, Json<CreatedEndpoint>)> {
    user.require(&[Role::Retailer])?;
    let events = checked_events(&body.events)?;
    let description = checked_description(body.description)?;
    let url = checked_url(&state, &body.url).await?;
    let max = state.webhooks.settings().max_endpoints;
    if store::endpoints_of(&state.db, &user.id).await?.len() >= max {
        return Err(ApiError::Conflict(format!(
            "a retailer may have at most {max} webhook endpoints"
        )));
    }
    let row = EndpointRow {
        id: format!("ep_{}", uuid::Uuid::new_v4().simple()),
        retailer_id: user.id.clone(),
        url,
        description,
        events,
        secret: signature::new_secret(),
        previous_secret: None,
        previous_until_ms: None,
        disabled_reason: None,
        created_at_ms: now_ms(),
    };
    store::insert_endpoint(&state.db, &row).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpoint {
            endpoint: view(&row),
            secret: row.secret,
        }),
    ))
}

/// The retailer's endpoints (without secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses(
        (status = 200, description = "The endpoints", body = EndpointList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
    ))]
pub async fn list(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<EndpointList>> {
    user.require(&[Role::Retailer])?;
    let rows = store::endpoints_of(&state.db, &user.id).await?;
    Ok(Json(EndpointList {
        endpoints: rows.iter().map(view).collect(),
    }))
}

/// One endpoint (without its secret).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = EndpointView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such endpoint of the caller", body = ErrorBody),
    ))]
pub async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<EndpointView>> {
    Ok(Json(view(&own_endpoint(&state, &user, &id).await?)))
}

/// Changes an endpoint: its URL, events or note, or enables or disables it.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    request_body = EndpointChange, security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint as changed", body = EndpointView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such endpoint of the caller", body = ErrorBody),
        (status = 422, description = "Not https, not a public address, or an unknown event type", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<EndpointChange>,
) -> ApiResult<Json<EndpointView>> {
    let mut row = own_endpoint(&state, &user, &id).await?;
    if let Some(events) = &change.events {
        row.events = checked_events(events)?;
    }
    if change.description.is_some() {
        row.description = checked_description(change.description)?;
    }
    if let Some(url) = &change.url {
        row.url = checked_url(&state, url).await?;
    }
    match change.enabled {
        Some(true) => row.disabled_reason = None,
        Some(false) if row.disabled_reason.is_none() => {
            row.disabled_reason = Some("disabled by the retailer".to_owned());
        }
        _ => {}
    }
    store::update_endpoint(&state.db, &row, now_ms()).await?;
    Ok(Json(view(&row)))
}

/// Deletes an endpoint and its delivery records; pending deliveries are not sent.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such endpoint of the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    user.require(&[Role::Retailer])?;
    if !store::delete_endpoint(&state.db, &id, &user.id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret; deliveries are signed with both for the grace period (24 h by default), so
/// the receiver can switch without refusing one.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The new secret, shown this once", body = RotatedSecret),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such endpoint of the caller", body = ErrorBody),
    ))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RotatedSecret>> {
    let row = own_endpoint(&state, &user, &id).await?;
    let now = now_ms();
    let grace = state.webhooks.settings().rotation_grace;
    let until = now.saturating_add(i64::try_from(grace.as_millis()).unwrap_or(i64::MAX));
    let secret = signature::new_secret();
    store::rotate_secret(&state.db, &row.id, &secret, until, now).await?;
    Ok(Json(RotatedSecret {
        secret,
        previous_valid_until: rfc3339(until),
    }))
}

/// Sends a `webhook.test` event to this endpoint (whatever it subscribed to), to check the
/// receiver and its signature check.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 202, description = "Queued; see its deliveries", body = Object),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such endpoint of the caller", body = ErrorBody),
        (status = 409, description = "The endpoint is disabled", body = ErrorBody),
    ))]
pub async fn send_test(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let row = own_endpoint(&state, &user, &id).await?;
    if row.disabled_reason.is_some() {
        return Err(ApiError::Conflict(
            "the endpoint is disabled; enable it first".to_owned(),
        ));
    }
    let subject = uuid::Uuid::new_v4().to_string();
    let delivery = state
        .webhooks
        .deliver_to(
            &row,
            "webhook.test",
            &subject,
            json!({"endpoint_id": row.id}),
        )
        .await
        .map_err(|e| match e {
            crate::queue::QueueError::Database(e) => ApiError::Database(e),
            other => ApiError::internal(other),
        })?;
    Ok((StatusCode::ACCEPTED, Json(json!({"delivery_id": delivery}))))
}

/// The endpoint's latest deliveries with every attempt, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id"), DeliveriesQuery),
    responses(
        (status = 200, description = "Recent deliveries", body = DeliveryList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such endpoint of the caller", body = ErrorBody),
    ))]
pub async fn deliveries(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> ApiResult<Json<DeliveryList>> {
    let row = own_endpoint(&state, &user, &id).await?;
    let limit = match query.limit {
        Some(0) => return Err(ApiError::BadRequest("limit must be at least 1".to_owned())),
        Some(n) => n.min(MAX_DELIVERIES),
        None => 20,
    };
    let rows = store::deliveries_of(&state.db, &row.id, i64::from(limit)).await?;
    let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    let attempts = store::attempts_of(&state.db, &ids).await?;
    Ok(Json(DeliveryList {
        deliveries: rows.iter().map(|d| delivery_view(d, &attempts)).collect(),
    }))
}

fn delivery_view(row: &DeliveryRow, attempts: &[AttemptRow]) -> DeliveryView {
    DeliveryView {
        id: row.id.clone(),
        message_id: row.message_id.clone(),
        event_type: row.event_type.clone(),
        status: row.status.clone(),
        payload: serde_json::from_str(&row.payload).unwrap_or_default(),
        created_at: rfc3339(row.created_at_ms),
        ended_at: row.ended_at_ms.map(rfc3339),
        attempts: attempts
            .iter()
            .filter(|a| a.delivery_id == row.id)
            .map(|a| AttemptView {
                attempt: a.attempt,
                at: rfc3339(a.at_ms),
                status_code: a.status_code,
                error: a.error.clone(),
                duration_ms: a.duration_ms,
                response_excerpt: a.response_excerpt.clone(),
            })
            .collect(),
    }
}

fn now_ms() -> i64 {
    crate::queue::Clock::System.now_ms()
}
