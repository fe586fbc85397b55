//! GDPR: a user exports or deletes their data. Deleting an account removes its try-on history
//! and feedback, and for a retailer its catalog, its uploaded photos and every result image made
//! from them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{AuthUser, Role};
use crate::db::{self, models::ModelFilter, products::ProductFilter};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::files::UploadKind;
use crate::routes::accounts::UserView;
use crate::routes::models::ModelView;
use crate::routes::products::ProductView;
use crate::routes::tryon::FeedbackView;
use crate::state::AppState;

/// Largest number of rows of one kind exported or deleted through the catalog listing.
const MAX_ROWS: i64 = 1_000_000;

/// Everything the server holds about a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataExport {
    /// The account (without its password hash).
    pub user: UserView,
    /// Try-on history, newest first.
    pub tryons: Vec<ExportedJob>,
    /// Feedback given.
    pub feedback: Vec<FeedbackView>,
    /// A retailer's models.
    pub models: Vec<ModelView>,
    /// A retailer's products.
    pub products: Vec<ProductView>,
    /// Saved body measurements in centimetres, if any.
    #[schema(value_type = Option<Object>)]
    pub measurements: Option<serde_json::Value>,
}

/// One try-on in an export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedJob {
    /// Job id.
    pub job_id: String,
    /// The model.
    pub model_id: String,
    /// The product.
    pub product_id: String,
    /// Final status.
    pub status: String,
    /// Result content key.
    pub result_key: Option<String>,
    /// Creation time.
    pub created_at: i64,
}

/// Exports the caller's data as JSON.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's data", body = DataExport),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
pub async fn export(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<DataExport>> {
    let row = db::users::find(&state.db, &user.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let tryons = db::tryon::history(&state.db, &user.id, MAX_ROWS, 0)
        .await?
        .into_iter()
        .map(|j| ExportedJob {
            job_id: j.id,
            model_id: j.model_id,
            product_id: j.product_id,
            status: j.status,
            result_key: j.result_key,
            created_at: j.created_at,
        })
        .collect();
    let feedback = db::tryon::feedback_of_user(&state.db, &user.id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let (models, products) = if user.role == Role::Retailer {
        let models = db::models::list(
            &state.db,
            &ModelFilter {
                retailer_id: Some(user.id.clone()),
                ..ModelFilter::default()
            },
            MAX_ROWS,
            0,
        )
        .await?;
        let products = db::products::list(
            &state.db,
            &ProductFilter {
                retailer_id: Some(user.id.clone()),
                ..ProductFilter::default()
            },
            MAX_ROWS,
            0,
        )
        .await?;
        (
            models.into_iter().map(Into::into).collect(),
            products.into_iter().map(Into::into).collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let measurements = crate::recommend::measurements::load(&state.db, &user.id)
        .await?
        .map(|m| crate::recommend::measurements::to_json(&m));
    Ok(Json(DataExport {
        measurements,
        user: UserView::from_row(row)?,
        tryons,
        feedback,
        models,
        products,
    }))
}

/// Deletes the caller's account and data.
#[utoipa::path(delete, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 204, description = "Account and data deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
pub async fn delete_me(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    let mut files = Vec::new();
    if user.role == Role::Retailer {
        let scope = Some(user.id.clone());
        let models = db::models::list(
            &state.db,
            &ModelFilter {
                retailer_id: scope.clone(),
                ..ModelFilter::default()
            },
            MAX_ROWS,
            0,
        )
        .await?;
        let products = db::products::list(
            &state.db,
            &ProductFilter {
                retailer_id: scope,
                ..ProductFilter::default()
            },
            MAX_ROWS,
            0,
        )
        .await?;
        for m in models {
            state.cache.invalidate(&m.id);
            files.push((UploadKind::Model, m.image_file));
        }
        for p in products {
            state.cache.invalidate(&p.id);
            if let Some(file) = p.image_file {
                files.push((UploadKind::Product, file));
            }
        }
    }
    state.analytics.forget_shopper(&user.id).await?;
    // First, so that a store that does not answer leaves the account whole rather than its
    // sessions open.
    state.sessions.delete_of_user(&user.id).await?;
    if !db::users::delete(&state.db, &user.id).await? {
        return Err(ApiError::Unauthorized);
    }
    state.accounts.forget(&user.id).await;
    if user.role == Role::Retailer {
        state.catalog.changed();
    }
    // The models hold the shopper's history until rebuilt.
    state.recommendations.mark_all_stale();
    state.cache.forget_recent_history();
    for (kind, file) in files {
        let erased = forget_photo(&state, kind, &file).await;
        // The records of the erased results go too, so that no repeat answers `cached` with
        // images that are gone.
        db::tryon::delete_results(&state.db, &erased).await?;
        state.files.remove_upload(kind, &file).await;
    }
    db::flush_erased(&state.db).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Erases everything made from an uploaded photo (try-on results, flagged results, variations)
/// from the result store, Redis and memory, before the photo itself goes. The account is gone
/// already, so a failure is logged, not returned; `fitview forget --photo` can finish the job.
/// Returns the keys of the results erased.
async fn forget_photo(state: &AppState, kind: UploadKind, file: &str) -> Vec<String> {
    let Ok(bytes) = state.files.read_upload(kind, file).await else {
        return Vec::new();
    };
    let erased = async {
        let hash = state.engine.input_hash(bytes).await?;
        state.engine.delete_derived_from(&hash, false).await
    };
    match erased.await {
        Ok(report) => {
            tracing::info!(
                results = report.results.len(),
                "erased the results of a deleted photo"
            );
            report
                .results
                .iter()
                .map(|key| key.as_str().to_owned())
                .collect()
        }
        Err(error) => {
            tracing::warn!(%error, "could not erase the results of a deleted photo");
            Vec::new()
        }
    }
}
