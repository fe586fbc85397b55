//! The HTTP API: one module per resource, assembled into one router with its layers.

pub mod accounts;
pub mod body_drain;
pub mod images;
pub mod models;
pub mod ops;
pub mod privacy;
pub mod products;
pub mod quality;
pub mod security_headers;
pub mod spend;
pub mod tryon;
pub mod tryon_events;
pub mod tryon_upload;
pub mod upload;
pub mod variations;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::{get, patch, post, put};
use serde::{Deserialize, Serialize};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::{IntoParams, ToSchema};

use crate::analytics::routes as analytics;
use crate::error::{ApiError, ApiResult};
use crate::recommend::routes as recommend;
use crate::state::AppState;
use crate::webhooks::routes as webhooks;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Paging of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Page size (default 20, at most the server's maximum).
    #[param(minimum = 1)]
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u32>,
}

impl Page {
    /// `(limit, offset)` within the server's bounds.
    pub fn bounds(&self, state: &AppState) -> ApiResult<(i64, i64)> {
        page_bounds(state, self.limit, self.offset)
    }
}

/// `(limit, offset)` within the server's bounds.
pub fn page_bounds(
    state: &AppState,
    limit: Option<u32>,
    offset: Option<u32>,
) -> ApiResult<(i64, i64)> {
    let limit = limit.unwrap_or(20);
    if limit == 0 {
        // A query out of its documented range, like any other malformed query: 400.
        return Err(ApiError::BadRequest("limit must be at least 1".to_owned()));
    }
    let offset = offset.unwrap_or(0);
    if i32::try_from(offset).is_err() {
        // The OpenAPI document declares paging as int32.
        return Err(ApiError::BadRequest(format!(
            "offset must be at most {}",
            i32::MAX
        )));
    }
    let limit = limit.min(state.config.limits.max_page_size);
    Ok((i64::from(limit), i64::from(offset)))
}

/// An image as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageView {
    /// Where to fetch it (relative to the server).
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The whole application: API, operations endpoints and their layers.
pub fn app(state: AppState) -> Router {
    let limits = state.config.limits.clone();
    let upload_limit = DefaultBodyLimit::max(limits.max_upload_bytes);

    let api = Router::new()
        .route("/api/v1/auth/register", post(accounts::register))
        .route("/api/v1/auth/login", post(accounts::login))
        .route("/api/v1/auth/refresh", post(accounts::refresh))
        .route("/api/v1/auth/logout", post(accounts::logout))
        .route("/api/v1/auth/logout-all", post(accounts::logout_all))
        .route("/api/v1/me", get(accounts::me).delete(privacy::delete_me))
        .route("/api/v1/me/export", get(privacy::export))
        .route(
            "/api/v1/me/measurements",
            get(recommend::get_measurements).put(recommend::put_measurements),
        )
        .route(
            "/api/v1/products/{id}/size-recommendation",
            get(recommend::size_recommendation),
        )
        .route("/api/v1/recommendations", get(recommend::recommendations))
        .route(
            "/api/v1/analytics/recommendations",
            get(recommend::acceptance_route),
        )
        .route("/api/v1/admin/retailers", get(accounts::list_retailers))
        .route("/api/v1/admin/spend", get(spend::ledger))
        .route(
            "/api/v1/admin/retailers/{id}",
            patch(accounts::update_retailer),
        )
        .route(
            "/api/v1/models",
            get(models::list).post(models::create).layer(upload_limit),
        )
        .route(
            "/api/v1/models/{id}",
            get(models::get_one)
                .put(models::update)
                .layer(upload_limit)
                .delete(models::delete),
        )
        .route("/api/v1/models/{id}/image", get(models::image))
        .route(
            "/api/v1/products",
            get(products::list).post(products::create),
        )
        .route(
            "/api/v1/products/{id}",
            get(products::get_one)
                .put(products::update)
                .delete(products::delete),
        )
        .route(
            "/api/v1/products/{id}/image",
            put(products::upload_image)
                .layer(upload_limit)
                .get(products::image),
        )
        .route("/api/v1/categories", get(products::categories))
        .route(
            "/api/v1/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v1/webhooks/{id}",
            get(webhooks::get_one)
                .patch(webhooks::update)
                .delete(webhooks::delete),
        )
        .route(
            "/api/v1/webhooks/{id}/rotate-secret",
            post(webhooks::rotate_secret),
        )
        .route("/api/v1/webhooks/{id}/test", post(webhooks::send_test))
        .route(
            "/api/v1/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route("/api/v1/tryon/history", get(tryon::history))
        .route("/api/v1/tryon/{id}", get(tryon::get_job))
        .route("/api/v1/tryon/{id}/feedback", post(tryon::feedback))
        .route("/api/v1/images/{key}/{file}", get(images::result_image))
        .route(
            "/api/v1/events",
            post(analytics::post_events)
                .layer(DefaultBodyLimit::max(
                    state.config.analytics.max_batch_bytes,
                ))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    crate::idempotency::once,
                )),
        )
        .route("/api/v1/analytics/funnel", get(analytics::funnel_route))
        .route("/api/v1/analytics/products", get(analytics::products))
        .route("/api/v1/analytics/models", get(analytics::models))
        .route("/api/v1/analytics/sizes", get(analytics::sizes))
        .route("/api/v1/analytics/tryons", get(analytics::tryons))
        .route("/api/v1/analytics/forecast", get(analytics::forecast_route))
        .route(
            "/api/v1/analytics/export.csv",
            get(crate::analytics::export::export_csv),
        )
        .route(
            "/api/v1/analytics/report.pdf",
            get(crate::analytics::report::report_pdf),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ));

    // Creating a try-on may wait for its result, and uploads and variations call the provider in
    // the request, so they have their own, longer timeout.
    let tryon = Router::new()
        .route("/api/v1/tryon", post(tryon::create))
        .route(
            "/api/v1/tryon/upload",
            post(tryon_upload::create).layer(upload_limit),
        )
        .route("/api/v1/tryon/{id}/variations", post(variations::create))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::idempotency::once,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.max_tryon_wait + Duration::from_secs(5),
        ));

    // Status streams last as long as their jobs: no request timeout.
    let streams = Router::new().route("/api/v1/tryon/{id}/events", get(tryon_events::events));

    let ops = Router::new()
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi));

    // The storefront's pages; a style variation calls the provider in the request.
    let web = crate::web::routes(upload_limit).layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.max_tryon_wait + Duration::from_secs(5),
    ));

    api.merge(tryon)
        .merge(streams)
        .merge(ops)
        .merge(web)
        .fallback(ops::not_found)
        .layer(DefaultBodyLimit::max(limits.max_json_bytes))
        .layer(axum::middleware::from_fn_with_state(
            body_drain::DrainLimits {
                max_bytes: limits.max_upload_bytes,
                timeout: limits.request_timeout,
            },
            body_drain::drain_unread_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                        let request_id = request
                            .headers()
                            .get(REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default();
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id = %request_id,
                        )
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        )
        .layer(axum::middleware::map_response(security_headers::add))
        .with_state(state)
}
