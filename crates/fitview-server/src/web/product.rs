//! The product page: photo, description, sizes with the size chart, price, stock, and the
//! "Try on" button with the shopper's model.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use fitview_insights::recommend::size::SizeChart;

use crate::db;
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::cards::ProductCard;
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::session::Visitor;
use crate::web::{recommendations, shopper_events};

/// A size chart row: a size and what it measures.
struct ChartRow {
    size: String,
    measures: String,
}

/// The shopper's chosen model, as the page names it.
struct ChosenModel {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    chrome: Chrome,
    card: ProductCard,
    description: String,
    sizes: Vec<String>,
    chart: Vec<ChartRow>,
    model: Option<ChosenModel>,
    signed_in: bool,
    your_size: Option<recommendations::YourSize>,
}

/// The sizes of a product record (a JSON array of strings).
pub fn sizes(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// A size chart (validated when saved) as rows: `M` with `chest 90–96 cm, waist 76–82 cm`.
fn chart(json: Option<&str>) -> Vec<ChartRow> {
    let Some(chart) = json.and_then(|j| SizeChart::from_json(j).ok()) else {
        return Vec::new();
    };
    chart
        .sizes
        .into_iter()
        .map(|size| ChartRow {
            measures: size
                .ranges
                .iter()
                .map(|(m, [lo, hi])| format!("{} {}–{} cm", m.name(), cm(*lo), cm(*hi)))
                .collect::<Vec<_>>()
                .join(", "),
            size: size.label,
        })
        .collect()
}

/// Centimetres as shoppers read them: `96`, `96.5` (charts in inches convert to fractions).
fn cm(value: f64) -> String {
    let tenths = (value * 10.0).round() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{tenths:.0}")
    } else {
        format!("{tenths:.1}")
    }
}

/// `GET /products/{id}`.
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let product = state
        .catalog
        .product(&id)
        .await?
        .ok_or(ApiError::NotFound)?;
    shopper_events::product_viewed(&state, &visitor, &product.id);
    // The picked model counts only for this product's retailer.
    let model = match visitor.model_id() {
        Some(model_id) => db::models::get(&state.db, model_id, Some(&product.retailer_id))
            .await?
            .map(|m| ChosenModel {
                id: m.id,
                name: m.name,
            }),
        None => None,
    };
    render(&ProductPage {
        chrome: Chrome::new(&state, &visitor).await?,
        card: ProductCard::of(&product),
        description: product.description.clone(),
        sizes: sizes(&product.sizes),
        chart: chart(product.size_chart.as_deref()),
        model,
        signed_in: visitor.user.is_some(),
        your_size: recommendations::your_size(&state, &visitor, &product).await,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn size_charts_become_rows() {
        let rows = super::chart(Some(
            r#"{"unit": "in", "sizes": {"M": {"chest": [36, 38]}, "L": {"chest": [38, 40], "waist": [32, 34]}}}"#,
        ));
        let text: Vec<String> = rows
            .iter()
            .map(|r| format!("{}={}", r.size, r.measures))
            .collect();
        assert_eq!(
            text,
            [
                "M=chest 91.4–96.5 cm",
                "L=chest 96.5–101.6 cm, waist 81.3–86.4 cm"
            ]
        );
        assert!(super::chart(Some("[1]")).is_empty());
        assert_eq!(super::sizes(r#"["S","M"]"#), ["S", "M"]);
    }
}
