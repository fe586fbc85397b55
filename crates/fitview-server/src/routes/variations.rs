//! Style variations of a finished try-on: the same result in a casual, formal or party scene, in
//! another colour, or on another background, made by the engine's style provider.
//!
//! Variations are stored like results, in the result store with a sidecar recording the inputs of
//! the result they vary (so erasing those photos erases them too), served by
//! `/api/v1/images/{key}/...`, and remembered by (result, style, samples, style provider), so
//! asking again answers at once.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use fitview_engine::store::Provenance;
use fitview_engine::{ContentKey, OutputOptions, Style};
use fitview_insights::EventKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::analytics::server_event;
use crate::auth::AuthUser;
use crate::db::{self, tryon::ResultRow};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::jobs::parse_images;
use crate::routes::quality::{self, FailedCheck};
use crate::routes::tryon::{ResultImage, result_view};
use crate::state::AppState;

/// Most variations one request may ask for.
const MAX_SAMPLES: u8 = 4;
/// Longest colour or background description, in characters.
const MAX_STYLE_TEXT: usize = 200;

/// The scene or edit of a variation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StyleName {
    /// A relaxed everyday scene.
    Casual,
    /// An office or evening-formal scene.
    Formal,
    /// A party scene with festive lighting.
    Party,
    /// The same garment in another colour (`colour` says which).
    Colour,
    /// Another background (`background` says what).
    Background,
}

/// Variations to make of a finished try-on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationsBody {
    /// The scene or edit.
    pub style: StyleName,
    /// For `colour`: a colour name or `#rrggbb`.
    pub colour: Option<String>,
    /// For `background`: what the background should be.
    pub background: Option<String>,
    /// How many variations (1-4, default 1).
    #[schema(minimum = 1, maximum = 4)]
    pub samples: Option<u8>,
}

/// Variations of a try-on.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariationsView {
    /// The try-on job they vary.
    pub job_id: String,
    /// The style, as a short stable name (`casual`, `color-red`, ...).
    pub style: String,
    /// Whether they were made earlier and answered from storage.
    pub cached: bool,
    /// Key of the stored images.
    pub key: String,
    /// One image per sample, with thumbnails.
    pub images: Vec<ResultImage>,
    /// The quality checks the images failed; empty when they passed. Flagged variations are
    /// returned but not remembered: asking again makes them again.
    pub failed_checks: Vec<FailedCheck>,
}

fn style_text(text: Option<String>, field: &str, style: &str) -> ApiResult<String> {
    let text = text.map(|t| t.trim().to_owned()).unwrap_or_default();
    if text.is_empty() {
        return Err(ApiError::Validation(format!(
            "`{field}` is required for the `{style}` style"
        )));
    }
    if text.chars().count() > MAX_STYLE_TEXT {
        return Err(ApiError::Validation(format!(
            "`{field}` must have at most {MAX_STYLE_TEXT} characters"
        )));
    }
    Ok(text)
}

impl VariationsBody {
    /// The engine's style and the sample count, checked.
    fn style(self) -> ApiResult<(Style, u8)> {
        let samples = self.samples.unwrap_or(1);
        if !(1..=MAX_SAMPLES).contains(&samples) {
            return Err(ApiError::Validation(format!(
                "`samples` must be between 1 and {MAX_SAMPLES}"
            )));
        }
        let style = match self.style {
            StyleName::Casual => Style::Casual,
            StyleName::Formal => Style::Formal,
            StyleName::Party => Style::Party,
            StyleName::Colour => Style::ColorVariant {
                color: style_text(self.colour, "colour", "colour")?,
            },
            StyleName::Background => Style::Background {
                description: style_text(self.background, "background", "background")?,
            },
        };
        Ok((style, samples))
    }
}

