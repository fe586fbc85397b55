//! What a report shows, gathered once from the same functions the analytics API answers with:
//! the funnel, top products and models by name, sizes, try-ons per day and the forecasts of the
//! best sellers.

use chrono::{NaiveDate, Utc};
use fitview_insights::FunnelStep;
use fitview_insights::aggregate::{self, DayFigures, ModelFigures, ProductFigures, SizeFigures};

use super::words::{count, money, percent};
use crate::analytics::routes::{ProductForecast, Scope, funnel_steps};
use crate::analytics::store::Detail;
use crate::db;
use crate::error::ApiResult;
use crate::state::AppState;

/// Products in the top-products table and chart.
pub const TOP_PRODUCTS: usize = 10;
/// Models in the models chart.
pub const TOP_MODELS: usize = 8;
/// Best sellers whose demand is forecast.
pub const FORECASTS: usize = 3;
/// Weeks each forecast looks ahead.
pub const FORECAST_WEEKS: u32 = 8;
/// The funnel's conversion window, as the API's default.
pub const FUNNEL_WINDOW_DAYS: u32 = 7;

/// A figure with the name a retailer knows it by.
#[derive(Debug, Clone)]
pub struct Named<T> {
    /// The product's or model's name (its id when it was deleted).
    pub name: String,
    /// The figures.
    pub figures: T,
}

/// Everything one report or dashboard shows.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The retailer's name.
    pub shop: String,
    /// The product the report is about, by name; the whole catalog without.
    pub product: Option<String>,
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
    /// When it was made.
    pub made_on: NaiveDate,
    /// Viewed → tried on → carted → bought.
    pub funnel: Vec<FunnelStep>,
    /// All products' totals together.
    pub totals: ProductFigures,
    /// Best sellers first (then most tried on), at most [`TOP_PRODUCTS`].
    pub products: Vec<Named<ProductFigures>>,
    /// Most tried on first, at most [`TOP_MODELS`].
    pub models: Vec<Named<ModelFigures>>,
    /// Per size, in the shop's order.
    pub sizes: Vec<SizeFigures>,
    /// Try-ons per day.
    pub days: Vec<DayFigures>,
    /// The best sellers' forecasts, by name.
    pub forecasts: Vec<Named<ProductForecast>>,
}

fn totals(products: &[ProductFigures]) -> ProductFigures {
    let sum = |f: fn(&ProductFigures) -> i64| products.iter().map(f).sum::<i64>();
    let views = sum(|p| p.views);
    let tryons = sum(|p| p.tryons);
    let purchased_units = sum(|p| p.purchased_units);
    let share = |part: i64, whole: i64| (whole > 0).then(|| part as f64 / whole as f64);
    ProductFigures {
        product_id: String::new(),
        views,
        tryons,
        cart_units: sum(|p| p.cart_units),
        purchased_units,
        returned_units: sum(|p| p.returned_units),
        revenue_cents: sum(|p| p.revenue_cents),
        conversion: share(purchased_units, views),
        tryon_conversion: share(purchased_units, tryons),
    }
}

async fn product_name(state: &AppState, retailer: &str, id: &str) -> ApiResult<String> {
    Ok(db::products::get(&state.db, id, Some(retailer))
        .await?
        .map_or_else(|| id.to_owned(), |p| p.name))
}

impl Figures {
    /// The headline figures, label and value as shown: views, try-ons, units bought, revenue
    /// and the share of units returned.
    pub fn headlines(&self) -> [(&'static str, String); 5] {
        let t = &self.totals;
        let return_rate =
            (t.purchased_units > 0).then(|| t.returned_units as f64 / t.purchased_units as f64);
        [
            ("Product views", count(t.views)),
            ("Try-ons", count(t.tryons)),
            ("Units bought", count(t.purchased_units)),
            ("Revenue", money(t.revenue_cents, None)),
            ("Returned", percent(return_rate)),
        ]
    }

    /// Gathers the figures of `scope` (already checked: the caller's own catalog).
    pub async fn gather(state: &AppState, scope: &Scope) -> ApiResult<Figures> {
        let retailer = &scope.retailer;
        let mut products = aggregate::products(&scope.rollups(state, Detail::PRODUCT).await?);
        let totals = totals(&products);
        products.sort_by_key(|p| std::cmp::Reverse((p.purchased_units, p.tryons, p.views)));
        products.truncate(TOP_PRODUCTS);
        let mut named_products = Vec::with_capacity(products.len());
        for figures in products {
            let name = product_name(state, retailer, &figures.product_id).await?;
            named_products.push(Named { name, figures });
        }
        let mut models = aggregate::models(&scope.rollups(state, Detail::MODEL).await?);
        models.sort_by_key(|m| std::cmp::Reverse((m.tryons, m.selections)));
        models.truncate(TOP_MODELS);
        let mut named_models = Vec::with_capacity(models.len());
        for figures in models {
            let name = db::models::get(&state.db, &figures.model_id, Some(retailer))
                .await?
                .map_or_else(|| figures.model_id.clone(), |m| m.name);
            named_models.push(Named { name, figures });
        }
        let today = Utc::now().date_naive();
        let sellers: Vec<String> = match &scope.product {
            Some(one) => vec![one.clone()],
            None => named_products
                .iter()
                .filter(|p| p.figures.purchased_units > 0)
                .take(FORECASTS)
                .map(|p| p.figures.product_id.clone())
                .collect(),
        };
        let mut forecasts = Vec::with_capacity(sellers.len());
        for id in sellers {
            let figures = ProductForecast::of(state, retailer, &id, FORECAST_WEEKS, today).await?;
            let name = product_name(state, retailer, &id).await?;
            forecasts.push(Named { name, figures });
        }
        let shop = db::users::find(&state.db, retailer)
            .await?
            .and_then(|u| u.display_name)
            .unwrap_or_else(|| "Your shop".to_owned());
        let product = match &scope.product {
            Some(id) => Some(product_name(state, retailer, id).await?),
            None => None,
        };
        Ok(Figures {
            shop,
            product,
            from: scope.from,
            to: scope.to,
            made_on: today,
            funnel: funnel_steps(state, scope, FUNNEL_WINDOW_DAYS).await?,
            totals,
            products: named_products,
            models: named_models,
            sizes: aggregate::sizes(&scope.rollups(state, Detail::SIZE).await?),
            days: aggregate::days(&scope.rollups(state, Detail::DAY).await?),
            forecasts,
        })
    }
}
