//! Trying on: one button starts a job through the API's own handler; the result page shows
//! progress until it is done, then the image with zoom and pan, the before/after slider, style
//! variations and "Add to cart".
//!
//! The page learns that a job finished from its status stream, `/tryons/{id}/events` (in
//! `assets/app.js`, `watchJob`), and polls `/tryons/{id}/status` where the stream cannot be had.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::{Form, Json as JsonBody};
use serde::{Deserialize, Serialize};

use crate::db;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::tryon::{self as api, JobStatus, JobView, TryOnBody};
use crate::routes::variations::{self, StyleName, VariationsBody};
use crate::state::AppState;
use crate::web::PageError;
use crate::web::cards::{Picture, ProductCard};
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::session::Visitor;
use crate::web::{product, recommendations, words};

/// The "Try on" button's form.
#[derive(Debug, Deserialize)]
pub struct TryOnForm {
    #[serde(default)]
    csrf: String,
    product_id: String,
    model_id: Option<String>,
}

/// `POST /tryon`: starts (or finds) the try-on and goes to its page.
pub async fn start(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<TryOnForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let product_page = format!("/products/{}", form.product_id);
    let user = visitor.require_user(&product_page)?;
    let Some(model_id) = form
        .model_id
        .filter(|m| !m.is_empty())
        .or_else(|| visitor.model_id().map(str::to_owned))
    else {
        return Ok(Redirect::to(&format!("/models?product={}", form.product_id)).into_response());
    };
    let body = TryOnBody {
        model_id,
        product_id: form.product_id,
        wait_ms: None,
    };
    let (_, JsonBody(job)) = api::create(State(state), user, ApiJson(body)).await?;
    Ok(Redirect::to(&format!("/tryons/{}", job.job_id)).into_response())
}

/// A job of the signed-in shopper, through the API's handler (which checks the owner).
async fn job_of(state: &AppState, visitor: &Visitor, id: &str) -> Result<JobView, PageError> {
    let user = visitor.require_user(&format!("/tryons/{id}"))?;
    let JsonBody(job) = api::get_job(State(state.clone()), user, ApiPath(id.to_owned())).await?;
    Ok(job)
}

#[derive(Template)]
#[template(path = "result.html")]
struct ResultPage {
    chrome: Chrome,
    job_id: String,
    product: ProductCard,
    sizes: Vec<String>,
    model_id: String,
    model_name: String,
    /// The model's photo (the "before" of the compare slider).
    model_photo: String,
    pending: bool,
    picture: Option<Picture>,
    failure: Option<String>,
    flagged: bool,
    styles: Vec<(String, String)>,
    suggestions: Vec<recommendations::SuggestionCard>,
}

/// `GET /tryons/{id}`: progress, the result, or why it failed.
pub async fn result(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let job = job_of(&state, &visitor, &id).await?;
    let product = db::products::get(&state.db, &job.product_id, None)
        .await?
        .ok_or(ApiError::NotFound)?;
    let model = db::models::get(&state.db, &job.model_id, None).await?;
    let pending = matches!(job.status, JobStatus::Queued | JobStatus::Running);
    let failure = (job.status == JobStatus::Failed).then(|| {
        job.error
            .as_ref()
            .map_or_else(|| words::for_code("internal"), |e| words::for_code(&e.code))
    });
    // Suggestions once there is a result to suggest beside.
    let suggestions = if job.status == JobStatus::Succeeded {
        recommendations::also_like(&state, &visitor, &product).await
    } else {
        Vec::new()
    };
    render(&ResultPage {
        suggestions,
        chrome: Chrome::new(&state, &visitor).await?,
        picture: Picture::of_job(&job),
        flagged: !job.failed_checks.is_empty(),
        job_id: job.job_id,
        sizes: product::sizes(&product.sizes),
        product: ProductCard::of(&product),
        model_photo: model
            .as_ref()
            .map(crate::web::cards::model_photo)
            .unwrap_or_default(),
        model_name: model.map(|m| m.name).unwrap_or_default(),
        model_id: job.model_id,
        pending,
        failure,
        styles: STYLES
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect(),
    })
}

/// The style variations offered on the result page: value and label.
const STYLES: [(&str, &str); 3] = [
    ("casual", "Casual"),
    ("formal", "Formal"),
    ("party", "Party"),
];

/// Where a job stands, for the page's script.
#[derive(Debug, Serialize)]
pub struct StatusView {
    /// `queued`, `running`, `succeeded` or `failed`.
    status: JobStatus,
    /// Whether it will not change any more.
    done: bool,
}

/// `GET /tryons/{id}/status`: the job's status as JSON (polled by the result page).
pub async fn status(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Json<StatusView>, ApiError> {
    let user = visitor.auth_user().ok_or(ApiError::Unauthorized)?;
    let JsonBody(job) = api::get_job(State(state), user, ApiPath(id)).await?;
    Ok(Json(StatusView {
        done: matches!(job.status, JobStatus::Succeeded | JobStatus::Failed),
        status: job.status,
    }))
}

/// `GET /tryons/{id}/events`: the job's status as Server-Sent Events (the result page listens,
/// and polls `/status` where it cannot).
pub async fn events(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    let user = visitor.auth_user().ok_or(ApiError::Unauthorized)?;
    let stream = crate::routes::tryon_events::status_stream(state, id, user.id).await?;
    Ok(axum::response::IntoResponse::into_response(stream))
}

/// A style variation asked for on the result page.
#[derive(Debug, Deserialize)]
pub struct StyleForm {
    #[serde(default)]
    csrf: String,
    style: StyleName,
    colour: Option<String>,
    background: Option<String>,
}

#[derive(Template)]
#[template(path = "style.html")]
struct StylePage {
    chrome: Chrome,
    job_id: String,
    style: String,
    pictures: Vec<Picture>,
}

/// `POST /tryons/{id}/style`: makes a variation of the result and shows it.
pub async fn style(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<StyleForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let user = visitor.require_user(&format!("/tryons/{id}"))?;
    let body = VariationsBody {
        style: form.style,
        colour: form.colour.filter(|c| !c.trim().is_empty()),
        background: form.background.filter(|b| !b.trim().is_empty()),
        samples: Some(1),
    };
    let JsonBody(view) = variations::create(
        State(state.clone()),
        user,
        ApiPath(id.clone()),
        ApiJson(body),
    )
    .await?;
    render(&StylePage {
        chrome: Chrome::new(&state, &visitor).await?,
        job_id: id,
        style: view.style,
        pictures: view.images.iter().map(Picture::of).collect(),
    })
}
