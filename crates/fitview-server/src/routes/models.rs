//! A retailer's model photos: upload with metadata, listing with filters, popularity.

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use fitview_engine::BodyLandmarks;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Role};
use crate::db::{self, models::ModelFilter, models::ModelRow};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::files::{Files, UploadKind};
use crate::routes::upload::Upload;
use crate::routes::{ImageView, page_bounds};
use crate::state::AppState;
use crate::text::{self, Lines};

/// The multipart form of a model upload (documentation of the fields).
#[derive(Debug, ToSchema)]
pub struct ModelUpload {
    /// The photo (JPEG, PNG or WebP).
    #[schema(value_type = String, format = Binary)]
    pub image: Vec<u8>,
    /// Name shown to shoppers.
    pub name: String,
    /// Body type, e.g. `slim`, `average`, `curvy`.
    pub body_type: Option<String>,
    /// Clothing size worn, e.g. `M`.
    pub size: Option<String>,
    /// Height in centimetres.
    pub height_cm: Option<f64>,
    /// Skin tone.
    pub skin_tone: Option<String>,
    /// Measurements, a JSON object (e.g. `{"chest_cm": 92}`).
    pub measurements: Option<String>,
    /// Body landmarks in the photo's pixels, JSON (see the engine's `BodyLandmarks`).
    pub landmarks: Option<String>,
}

/// A model as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelView {
    /// Id.
    pub id: String,
    /// Owning retailer.
    pub retailer_id: String,
    /// Name.
    pub name: String,
    /// Body type.
    pub body_type: Option<String>,
    /// Size worn.
    pub size: Option<String>,
    /// Height in centimetres.
    pub height_cm: Option<f64>,
    /// Measurements.
    #[schema(value_type = Option<Object>)]
    pub measurements: Option<serde_json::Value>,
    /// Skin tone.
    pub skin_tone: Option<String>,
    /// Body landmarks.
    #[schema(value_type = Option<Object>)]
    pub landmarks: Option<serde_json::Value>,
    /// The photo.
    pub image: ImageView,
    /// Try-ons made with this model.
    pub popularity: i64,
    /// Creation time (seconds since the epoch).
    pub created_at: i64,
}

impl From<ModelRow> for ModelView {
    fn from(row: ModelRow) -> Self {
        let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        ModelView {
            image: ImageView {
                url: format!("/api/v1/models/{}/image", row.id),
                width: u32::try_from(row.image_width).unwrap_or(0),
                height: u32::try_from(row.image_height).unwrap_or(0),
            },
            measurements: json(row.measurements),
            landmarks: json(row.landmarks),
            id: row.id,
            retailer_id: row.retailer_id,
            name: row.name,
            body_type: row.body_type,
            size: row.size,
            height_cm: row.height_cm,
            skin_tone: row.skin_tone,
            popularity: row.tryon_count,
            created_at: row.created_at,
        }
    }
}

/// Filters of the model listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModelQuery {
    /// Only this body type.
    pub body_type: Option<String>,
    /// Only this size.
    pub size: Option<String>,
    /// Only this retailer's models (customers and admins; a retailer always sees its own).
    pub retailer_id: Option<String>,
    /// `popular` for most tried-on first; newest first otherwise.
    pub sort: Option<String>,
    /// Page size.
    #[param(minimum = 1)]
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u32>,
}

fn short_text(upload: &Upload, name: &str, max: usize) -> ApiResult<Option<String>> {
    if let Some(value) = upload.text(name) {
        text::check(name, &value, Lines::One)?;
    }
    match upload.text(name) {
        Some(v) if v.chars().count() > max => Err(ApiError::Validation(format!(
            "`{name}` must have at most {max} characters"
        ))),
        other => Ok(other),
    }
}

/// A model's details as a form gives them (the photo apart).
struct Details {
    name: String,
    body_type: Option<String>,
    size: Option<String>,
    height_cm: Option<f64>,
    measurements: Option<String>,
    skin_tone: Option<String>,
    landmarks: Option<BodyLandmarks>,
}

