//! The retailer's own pages: its catalog (products and models, each with its photo, one click
//! from its edit form) and the try-ons shoppers made of it. Only a retailer sees them, and only
//! its own catalog; anyone else gets 404, a visitor the sign-in page.

mod model_form;
mod product_form;

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::response::Response;

pub use model_form::{delete_model, edit_model, new_model, save_model, save_new_model};
pub use product_form::{delete_product, edit_product, new_product, save_new_product, save_product};

use crate::auth::{AuthUser, Role};
use crate::db::{self, models::ModelFilter, products::ProductFilter};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::routes::tryon::{JobStatus, job_view};
use crate::routes::upload::Upload;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::cards::{Picture, model_photo, price};
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::photos::product_photo_url;
use crate::web::session::Visitor;

/// Most products or models the catalog page lists.
const LISTED: i64 = 500;
/// Try-ons the try-ons page shows.
const TRYONS_SHOWN: i64 = 60;

/// The signed-in retailer, a sign-in redirect for a visitor, 404 for anyone else.
fn retailer(visitor: &Visitor, next: &str) -> Result<AuthUser, PageError> {
    let user = visitor.require_user(next)?;
    if user.role != Role::Retailer {
        return Err(ApiError::NotFound.into());
    }
    Ok(user)
}

/// A posted form: the fields and the photo, once its CSRF token is checked.
async fn read(
    visitor: &Visitor,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Upload, PageError> {
    let upload = Upload::read(multipart.map_err(ApiError::from)?).await?;
    visitor.check_csrf(&upload.text("csrf").unwrap_or_default())?;
    Ok(upload)
}

/// A refusal the retailer can mend in the form; anything else fails the page.
fn mendable(error: &ApiError) -> bool {
    error.status().is_client_error()
        && !matches!(
            error,
            ApiError::NotFound | ApiError::Unauthorized | ApiError::Forbidden
        )
}

/// The form of a delete button.
#[derive(Debug, serde::Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

/// A line of the catalog page.
struct Line {
    id: String,
    name: String,
    details: String,
    photo: Option<String>,
}

#[derive(Template)]
#[template(path = "manage.html")]
struct CatalogPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    products: Vec<Line>,
    models: Vec<Line>,
}

/// What the last form did, named in the redirect back to the catalog page.
#[derive(Debug, serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "product-added" => "The product is in your shop.",
        "product-saved" => "The product is saved.",
        "product-deleted" => "The product is deleted.",
        "model-added" => "The model is in your shop.",
        "model-saved" => "The model is saved.",
        "model-deleted" => "The model is deleted.",
        _ => return None,
    })
}

/// `GET /manage`.
pub async fn catalog(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(done): ApiQuery<Done>,
) -> Result<Response, PageError> {
    let user = retailer(&visitor, "/manage")?;
    let products = db::products::list(
        &state.db,
        &ProductFilter {
            retailer_id: Some(user.id.clone()),
            ..ProductFilter::default()
        },
        LISTED,
        0,
    )
    .await?
    .into_iter()
    .map(|p| Line {
        details: format!(
            "{} · {} · {}",
            p.category,
            price(p.price_cents, &p.currency),
            match p.stock {
                0 => "out of stock".to_owned(),
                n => format!("{n} in stock"),
            }
        ),
        photo: p
            .image_file
            .as_deref()
            .map(|file| product_photo_url(&p.id, file)),
        id: p.id,
        name: p.name,
    })
    .collect();
    let models = db::models::list(
        &state.db,
        &ModelFilter {
            retailer_id: Some(user.id.clone()),
            ..ModelFilter::default()
        },
        LISTED,
        0,
    )
    .await?
    .into_iter()
    .map(|m| Line {
        details: crate::web::models::details(&m),
        photo: Some(model_photo(&m)),
        id: m.id,
        name: m.name,
    })
    .collect();
    render(&CatalogPage {
        chrome: Chrome::new(&state, &visitor).await?,
        notice: notice(done.done.as_deref()),
        products,
        models,
    })
}

/// A try-on of the catalog, as the try-ons page shows it.
struct TryOnLine {
    product: String,
    model: String,
    status: &'static str,
    when: String,
    picture: Option<Picture>,
}

#[derive(Template)]
#[template(path = "manage_tryons.html")]
struct TryOnsPage {
    chrome: Chrome,
    tryons: Vec<TryOnLine>,
}

/// `GET /manage/tryons`: the newest try-ons shoppers made of the retailer's products (no
/// shopper is named).
pub async fn tryons(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    let user = retailer(&visitor, "/manage/tryons")?;
    let jobs = db::tryon::of_catalog(&state.db, &user.id, TRYONS_SHOWN).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut lines = Vec::with_capacity(jobs.len());
    for job in jobs {
        for (id, is_model) in [(&job.product_id, false), (&job.model_id, true)] {
            if !names.contains_key(id) {
                let name = if is_model {
                    db::models::get(&state.db, id, None).await?.map(|m| m.name)
                } else {
                    db::products::get(&state.db, id, None)
                        .await?
                        .map(|p| p.name)
                };
                names.insert(id.clone(), name.unwrap_or_else(|| "(deleted)".to_owned()));
            }
        }
        let when = chrono::DateTime::from_timestamp(job.created_at, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        let (product, model) = (names[&job.product_id].clone(), names[&job.model_id].clone());
        let view = job_view(job)?;
        lines.push(TryOnLine {
            product,
            model,
            status: match view.status {
                JobStatus::Queued | JobStatus::Running => "In progress",
                JobStatus::Succeeded => "Made",
                JobStatus::Failed => "Failed",
            },
            when,
            picture: Picture::of_job(&view),
        });
    }
    render(&TryOnsPage {
        chrome: Chrome::new(&state, &visitor).await?,
        tryons: lines,
    })
}
