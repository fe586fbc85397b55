//! The shopper's earlier try-ons, and two or more of them compared side by side.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Json, Response};

use crate::db;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::Page;
use crate::routes::tryon::{self as api, JobStatus, JobView};
use crate::state::AppState;
use crate::web::PageError;
use crate::web::cards::Picture;
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::session::Visitor;

/// Try-ons the history lists.
const HISTORY_SIZE: u32 = 50;
/// Most try-ons compared at once.
const MAX_COMPARED: usize = 4;

/// A try-on as a card.
struct TryOnCard {
    job_id: String,
    product_name: String,
    picture: Option<Picture>,
    status: String,
}

async fn card(state: &AppState, job: &JobView) -> Result<TryOnCard, PageError> {
    let product_name = db::products::get(&state.db, &job.product_id, None)
        .await?
        .map_or_else(|| "A removed product".to_owned(), |p| p.name);
    Ok(TryOnCard {
        job_id: job.job_id.clone(),
        product_name,
        picture: Picture::of_job(job),
        status: match job.status {
            JobStatus::Queued | JobStatus::Running => "In progress",
            JobStatus::Succeeded => "Ready",
            JobStatus::Failed => "Failed",
        }
        .to_owned(),
    })
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    chrome: Chrome,
    tryons: Vec<TryOnCard>,
}

/// `GET /history`.
pub async fn list(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let user = visitor.require_user("/history")?;
    let page = Page {
        limit: Some(HISTORY_SIZE),
        offset: None,
    };
    let Json(jobs) = api::history(State(state.clone()), user, ApiQuery(page)).await?;
    let mut tryons = Vec::with_capacity(jobs.len());
    for job in &jobs {
        tryons.push(card(&state, job).await?);
    }
    render(&HistoryPage {
        chrome: Chrome::new(&state, &visitor).await?,
        tryons,
    })
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    chrome: Chrome,
    tryons: Vec<TryOnCard>,
}

/// `GET /compare?job=..&job=..`: the shopper's own try-ons side by side.
pub async fn compare(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = visitor.require_user("/history")?;
    let mut tryons = Vec::new();
    for (_, id) in pairs.iter().filter(|(k, _)| k == "job").take(MAX_COMPARED) {
        let Json(job) =
            api::get_job(State(state.clone()), user.clone(), ApiPath(id.clone())).await?;
        tryons.push(card(&state, &job).await?);
    }
    render(&ComparePage {
        chrome: Chrome::new(&state, &visitor).await?,
        tryons,
    })
}
