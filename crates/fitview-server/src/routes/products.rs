//! Products: CRUD, categories, filters, search, size charts, stock and garment photos.

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use fitview_engine::GarmentCategory;
use fitview_insights::recommend::size::SizeChart;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Role};
use crate::db::{self, products::ProductFilter, products::ProductRow};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::files::{Files, UploadKind};
use crate::recommend::json_text::JsonText;
use crate::routes::models::upload_mime;
use crate::routes::upload::Upload;
use crate::routes::{ImageView, page_bounds};
use crate::state::AppState;
use crate::text::{self, Lines};

/// A product's details, as created or replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    /// Name (1-200 characters).
    pub name: String,
    /// Description (at most 5000 characters).
    #[serde(default)]
    pub description: String,
    /// Shop category, e.g. `shirts` (1-64 characters).
    pub category: String,
    /// Where the garment goes: `top`, `bottom`, `one-piece`, `saree`, `lehenga`,
    /// `salwar-kameez`, `kurta`, `dupatta` or `auto` (default).
    #[serde(default)]
    pub garment_category: Option<String>,
    /// Sizes on sale (at most 20, each at most 16 characters).
    #[serde(default)]
    pub sizes: Vec<String>,
    /// Colour.
    pub colour: Option<String>,
    /// Price in minor units (cents).
    #[schema(minimum = 0)]
    pub price_cents: i64,
    /// ISO 4217 currency code (default `USD`).
    pub currency: Option<String>,
    /// Units in stock.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub stock: i64,
    /// Size chart: `{"unit": "cm" | "in", "sizes": {"S": {"chest": [84, 90], ...}, ...}}`,
    /// sizes smallest first, measurements among `chest` (or `bust`), `waist`, `hip`, `height`,
    /// `inseam`, each `[min, max]` (docs/recommendations.md); a chart that is not is refused
    /// with the path of the field at fault.
    #[schema(value_type = Option<Object>)]
    pub size_chart: Option<JsonText>,
}

/// A product as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    /// Id.
    pub id: String,
    /// Owning retailer.
    pub retailer_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Shop category.
    pub category: String,
    /// Garment category for try-ons.
    pub garment_category: String,
    /// Sizes on sale.
    pub sizes: Vec<String>,
    /// Colour.
    pub colour: Option<String>,
    /// Price in minor units.
    pub price_cents: i64,
    /// Currency.
    pub currency: String,
    /// Units in stock.
    pub stock: i64,
    /// Whether any unit is in stock.
    pub in_stock: bool,
    /// Size chart.
    #[schema(value_type = Option<Object>)]
    pub size_chart: Option<serde_json::Value>,
    /// The garment photo, once uploaded.
    pub image: Option<ImageView>,
    /// Creation time (seconds since the epoch).
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

impl From<ProductRow> for ProductView {
    fn from(row: ProductRow) -> Self {
        let image = row.image_file.as_ref().map(|_| ImageView {
            url: format!("/api/v1/products/{}/image", row.id),
            width: row
                .image_width
                .and_then(|w| u32::try_from(w).ok())
                .unwrap_or(0),
            height: row
                .image_height
                .and_then(|h| u32::try_from(h).ok())
                .unwrap_or(0),
        });
        ProductView {
            sizes: serde_json::from_str(&row.sizes).unwrap_or_default(),
            size_chart: row
                .size_chart
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok()),
            in_stock: row.stock > 0,
            image,
            id: row.id,
            retailer_id: row.retailer_id,
            name: row.name,
            description: row.description,
            category: row.category,
            garment_category: row.garment_category,
            colour: row.colour,
            price_cents: row.price_cents,
            currency: row.currency,
            stock: row.stock,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Filters of the product listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Only this shop category.
    pub category: Option<String>,
    /// Only products sold in this size.
    pub size: Option<String>,
    /// Only this colour (case-insensitive).
    pub colour: Option<String>,
    /// Lowest price, minor units.
    pub min_price_cents: Option<i64>,
    /// Highest price, minor units.
    pub max_price_cents: Option<i64>,
    /// Search in name and description (case-insensitive substring).
    pub q: Option<String>,
    /// Only this retailer's products (customers and admins; a retailer always sees its own).
    pub retailer_id: Option<String>,
    /// Page size.
    #[param(minimum = 1)]
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u32>,
}

/// A category and how many products are in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCount {
    /// The shop category.
    pub category: String,
    /// Products in it.
    pub products: i64,
}

