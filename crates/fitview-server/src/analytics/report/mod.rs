//! The retailer's report: [`Figures`] gathered from the analytics, drawn as [`charts`] and
//! written as a PDF ([`document`]); the dashboard page shows the same figures and charts.
//!
//! `GET /api/v1/analytics/report.pdf?from=&to=&product_id=` answers the file (as an attachment
//! named after the period) to the retailer whose catalog it covers; anyone else gets 404.

pub mod charts;
pub mod document;
pub mod figures;
pub mod words;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

pub use figures::Figures;

use crate::analytics::routes::{RangeQuery, Scope};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// The report of `scope` as a PDF response.
pub async fn pdf_response(state: &AppState, scope: &Scope) -> ApiResult<Response> {
    let figures = Figures::gather(state, scope).await?;
    // Laying out and writing a few pages is quick, but not async work.
    let bytes = tokio::task::spawn_blocking(move || document::pdf(&figures))
        .await
        .map_err(|e| ApiError::Internal(format!("writing the report: {e}")))?;
    let name = format!("fitview-report-{}-{}.pdf", scope.from, scope.to);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// A PDF report of the period: funnel, top products and models, sizes, try-ons per day and the
/// best sellers' forecasts, with charts.
#[utoipa::path(get, path = "/api/v1/analytics/report.pdf", tag = "analytics", params(RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (A4 pages)", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "Not a retailer, or not a product of the caller's", body = ErrorBody),
        (status = 422, description = "A range out of bounds", body = ErrorBody),
    ))]
pub async fn report_pdf(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Response> {
    let scope = Scope::of(&state, &user, &query).await?;
    pdf_response(&state, &scope).await
}