impl Details {
    /// The details of a form, checked.
    fn of(upload: &Upload) -> ApiResult<Details> {
        let name = short_text(upload, "name", 100)?
            .ok_or_else(|| ApiError::Validation("`name` is required".to_owned()))?;
        let height_cm = match upload.text("height_cm") {
            Some(h) => match h.parse::<f64>() {
                Ok(h) if h > 0.0 && h < 300.0 => Some(h),
                _ => {
                    return Err(ApiError::Validation(
                        "`height_cm` must be a number between 0 and 300".to_owned(),
                    ));
                }
            },
            None => None,
        };
        let measurements = match upload.text("measurements") {
            Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(value @ serde_json::Value::Object(_)) => Some(value.to_string()),
                _ => {
                    return Err(ApiError::Validation(
                        "`measurements` must be a JSON object".to_owned(),
                    ));
                }
            },
            None => None,
        };
        let landmarks = match upload.text("landmarks") {
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| ApiError::Validation(format!("`landmarks` is not valid: {e}")))?,
            ),
            None => None,
        };
        Ok(Details {
            name,
            body_type: short_text(upload, "body_type", 50)?,
            size: short_text(upload, "size", 20)?,
            height_cm,
            measurements,
            skin_tone: short_text(upload, "skin_tone", 50)?,
            landmarks,
        })
    }

    /// The details written into `row`, the landmarks checked against a photo of `size`.
    /// Landmarks belong to the photo: a form without them keeps the row's.
    fn apply(self, row: &mut ModelRow, size: (u32, u32)) -> ApiResult<()> {
        // Every point finite and inside the photo (a number beyond f32 parses as infinity).
        if let Some(mut landmarks) = self.landmarks {
            landmarks.validate(size)?;
            row.landmarks = Some(serde_json::to_string(&landmarks).map_err(ApiError::internal)?);
        }
        row.name = self.name;
        row.body_type = self.body_type;
        row.size = self.size;
        row.height_cm = self.height_cm;
        row.measurements = self.measurements;
        row.skin_tone = self.skin_tone;
        Ok(())
    }
}

