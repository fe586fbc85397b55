//! Picking a model: the retailer's models with photo and metadata, filterable by body type and
//! size; the choice is remembered in the session.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::db::{self, models::ModelFilter, models::ModelRow};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::cards::model_photo;
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::session::{self, Visitor};
use crate::web::shopper_events;

/// Most models a page lists.
const MAX_MODELS: i64 = 60;

/// The listing's filters.
#[derive(Debug, Deserialize)]
pub struct ModelsQuery {
    product: Option<String>,
    body_type: Option<String>,
    size: Option<String>,
}

/// A model as the page shows it.
struct ModelCard {
    id: String,
    name: String,
    photo: String,
    details: String,
    chosen: bool,
}

impl ModelCard {
    fn of(m: &ModelRow, chosen: Option<&str>) -> ModelCard {
        ModelCard {
            id: m.id.clone(),
            name: m.name.clone(),
            photo: model_photo(m),
            details: details(m),
            chosen: chosen == Some(m.id.as_str()),
        }
    }
}

/// A model's body type, size, height and skin tone in words.
pub fn details(m: &ModelRow) -> String {
    let mut details = Vec::new();
    if let Some(b) = &m.body_type {
        details.push(format!("{b} body"));
    }
    if let Some(s) = &m.size {
        details.push(format!("size {s}"));
    }
    if let Some(h) = m.height_cm {
        details.push(format!("{h:.0} cm"));
    }
    if let Some(t) = &m.skin_tone {
        details.push(format!("{t} skin"));
    }
    details.join(" · ")
}

#[derive(Template)]
#[template(path = "models.html")]
struct ModelsPage {
    chrome: Chrome,
    product: String,
    models: Vec<ModelCard>,
    body_type: String,
    size: String,
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `GET /models?product=..`: the product's retailer's models.
pub async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(query): ApiQuery<ModelsQuery>,
) -> Result<Response, PageError> {
    let product_id = given(query.product).unwrap_or_default();
    let retailer_id = match db::products::get(&state.db, &product_id, None).await? {
        Some(product) => Some(product.retailer_id),
        None if product_id.is_empty() => None,
        None => return Err(ApiError::NotFound.into()),
    };
    let filter = ModelFilter {
        retailer_id,
        body_type: given(query.body_type),
        size: given(query.size),
        by_popularity: false,
    };
    let rows = db::models::list(&state.db, &filter, MAX_MODELS, 0).await?;
    // Picking posts a form: the visitor needs a session (and its token) first.
    let (session, cookie) = session::ensure(&state, &visitor).await?;
    let visitor = Visitor {
        session: Some(session),
        ..visitor
    };
    let page = render(&ModelsPage {
        chrome: Chrome::new(&state, &visitor).await?,
        models: rows
            .iter()
            .map(|m| ModelCard::of(m, visitor.model_id()))
            .collect(),
        product: product_id,
        body_type: filter.body_type.unwrap_or_default(),
        size: filter.size.unwrap_or_default(),
    })?;
    Ok(match cookie {
        Some(cookie) => ([(header::SET_COOKIE, cookie)], page).into_response(),
        None => page,
    })
}

/// The picked model.
#[derive(Debug, Deserialize)]
pub struct PickForm {
    #[serde(default)]
    csrf: String,
    model_id: String,
    product: Option<String>,
}

/// `POST /models`: remembers the model and goes back to the product.
pub async fn pick(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<PickForm>,
) -> Result<Response, PageError> {
    let session = visitor.check_csrf(&form.csrf)?;
    let model = db::models::get(&state.db, &form.model_id, None)
        .await?
        .ok_or(ApiError::NotFound)?;
    state
        .sessions
        .set_model(&session.token_hash, &model.id)
        .await?;
    let back = match given(form.product) {
        Some(product_id) => {
            // A choice counts for a product of the model's own retailer only.
            if let Some(product) =
                db::products::get(&state.db, &product_id, Some(&model.retailer_id)).await?
            {
                shopper_events::model_selected(&state, &visitor, &product.id, &model.id);
            }
            format!("/products/{}", super::error::encode_component(&product_id))
        }
        None => "/".to_owned(),
    };
    Ok(Redirect::to(&back).into_response())
}
