//! The retailer's dashboard: the report's figures and charts for a period (the same
//! [`Figures`] and the same chart scenes as the PDF, drawn as inline SVG), with the PDF report
//! and the CSV export one link away. Only a retailer sees it, and only its own catalog.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::analytics::export::export_csv;
use crate::analytics::report::words::{count, forecast_note, money, percent, tryons_note};
use crate::analytics::report::{Figures, charts, pdf_response};
use crate::analytics::routes::{DEFAULT_RANGE_DAYS, RangeQuery, Scope};
use crate::charts::svg::to_svg;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::session::Visitor;

/// Width the charts are laid out at: a phone's column (and a third of a desktop's), so they are
/// drawn at about their own size everywhere and their labels stay readable.
const CHART_WIDTH: f32 = 330.0;

/// A headline figure.
struct Headline {
    label: &'static str,
    value: String,
}

/// A chart and what it says in words, when there is more to say.
struct Chart {
    svg: String,
    caption: Option<String>,
}

/// A row of the top-products table.
struct ProductRow {
    id: String,
    name: String,
    views: String,
    tryons: String,
    bought: String,
    returned: String,
    revenue: String,
    conversion: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    shop: String,
    product: Option<String>,
    from: String,
    to: String,
    /// The period as a query string for the download links.
    period: String,
    /// What was wrong with the period asked for (the default period is shown instead).
    error: Option<String>,
    headlines: Vec<Headline>,
    charts: Vec<Chart>,
    products: Vec<ProductRow>,
}

fn period(query: &RangeQuery, scope: &Scope) -> String {
    let mut out = format!("from={}&to={}", scope.from, scope.to);
    if let Some(product) = &query.product_id {
        out.push_str("&product_id=");
        out.push_str(&crate::web::error::encode_component(product));
    }
    out
}

/// `GET /dashboard?from=&to=&product_id=`.
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> Result<Response, PageError> {
    let user = visitor.require_user("/dashboard")?;
    // A period that cannot be shown (a bad date, `from` after `to`, too long) gets the form back
    // with what is wrong, over the default period.
    let (scope, problem) = match Scope::of(&state, &user, &query).await {
        Ok(scope) => (scope, None),
        Err(error @ (ApiError::BadRequest(_) | ApiError::Validation(_))) => {
            let default = RangeQuery {
                product_id: query.product_id.clone(),
                ..RangeQuery::default()
            };
            (Scope::of(&state, &user, &default).await?, Some(error))
        }
        Err(error) => return Err(error.into()),
    };
    let figures = Figures::gather(&state, &scope).await?;
    let headlines = figures
        .headlines()
        .into_iter()
        .map(|(label, value)| Headline { label, value })
        .collect();
    let products = figures
        .products
        .iter()
        .map(|p| ProductRow {
            id: p.figures.product_id.clone(),
            name: p.name.clone(),
            views: count(p.figures.views),
            tryons: count(p.figures.tryons),
            bought: count(p.figures.purchased_units),
            returned: count(p.figures.returned_units),
            revenue: money(p.figures.revenue_cents, None),
            conversion: percent(p.figures.conversion),
        })
        .collect();
    let mut response = render(&DashboardPage {
        chrome: Chrome::new(&state, &visitor).await?,
        shop: figures.shop.clone(),
        product: figures.product.clone(),
        from: scope.from.to_string(),
        to: scope.to.to_string(),
        period: period(&query, &scope),
        error: problem.as_ref().map(period_problem),
        headlines,
        charts: dashboard_charts(&figures),
        products,
    })?;
    if let Some(problem) = problem {
        *response.status_mut() = problem.status();
    }
    Ok(response)
}

/// What is wrong with a period, in the form's words.
fn period_problem(error: &ApiError) -> String {
    let detail = match error {
        ApiError::BadRequest(detail) | ApiError::Validation(detail) => detail.as_str(),
        _ => "it cannot be shown",
    };
    format!(
        "That period cannot be shown ({detail}); here are the last {DEFAULT_RANGE_DAYS} days instead."
    )
}

/// The report's charts, with the try-ons' and forecasts' notes under them.
fn dashboard_charts(figures: &Figures) -> Vec<Chart> {
    let chart = |scene, caption| Chart {
        svg: to_svg(&scene),
        caption,
    };
    let mut out = vec![
        chart(charts::funnel(figures, CHART_WIDTH), None),
        chart(charts::top_products(figures, CHART_WIDTH), None),
        chart(charts::models(figures, CHART_WIDTH), None),
        chart(charts::sizes(figures, CHART_WIDTH), None),
        chart(
            charts::tryons(figures, CHART_WIDTH),
            Some(tryons_note(&figures.days)),
        ),
    ];
    out.extend(figures.forecasts.iter().map(|one| {
        chart(
            charts::forecast(one, CHART_WIDTH),
            Some(forecast_note(&one.figures)),
        )
    }));
    out
}

/// `GET /dashboard/report.pdf`: the PDF report of the period, for the signed-in retailer.
pub async fn report(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> Result<Response, PageError> {
    let user = visitor.require_user("/dashboard")?;
    let scope = Scope::of(&state, &user, &query).await?;
    Ok(pdf_response(&state, &scope).await?)
}

/// `GET /dashboard/export.csv`: one row per product and day, for the signed-in retailer.
pub async fn export(
    State(state): State<AppState>,
    visitor: Visitor,
    query: ApiQuery<RangeQuery>,
) -> Result<Response, PageError> {
    let user = visitor.require_user("/dashboard")?;
    Ok(export_csv(State(state), user, query).await?)
}