/// `value` trimmed, within `min..=max` characters and free of control and invisible characters
/// (line breaks allowed in a description).
fn bounded(value: &str, name: &str, min: usize, max: usize) -> ApiResult<String> {
    let value = value.trim();
    let lines = match name {
        "description" => Lines::Many,
        _ => Lines::One,
    };
    text::check(name, value, lines)?;
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ApiError::Validation(format!(
            "`{name}` must have {min} to {max} characters"
        )));
    }
    Ok(value.to_owned())
}

/// Checks and normalizes a product's details into a record (id, owner and times are the caller's).
fn to_row(
    input: ProductInput,
    id: String,
    retailer_id: String,
    created_at: i64,
) -> ApiResult<ProductRow> {
    let garment_category = match input.garment_category.as_deref() {
        Some(c) => c.parse::<GarmentCategory>()?,
        None => GarmentCategory::Auto,
    };
    if input.sizes.len() > 20 {
        return Err(ApiError::Validation("at most 20 sizes".to_owned()));
    }
    let sizes = input
        .sizes
        .iter()
        .map(|s| bounded(s, "sizes[]", 1, 16))
        .collect::<ApiResult<Vec<_>>>()?;
    if !(0..=10_000_000_000).contains(&input.price_cents) {
        return Err(ApiError::Validation(
            "`price_cents` must be between 0 and 10^10".to_owned(),
        ));
    }
    if !(0..=1_000_000_000).contains(&input.stock) {
        return Err(ApiError::Validation(
            "`stock` must be between 0 and 10^9".to_owned(),
        ));
    }
    let currency = input
        .currency
        .unwrap_or_else(|| "USD".to_owned())
        .to_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::Validation(
            "`currency` must be a 3-letter ISO 4217 code".to_owned(),
        ));
    }
    // Kept as sent: a chart's sizes are ordered by their place in the object.
    let size_chart = match input.size_chart {
        None => None,
        Some(JsonText(text)) if text == "null" => None,
        Some(JsonText(text)) if text.starts_with('{') => {
            if text.len() > 16 * 1024 {
                return Err(ApiError::Validation("`size_chart` is too large".to_owned()));
            }
            SizeChart::from_json(&text)
                .map_err(|e| ApiError::Validation(format!("`size_chart`: {e}")))?;
            Some(text)
        }
        Some(_) => {
            return Err(ApiError::Validation(
                "`size_chart` must be a JSON object".to_owned(),
            ));
        }
    };
    let colour = match input.colour.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(c) => Some(bounded(c, "colour", 1, 32)?),
    };
    Ok(ProductRow {
        id,
        retailer_id,
        name: bounded(&input.name, "name", 1, 200)?,
        description: bounded(&input.description, "description", 0, 5000)?,
        category: bounded(&input.category, "category", 1, 64)?,
        garment_category: garment_category.as_str().to_owned(),
        sizes: serde_json::to_string(&sizes).map_err(ApiError::internal)?,
        colour,
        price_cents: input.price_cents,
        currency,
        stock: input.stock,
        size_chart,
        image_file: None,
        image_width: None,
        image_height: None,
        created_at,
        updated_at: db::now(),
    })
}

/// Creates a product (retailers only).
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = ProductInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Product created", body = ProductView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 422, description = "Invalid details", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<ProductInput>,
) -> ApiResult<(StatusCode, Json<ProductView>)> {
    user.require(&[Role::Retailer])?;
    let row = to_row(input, db::new_id(), user.id.clone(), db::now())?;
    db::products::insert(&state.db, &row).await?;
    state.catalog.changed();
    state.recommendations.mark_stale(&user.id);
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Replaces a product's details (its owner only); the garment photo is kept.
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "products", request_body = ProductInput,
    params(("id" = String, Path, description = "Product id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "Product updated", body = ProductView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such product of the caller", body = ErrorBody),
        (status = 422, description = "Invalid details", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ProductInput>,
) -> ApiResult<Json<ProductView>> {
    user.require(&[Role::Retailer])?;
    let old = db::products::get(&state.db, &id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut row = to_row(input, id.clone(), user.id.clone(), old.created_at)?;
    if !db::products::update(&state.db, &row).await? {
        return Err(ApiError::NotFound);
    }
    state.cache.invalidate(&id);
    state.catalog.changed();
    state.recommendations.mark_stale(&user.id);
    row.image_file = old.image_file;
    row.image_width = old.image_width;
    row.image_height = old.image_height;
    Ok(Json(row.into()))
}

/// Lists products with filters and search: a retailer sees its own, others every retailer's.
///
/// Search is a case-insensitive substring match on name and description (`LIKE`), the same on
/// SQLite and PostgreSQL; it is not ranked full-text search.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(ProductQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Products", body = Vec<ProductView>),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<ProductQuery>,
) -> ApiResult<Json<Vec<ProductView>>> {
    let (limit, offset) = page_bounds(&state, query.limit, query.offset)?;
    let filter = ProductFilter {
        retailer_id: user
            .catalog_scope()
            .map(str::to_owned)
            .or(query.retailer_id),
        category: query.category,
        size: query.size,
        colour: query.colour,
        min_price_cents: query.min_price_cents,
        max_price_cents: query.max_price_cents,
        query: query
            .q
            .filter(|q| !q.trim().is_empty())
            .map(|q| q.trim().chars().take(100).collect()),
    };
    let rows = db::products::list(&state.db, &filter, limit, offset).await?;
    Ok(Json(rows.into_iter().map(ProductView::from).collect()))
}

/// Loads a product visible to the caller; 404 for one that is not.
pub async fn visible(state: &AppState, user: &AuthUser, id: &str) -> ApiResult<ProductRow> {
    db::products::get(&state.db, id, user.catalog_scope())
        .await?
        .ok_or(ApiError::NotFound)
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such product visible to the caller", body = ErrorBody),
    ))]
