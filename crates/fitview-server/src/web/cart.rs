//! The cart at `/cart`: add a product in a size with its try-on image, change quantities,
//! remove lines, and check out into orders for the retailers.
//!
//! Every change to a cart is recorded for the retailer's analytics (`shopper_events`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Json, Redirect, Response};
use serde::Deserialize;

use crate::db::{self, cart::CartLine, orders::CheckoutError};
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::routes::tryon as api;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::cards::{Picture, price};
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::product;
use crate::web::session::Visitor;
use crate::web::shopper_events;

/// A cart line as the page shows it.
struct LineView {
    id: String,
    product_id: String,
    name: String,
    size: String,
    quantity: i64,
    price: String,
    image: Option<String>,
}

impl LineView {
    fn of(line: &CartLine) -> LineView {
        LineView {
            id: line.id.clone(),
            product_id: line.product_id.clone(),
            name: line.name.clone(),
            size: line.size.clone(),
            quantity: line.quantity,
            price: price(line.price_cents * line.quantity, &line.currency),
            image: line.tryon_image.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "cart.html")]
struct CartPage {
    chrome: Chrome,
    lines: Vec<LineView>,
    totals: Vec<String>,
    notice: Option<String>,
}

/// The cart's total per currency.
fn totals(lines: &[CartLine]) -> Vec<String> {
    let mut sums: std::collections::BTreeMap<&str, i64> = Default::default();
    for line in lines {
        *sums.entry(&line.currency).or_default() += line.price_cents * line.quantity;
    }
    sums.into_iter().map(|(c, cents)| price(cents, c)).collect()
}

async fn cart_page(
    state: &AppState,
    visitor: &Visitor,
    user_id: &str,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let lines = db::cart::lines(&state.db, user_id).await?;
    render(&CartPage {
        chrome: Chrome::new(state, visitor).await?,
        totals: totals(&lines),
        lines: lines.iter().map(LineView::of).collect(),
        notice,
    })
}

/// `GET /cart`.
pub async fn show(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let user = visitor.require_user("/cart")?;
    cart_page(&state, &visitor, &user.id, None).await
}

/// "Add to cart" on a try-on's page.
#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    product_id: String,
    size: String,
    /// The try-on whose image goes with the line (the shopper's own).
    job_id: Option<String>,
}

/// `POST /cart/add`.
pub async fn add(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<AddForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let user = visitor.require_user(&format!("/products/{}", form.product_id))?;
    let product = db::products::get(&state.db, &form.product_id, None)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !product::sizes(&product.sizes).contains(&form.size) {
        return Err(ApiError::Validation("this size is not sold".to_owned()).into());
    }
    let image = match form.job_id.filter(|j| !j.is_empty()) {
        Some(job_id) => {
            let Json(job) =
                api::get_job(State(state.clone()), user.clone(), ApiPath(job_id)).await?;
            if job.product_id != product.id {
                return Err(
                    ApiError::Validation("this try-on shows another product".to_owned()).into(),
                );
            }
            Picture::of_job(&job).map(|p| p.src)
        }
        None => None,
    };
    db::cart::add(
        &state.db,
        &user.id,
        &product.id,
        &form.size,
        image.as_deref(),
    )
    .await?;
    let lines = db::cart::lines(&state.db, &user.id).await?;
    if let Some(line) = lines
        .iter()
        .find(|l| l.product_id == product.id && l.size == form.size)
    {
        shopper_events::cart_changed(&state, &visitor, line, line.quantity - 1, line.quantity);
    }
    Ok(Redirect::to("/cart").into_response())
}

/// A line's quantity change or removal.
#[derive(Debug, Deserialize)]
pub struct LineForm {
    #[serde(default)]
    csrf: String,
    /// The new quantity; absent or 0 removes the line.
    quantity: Option<i64>,
}

/// `POST /cart/lines/{id}`.
pub async fn change(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(line_id): Path<String>,
    Form(form): Form<LineForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let user = visitor.require_user("/cart")?;
    let quantity = form.quantity.unwrap_or(0).clamp(0, 99);
    let lines = db::cart::lines(&state.db, &user.id).await?;
    let line = lines
        .iter()
        .find(|l| l.id == line_id)
        .ok_or(ApiError::NotFound)?;
    if !db::cart::set_quantity(&state.db, &user.id, &line_id, quantity).await? {
        return Err(ApiError::NotFound.into());
    }
    shopper_events::cart_changed(&state, &visitor, line, line.quantity, quantity);
    Ok(Redirect::to("/cart").into_response())
}

/// The checkout form.
#[derive(Debug, Deserialize)]
pub struct CheckoutForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    chrome: Chrome,
    orders: Vec<(String, String)>,
}

/// `POST /checkout`: one order per retailer; FitView takes no payment.
pub async fn checkout(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<CheckoutForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let user = visitor.require_user("/cart")?;
    let lines = db::cart::lines(&state.db, &user.id).await?;
    match db::orders::checkout(&state.db, &user.id).await {
        Ok(orders) => {
            // Stock went down.
            state.catalog.changed();
            shopper_events::checkout_started(&state, &visitor, &lines);
            render(&OrderPage {
                chrome: Chrome::new(&state, &visitor).await?,
                orders: orders
                    .iter()
                    .map(|o| (o.id.clone(), price(o.total_cents, &o.currency)))
                    .collect(),
            })
        }
        Err(CheckoutError::Database(e)) => Err(e.into()),
        Err(refused) => {
            let notice = Some(super::words::capitalized(&refused.to_string()));
            cart_page(&state, &visitor, &user.id, notice).await
        }
    }
}
