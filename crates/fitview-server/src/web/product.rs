//! The product page: photo, description, sizes with the size chart, price, stock, and the
//! "Try on" button with the shopper's model.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::db;
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::cards::ProductCard;
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::session::Visitor;
use crate::web::shopper_events;

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
}

/// The sizes of a product record (a JSON array of strings).
pub fn sizes(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// A size chart stored as JSON (`{"M": {"chest_cm": 96}}` or `{"M": "96 cm"}`), as rows.
fn chart(json: Option<&str>) -> Vec<ChartRow> {
    let Some(serde_json::Value::Object(sizes)) =
        json.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
    else {
        return Vec::new();
    };
    sizes
        .into_iter()
        .map(|(size, measures)| ChartRow {
            size,
            measures: match measures {
                serde_json::Value::Object(m) => m
                    .into_iter()
                    .map(|(k, v)| format!("{}: {}", k.replace('_', " "), plain(&v)))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => plain(&other),
            },
        })
        .collect()
}

fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `GET /products/{id}`.
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let product = db::products::get(&state.db, &id, None)
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
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn size_charts_become_rows() {
        let rows = super::chart(Some(r#"{"M": {"chest_cm": 96}, "L": "100 cm"}"#));
        let text: Vec<String> = rows
            .iter()
            .map(|r| format!("{}={}", r.size, r.measures))
            .collect();
        assert_eq!(text, ["L=100 cm", "M=chest cm: 96"]);
        assert!(super::chart(Some("[1]")).is_empty());
        assert_eq!(super::sizes(r#"["S","M"]"#), ["S", "M"]);
    }
}