/// Uploads a model photo with its metadata (retailers only).
#[utoipa::path(post, path = "/api/v1/models", tag = "models", security(("bearer" = [])),
    request_body(content = ModelUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Model created", body = ModelView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 413, description = "Upload too large", body = ErrorBody),
        (status = 415, description = "Not a JPEG, PNG or WebP image", body = ErrorBody),
        (status = 422, description = "Invalid metadata", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<ModelView>)> {
    user.require(&[Role::Retailer])?;
    let upload = Upload::read(multipart?).await?;
    let row = create_from(&state, &user, &upload).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Creates a model of the retailer `user` from a form: its details and its `image`.
pub async fn create_from(
    state: &AppState,
    user: &AuthUser,
    upload: &Upload,
) -> ApiResult<ModelRow> {
    user.require(&[Role::Retailer])?;
    let details = Details::of(upload)?;
    let image = upload.image()?;
    let info = Files::validate(image.clone(), state.engine.config().limits).await?;
    let id = db::new_id();
    let mut row = ModelRow {
        id: id.clone(),
        retailer_id: user.id.clone(),
        name: String::new(),
        body_type: None,
        size: None,
        height_cm: None,
        measurements: None,
        skin_tone: None,
        landmarks: None,
        image_file: String::new(),
        image_width: i64::from(info.width),
        image_height: i64::from(info.height),
        tryon_count: 0,
        created_at: db::now(),
    };
    details.apply(&mut row, (info.width, info.height))?;
    let pool = &state.db;
    state
        .files
        .save_with_record(
            UploadKind::Model,
            &id,
            info.format,
            &image,
            |file| async move {
                row.image_file = file;
                db::models::insert(pool, &row).await?;
                Ok::<_, ApiError>(row)
            },
        )
        .await
}

/// Replaces a model's details (its owner only); an `image` part replaces its photo too. The
/// landmarks are kept unless the form has new ones or a new photo.
#[utoipa::path(put, path = "/api/v1/models/{id}", tag = "models", security(("bearer" = [])),
    params(("id" = String, Path, description = "Model id")),
    request_body(content = ModelUpload, content_type = "multipart/form-data",
        description = "The model's details; `image` is optional here (the photo is kept without it)"),
    responses(
        (status = 200, description = "Model updated", body = ModelView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such model of the caller", body = ErrorBody),
        (status = 413, description = "Upload too large", body = ErrorBody),
        (status = 415, description = "Not a JPEG, PNG or WebP image", body = ErrorBody),
        (status = 422, description = "Invalid metadata", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<ModelView>> {
    user.require(&[Role::Retailer])?;
    let upload = Upload::read(multipart?).await?;
    Ok(Json(update_from(&state, &user, &id, &upload).await?.into()))
}

/// Replaces the details of the retailer `user`'s model `id` from a form; a non-empty `image`
/// replaces its photo (and the try-ons made from the old photo are no longer offered for it).
pub async fn update_from(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    upload: &Upload,
) -> ApiResult<ModelRow> {
    user.require(&[Role::Retailer])?;
    let old = db::models::get(&state.db, id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let details = Details::of(upload)?;
    let mut row = old.clone();
    let row = match upload.files.get("image").filter(|b| !b.is_empty()) {
        None => {
            let size = (
                u32::try_from(old.image_width).unwrap_or(0),
                u32::try_from(old.image_height).unwrap_or(0),
            );
            details.apply(&mut row, size)?;
            if !db::models::update(&state.db, &row).await? {
                return Err(ApiError::NotFound);
            }
            row
        }
        Some(image) => {
            let info = Files::validate(image.clone(), state.engine.config().limits).await?;
            // The old photo's landmarks do not fit the new one.
            row.landmarks = None;
            details.apply(&mut row, (info.width, info.height))?;
            row.image_width = i64::from(info.width);
            row.image_height = i64::from(info.height);
            let pool = &state.db;
            let row = state
                .files
                .save_with_record(
                    UploadKind::Model,
                    id,
                    info.format,
                    image,
                    |file| async move {
                        row.image_file = file;
                        match db::models::update(pool, &row).await? {
                            true => Ok(row),
                            false => Err(ApiError::NotFound),
                        }
                    },
                )
                .await?;
            state
                .files
                .remove_upload(UploadKind::Model, &old.image_file)
                .await;
            row
        }
    };
    state.cache.invalidate(id);
    Ok(row)
}

/// Lists models: a retailer sees its own, customers and admins every retailer's.
#[utoipa::path(get, path = "/api/v1/models", tag = "models", params(ModelQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "Models", body = Vec<ModelView>),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<ModelQuery>,
) -> ApiResult<Json<Vec<ModelView>>> {
    let (limit, offset) = page_bounds(&state, query.limit, query.offset)?;
    let filter = ModelFilter {
        retailer_id: user
            .catalog_scope()
            .map(str::to_owned)
            .or(query.retailer_id),
        body_type: query.body_type,
        size: query.size,
        by_popularity: query.sort.as_deref() == Some("popular"),
    };
    let rows = db::models::list(&state.db, &filter, limit, offset).await?;
    Ok(Json(rows.into_iter().map(ModelView::from).collect()))
}

/// Loads a model visible to the caller; 404 for one that is not (never 403: ids do not leak).
pub async fn visible(state: &AppState, user: &AuthUser, id: &str) -> ApiResult<ModelRow> {
    db::models::get(&state.db, id, user.catalog_scope())
        .await?
        .ok_or(ApiError::NotFound)
}

/// One model.
#[utoipa::path(get, path = "/api/v1/models/{id}", tag = "models", security(("bearer" = [])),
    params(("id" = String, Path, description = "Model id")),
    responses(
        (status = 200, description = "The model", body = ModelView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such model visible to the caller", body = ErrorBody),
    ))]
pub async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ModelView>> {
    Ok(Json(visible(&state, &user, &id).await?.into()))
}

/// The model's photo.
#[utoipa::path(get, path = "/api/v1/models/{id}/image", tag = "models", security(("bearer" = [])),
    params(("id" = String, Path, description = "Model id")),
    responses(
        (status = 200, description = "The photo", content_type = "image/*"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such model visible to the caller", body = ErrorBody),
    ))]
pub async fn image(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<impl IntoResponse> {
    let row = visible(&state, &user, &id).await?;
    let bytes = state
        .files
        .read_upload(UploadKind::Model, &row.image_file)
        .await?;
    Ok((
        [(header::CONTENT_TYPE, upload_mime(&row.image_file))],
        bytes,
    ))
}

/// MIME type of an uploaded file, by the extension we gave it.
pub fn upload_mime(file: &str) -> &'static str {
    match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    }
}

/// Deletes a model (its owner only).
#[utoipa::path(delete, path = "/api/v1/models/{id}", tag = "models", security(("bearer" = [])),
    params(("id" = String, Path, description = "Model id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such model of the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    user.require(&[Role::Retailer])?;
    let row = db::models::get(&state.db, &id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    if !db::models::delete(&state.db, &id, &user.id).await? {
        return Err(ApiError::NotFound);
    }
    state.cache.invalidate(&id);
    state
        .files
        .remove_upload(UploadKind::Model, &row.image_file)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