/// The storage key of a variation: the same result, style, count and style provider give the
/// same key (64 hex digits, like the engine's content keys).
fn variation_key(state: &AppState, result_key: &str, style: &Style, samples: u8) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"fitview-server/variation/v1\0");
    hasher.update(result_key.as_bytes());
    hasher.update(b"\0");
    // The full style (not its slug, which folds some texts together).
    hasher.update(serde_json::to_string(style).unwrap_or_default().as_bytes());
    hasher.update(&[0, samples]);
    if let Some(provider) = state.engine.style_provider() {
        hasher.update(provider.name().as_bytes());
        hasher.update(b"\0");
        hasher.update(provider.model().as_bytes());
        hasher.update(b"\0");
        // A new prompt template makes new images.
        hasher.update(provider.prompt_version().as_bytes());
    }
    // So does a new pipeline (e.g. how unchanged pixels are restored).
    hasher.update(b"\0");
    hasher.update(fitview_engine::PIPELINE_VERSION.as_bytes());
    hasher.finalize().to_hex().to_string()
}

/// Makes style variations of one of the caller's finished try-ons.
#[utoipa::path(post, path = "/api/v1/tryon/{id}/variations", tag = "tryon", request_body = VariationsBody,
    params(("id" = String, Path, description = "Job id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The variations", body = VariationsView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such job of the caller", body = ErrorBody),
        (status = 409, description = "The try-on has not succeeded (yet)", body = ErrorBody),
        (status = 422, description = "Invalid style, or more samples than the style provider makes", body = ErrorBody),
        (status = 429, description = "Too many try-ons; see Retry-After", body = ErrorBody),
        (status = 503, description = "Busy or no style provider available; see Retry-After", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<VariationsBody>,
) -> ApiResult<Json<VariationsView>> {
    let (style, samples) = body.style()?;
    let job = db::tryon::get_job(&state.db, &id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let (Some(result_key), Some(images)) = (job.result_key, job.images) else {
        return Err(ApiError::Conflict(
            "the try-on has no result yet: wait until it has succeeded".to_owned(),
        ));
    };
    let key = variation_key(&state, &result_key, &style, samples);
    let storage_key = format!("variation:{key}");
    let view =
        |images: &[crate::results::StoredImage], cached: bool, failed_checks| VariationsView {
            job_id: id.clone(),
            style: style.slug(),
            cached,
            images: result_view(&key, images).images,
            key: key.clone(),
            failed_checks,
        };
    if let Some(stored) = db::tryon::get_result(&state.db, &storage_key).await? {
        return Ok(Json(view(&parse_images(&stored.images)?, true, Vec::new())));
    }

    // Making one costs a provider call, like a try-on.
    state.tryon_limiter.check(&user.id).await?;
    let _slot = state.direct_work.try_acquire()?;
    let source = parse_images(&images)?;
    let first = source
        .first()
        .ok_or_else(|| ApiError::internal("a succeeded job without images"))?;
    let (bytes, _) = state.results.read(&result_key, &first.file).await?;
    let retailer = db::products::get(&state.db, &job.product_id, None)
        .await?
        .map(|p| p.retailer_id);
    if let Some(retailer) = &retailer {
        crate::spend::check(&state, retailer).await?;
    }
    let made = state
        .engine
        .variations(bytes, style.clone(), samples, OutputOptions::default())
        .await?;
    if let Some(retailer) = &retailer {
        let cost = made.usage.estimated_cost_usd;
        crate::spend::record_logged(&state.db, retailer, &made.provider, &made.model, cost).await;
    }
    let event = EventKind::VariationCreated;
    state.analytics.record(server_event(
        event,
        &user.id,
        &job.product_id,
        Some(&job.model_id),
        Some(&made.usage),
    ));
    let from: ContentKey = result_key.parse()?;
    let provenance = Provenance {
        provider: made.provider.clone(),
        model: made.model.clone(),
        prompt_version: state
            .engine
            .style_provider()
            .map(|p| p.prompt_version().to_owned())
            .unwrap_or_default(),
        inputs: Vec::new(),
        metadata: serde_json::Map::new(),
    };
    let stored = state
        .results
        .put_derived(&key.parse()?, &from, provenance, &made.images)
        .await?;
    if made.is_flagged() {
        state
            .metrics
            .flagged_results
            .fetch_add(1, Ordering::Relaxed);
        return Ok(Json(view(
            &stored,
            false,
            quality::views(&made.failed_checks),
        )));
    }
    let row = ResultRow {
        result_key: key.clone(),
        images: serde_json::to_string(&stored).map_err(ApiError::internal)?,
    };
    db::tryon::put_result(&state.db, &storage_key, &row).await?;
    Ok(Json(view(&stored, false, Vec::new())))
}