pub async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(visible(&state, &user, &id).await?.into()))
}

/// Deletes a product (its owner only).
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such product of the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    user.require(&[Role::Retailer])?;
    let row = db::products::get(&state.db, &id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    if !db::products::delete(&state.db, &id, &user.id).await? {
        return Err(ApiError::NotFound);
    }
    state.cache.invalidate(&id);
    state.catalog.changed();
    state.recommendations.mark_stale(&user.id);
    if let Some(file) = row.image_file {
        state.files.remove_upload(UploadKind::Product, &file).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The multipart form of a garment photo upload.
#[derive(Debug, ToSchema)]
pub struct GarmentUpload {
    /// The product photo (JPEG, PNG or WebP).
    #[schema(value_type = String, format = Binary)]
    pub image: Vec<u8>,
}

/// Sets a product's garment photo (its owner only).
#[utoipa::path(put, path = "/api/v1/products/{id}/image", tag = "products", security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id")),
    request_body(content = GarmentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The product with its photo", body = ProductView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not a retailer", body = ErrorBody),
        (status = 404, description = "No such product of the caller", body = ErrorBody),
        (status = 413, description = "Upload too large", body = ErrorBody),
        (status = 415, description = "Not a JPEG, PNG or WebP image", body = ErrorBody),
        (status = 422, description = "No image in the form", body = ErrorBody),
    ))]
pub async fn upload_image(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<ProductView>> {
    user.require(&[Role::Retailer])?;
    let image = Upload::read(multipart?).await?.image()?;
    Ok(Json(set_photo(&state, &user, &id, image).await?.into()))
}

/// Sets the garment photo of the retailer `user`'s product `id`; the old photo goes.
pub async fn set_photo(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    image: bytes::Bytes,
) -> ApiResult<ProductRow> {
    user.require(&[Role::Retailer])?;
    let old = db::products::get(&state.db, id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let info = Files::validate(image.clone(), state.engine.config().limits).await?;
    let (pool, retailer_id) = (&state.db, user.id.as_str());
    state
        .files
        .save_with_record(
            UploadKind::Product,
            id,
            info.format,
            &image,
            |file| async move {
                let size = (info.width, info.height);
                match db::products::set_image(pool, id, retailer_id, &file, size).await? {
                    true => Ok(()),
                    false => Err(ApiError::NotFound),
                }
            },
        )
        .await?;
    state.cache.invalidate(id);
    state.catalog.changed();
    if let Some(old_file) = old.image_file {
        state
            .files
            .remove_upload(UploadKind::Product, &old_file)
            .await;
    }
    db::products::get(&state.db, id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)
}

/// The product's garment photo.
#[utoipa::path(get, path = "/api/v1/products/{id}/image", tag = "products", security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id")),
    responses(
        (status = 200, description = "The photo", content_type = "image/*"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such product or no photo", body = ErrorBody),
    ))]
pub async fn image(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<impl IntoResponse> {
    let row = visible(&state, &user, &id).await?;
    let file = row.image_file.ok_or(ApiError::NotFound)?;
    let bytes = state.files.read_upload(UploadKind::Product, &file).await?;
    Ok(([(header::CONTENT_TYPE, upload_mime(&file))], bytes))
}

/// The shop categories in use, with product counts (a retailer sees its own).
#[utoipa::path(get, path = "/api/v1/categories", tag = "products", security(("bearer" = [])),
    responses(
        (status = 200, description = "Categories", body = Vec<CategoryCount>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
pub async fn categories(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<CategoryCount>>> {
    let rows = db::products::categories(&state.db, user.catalog_scope()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(category, products)| CategoryCount { category, products })
            .collect(),
    ))
}
