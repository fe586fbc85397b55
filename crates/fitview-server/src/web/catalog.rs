//! The home page: every retailer's products, filtered, searched and paged.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::db::products::ProductFilter;
use crate::extract::ApiQuery;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::cards::ProductCard;
use crate::web::chrome::Chrome;
use crate::web::error::{encode_component, render};
use crate::web::recommendations;
use crate::web::session::Visitor;

/// Products per page.
const PAGE_SIZE: i64 = 24;

/// The catalog's filters as the form sends them (empty fields mean "any").
#[derive(Debug, Default, Deserialize)]
pub struct CatalogQuery {
    q: Option<String>,
    category: Option<String>,
    size: Option<String>,
    colour: Option<String>,
    min_price: Option<String>,
    max_price: Option<String>,
    retailer: Option<String>,
    page: Option<u32>,
}

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A price typed by a shopper (`39.5`, `40`, `12,99`) in minor units.
fn cents(value: &Option<String>) -> Option<i64> {
    let text = given(value)?.replace(',', ".");
    let (units, fraction) = text.split_once('.').unwrap_or((text.as_str(), ""));
    if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let units: i64 = if units.is_empty() {
        0
    } else {
        units.parse().ok()?
    };
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    units
        .checked_mul(100)?
        .checked_add(fraction)
        .filter(|c| *c >= 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn typed_prices_become_cents() {
        let cents = |s: &str| super::cents(&Some(s.to_owned()));
        assert_eq!(cents("39.5"), Some(3950));
        assert_eq!(cents("40"), Some(4000));
        assert_eq!(cents("12,99"), Some(1299));
        assert_eq!(cents(" "), None);
        assert_eq!(cents("1.999"), None);
        assert_eq!(cents("-3"), None);
        assert_eq!(cents("abc"), None);
    }
}

impl CatalogQuery {
    fn filter(&self) -> ProductFilter {
        ProductFilter {
            retailer_id: given(&self.retailer),
            category: given(&self.category),
            size: given(&self.size),
            colour: given(&self.colour),
            min_price_cents: cents(&self.min_price),
            max_price_cents: cents(&self.max_price),
            query: given(&self.q),
        }
    }

    /// Whether no filter or search is given.
    fn filter_is_empty(&self) -> bool {
        [
            &self.q,
            &self.category,
            &self.size,
            &self.colour,
            &self.min_price,
            &self.max_price,
            &self.retailer,
        ]
        .into_iter()
        .all(|v| given(v).is_none())
    }

    /// The query string of this search on another page.
    fn page_link(&self, page: u32) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("q", &self.q),
            ("category", &self.category),
            ("size", &self.size),
            ("colour", &self.colour),
            ("min_price", &self.min_price),
            ("max_price", &self.max_price),
            ("retailer", &self.retailer),
        ] {
            if let Some(v) = given(value) {
                parts.push(format!("{name}={}", encode_component(&v)));
            }
        }
        parts.push(format!("page={page}"));
        format!("/?{}", parts.join("&"))
    }
}

/// A choice of a filter's list.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    products: Vec<ProductCard>,
    categories: Vec<Choice>,
    retailers: Vec<Choice>,
    size: String,
    colour: String,
    min_price: String,
    max_price: String,
    searching: bool,
    previous: Option<String>,
    next: Option<String>,
    suggestions: Vec<recommendations::SuggestionCard>,
}

/// `GET /`: the catalog.
pub async fn home(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(query): ApiQuery<CatalogQuery>,
) -> Result<Response, PageError> {
    let filter = query.filter();
    let page = query.page.unwrap_or(1).max(1);
    let offset = i64::from(page - 1) * PAGE_SIZE;
    let rows = state.catalog.list(&filter, PAGE_SIZE + 1, offset).await?;
    let shown = usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    let more = rows.len() > shown;
    let rows = &rows[..rows.len().min(shown)];
    let categories = state
        .catalog
        .categories()
        .await?
        .iter()
        .map(|(category, n)| Choice {
            selected: filter.category.as_deref() == Some(category.as_str()),
            label: format!("{category} ({n})"),
            value: category.clone(),
        })
        .collect();
    let retailers = state
        .catalog
        .shops()
        .await?
        .iter()
        .map(|r| Choice {
            selected: filter.retailer_id.as_deref() == Some(r.id.as_str()),
            label: r.display_name.clone().unwrap_or_else(|| "Shop".to_owned()),
            value: r.id.clone(),
        })
        .collect();
    let chrome = Chrome::new(&state, &visitor)
        .await?
        .with_query(filter.query.as_deref().unwrap_or_default());
    // "For you" on the first page of the unfiltered catalog.
    let suggestions = if page == 1 && query.filter_is_empty() {
        recommendations::for_you(&state, &visitor).await
    } else {
        Vec::new()
    };
    render(&HomePage {
        suggestions,
        chrome,
        products: rows.iter().map(ProductCard::of).collect(),
        categories,
        retailers,
        size: filter.size.clone().unwrap_or_default(),
        colour: filter.colour.clone().unwrap_or_default(),
        min_price: given(&query.min_price).unwrap_or_default(),
        max_price: given(&query.max_price).unwrap_or_default(),
        searching: filter.query.is_some(),
        previous: (page > 1).then(|| query.page_link(page - 1)),
        next: more.then(|| query.page_link(page + 1)),
    })
}
