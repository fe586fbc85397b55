//! `GET /api/v1/analytics/export.csv`: one row per product and day, streamed a day at a time
//! so that memory stays flat over any range.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{Days, NaiveDate};
use fitview_insights::aggregate;

use super::routes::{RangeQuery, Scope};
use super::store::{self, Detail};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// The CSV header.
pub const COLUMNS: [&str; 8] = [
    "day",
    "product_id",
    "views",
    "tryons",
    "cart_units",
    "purchased_units",
    "returned_units",
    "revenue_cents",
];

/// The CSV lines of one day (products in id order), the header first when `header` is set.
fn day_lines(day: NaiveDate, rows: &[aggregate::Rollup], header: bool) -> std::io::Result<Bytes> {
    let mut out = csv::Writer::from_writer(Vec::new());
    if header {
        out.write_record(COLUMNS)?;
    }
    let mut products = aggregate::products(rows);
    products.sort_by(|a, b| a.product_id.cmp(&b.product_id));
    for p in products {
        out.write_record([
            day.to_string(),
            p.product_id,
            p.views.to_string(),
            p.tryons.to_string(),
            p.cart_units.to_string(),
            p.purchased_units.to_string(),
            p.returned_units.to_string(),
            p.revenue_cents.to_string(),
        ])?;
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(Bytes::from(bytes))
}

/// Streams the CSV of the retailer's figures per product and day (the whole catalog or one
/// product, `from` to `to`).
#[utoipa::path(get, path = "/api/v1/analytics/export.csv", tag = "analytics", params(RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`day,product_id,views,tryons,cart_units,purchased_units,returned_units,revenue_cents` per product and day",
            content_type = "text/csv", body = String),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "Not a retailer, or not a product of the caller's", body = ErrorBody),
        (status = 422, description = "A range out of bounds", body = ErrorBody),
    ))]
pub async fn export_csv(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Response> {
    let scope = Scope::of(&state, &user, &query).await?;
    let file = format!(
        "attachment; filename=\"fitview-analytics-{}-{}.csv\"",
        scope.from, scope.to
    );
    let start = (state, scope.clone(), Some(scope.from), true);
    let days = futures::stream::unfold(start, |(state, scope, day, header)| async move {
        let day = day?;
        let next = day
            .checked_add_days(Days::new(1))
            .filter(|d| *d <= scope.to);
        let rows = store::rollups(
            &state.db,
            &scope.retailer,
            scope.product.as_deref(),
            (day, day),
            Detail::PRODUCT,
        )
        .await
        .map_err(std::io::Error::other);
        let lines = rows.and_then(|rows| day_lines(day, &rows, header));
        // After an error the stream ends: the client sees a truncated download.
        let next = if lines.is_ok() { next } else { None };
        Some((lines, (state, scope, next, false)))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        Body::from_stream(days),
    )
        .into_response())
}
