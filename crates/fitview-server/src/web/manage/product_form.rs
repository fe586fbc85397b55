//! A retailer adds, edits and deletes its products in the browser: details, sizes, size chart,
//! stock and the garment photo in one form, checked by the same rules as the API's
//! (`ProductInput`); a form that is refused comes back filled in, with what is wrong.

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::response::{IntoResponse, Redirect, Response};
use fitview_engine::GarmentCategory;

use super::{DeleteForm, mendable, read, retailer};
use crate::db::{self, products::ProductRow};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::files::Files;
use crate::recommend::json_text::JsonText;
use crate::routes::products::{self, ProductInput};
use crate::routes::upload::Upload;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::photos::product_photo_url;
use crate::web::session::Visitor;
use crate::web::words;

/// The form's fields as typed.
#[derive(Debug, Default)]
struct Fields {
    name: String,
    description: String,
    category: String,
    garment_category: String,
    sizes: String,
    colour: String,
    price: String,
    currency: String,
    stock: String,
    size_chart: String,
}

impl Fields {
    fn of_row(p: &ProductRow) -> Fields {
        let sizes: Vec<String> = serde_json::from_str(&p.sizes).unwrap_or_default();
        Fields {
            name: p.name.clone(),
            description: p.description.clone(),
            category: p.category.clone(),
            garment_category: p.garment_category.clone(),
            sizes: sizes.join(", "),
            colour: p.colour.clone().unwrap_or_default(),
            price: format!("{}.{:02}", p.price_cents / 100, p.price_cents % 100),
            currency: p.currency.clone(),
            stock: p.stock.to_string(),
            size_chart: p.size_chart.clone().unwrap_or_default(),
        }
    }

    fn of_form(upload: &Upload) -> Fields {
        let text = |name: &str| upload.text(name).unwrap_or_default();
        Fields {
            name: text("name"),
            description: text("description"),
            category: text("category"),
            garment_category: text("garment_category"),
            sizes: text("sizes"),
            colour: text("colour"),
            price: text("price"),
            currency: text("currency"),
            stock: text("stock"),
            size_chart: text("size_chart"),
        }
    }

    /// The API's input of these fields; what cannot be read is a validation error naming it.
    fn input(&self) -> ApiResult<ProductInput> {
        let stock = match self.stock.as_str() {
            "" => 0,
            s => s.parse().map_err(|_| {
                ApiError::Validation("the stock must be a whole number of units".to_owned())
            })?,
        };
        Ok(ProductInput {
            name: self.name.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            garment_category: Some(self.garment_category.clone()).filter(|c| !c.is_empty()),
            sizes: self
                .sizes
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            colour: Some(self.colour.clone()).filter(|c| !c.is_empty()),
            price_cents: cents(&self.price)?,
            currency: Some(self.currency.clone()).filter(|c| !c.is_empty()),
            stock,
            size_chart: Some(JsonText(self.size_chart.clone())).filter(|t| !t.0.is_empty()),
        })
    }
}

/// A price typed as `39`, `39.5` or `39.50` in minor units.
fn cents(text: &str) -> ApiResult<i64> {
    let wrong = || ApiError::Validation("the price must be an amount like 39.50".to_owned());
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty()
        || whole.len() > 9
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(wrong());
    }
    let whole: i64 = whole.parse().map_err(|_| wrong())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| wrong())?;
    Ok(whole * 100 + fraction)
}

fn current_photo(row: &ProductRow) -> Option<String> {
    row.image_file
        .as_deref()
        .map(|file| product_photo_url(&row.id, file))
}

/// A choice of the garment-category select.
struct Choice {
    value: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "manage_product.html")]
struct ProductForm {
    chrome: Chrome,
    /// The product edited; `None` for a new one.
    id: Option<String>,
    /// The product's current photo.
    photo: Option<String>,
    fields: Fields,
    garment_categories: Vec<Choice>,
    error: Option<String>,
}

async fn form(
    state: &AppState,
    visitor: &Visitor,
    id: Option<String>,
    photo: Option<String>,
    fields: Fields,
    error: Option<&ApiError>,
) -> Result<Response, PageError> {
    let garment_categories = GarmentCategory::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str(),
            selected: c.as_str() == fields.garment_category,
        })
        .collect();
    let mut response = render(&ProductForm {
        chrome: Chrome::new(state, visitor).await?,
        id,
        photo,
        fields,
        garment_categories,
        error: error.map(words::for_error),
    })?;
    if let Some(error) = error {
        *response.status_mut() = error.status();
    }
    Ok(response)
}

/// `GET /manage/products/new`.
pub async fn new_product(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    retailer(&visitor, "/manage/products/new")?;
    let fields = Fields {
        currency: "USD".to_owned(),
        garment_category: GarmentCategory::Auto.as_str().to_owned(),
        ..Fields::default()
    };
    form(&state, &visitor, None, None, fields, None).await
}

/// `GET /manage/products/{id}`.
pub async fn edit_product(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, PageError> {
    let user = retailer(&visitor, &format!("/manage/products/{id}"))?;
    let row = db::products::get(&state.db, &id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let (photo, fields) = (current_photo(&row), Fields::of_row(&row));
    form(&state, &visitor, Some(id), photo, fields, None).await
}

/// The form's photo, checked, or none when none was chosen.
async fn photo(state: &AppState, upload: &Upload) -> ApiResult<Option<bytes::Bytes>> {
    match upload.files.get("image").filter(|b| !b.is_empty()) {
        None => Ok(None),
        Some(image) => {
            Files::validate(image.clone(), state.engine.config().limits).await?;
            Ok(Some(image.clone()))
        }
    }
}

/// `POST /manage/products`: adds a product (and its photo, if one is chosen).
pub async fn save_new_product(
    State(state): State<AppState>,
    visitor: Visitor,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let user = retailer(&visitor, "/manage/products/new")?;
    let upload = read(&visitor, multipart).await?;
    let fields = Fields::of_form(&upload);
    let made = async {
        let input = fields.input()?;
        // The photo is checked first, so a refused photo leaves no product behind.
        let image = photo(&state, &upload).await?;
        let (_, axum::Json(view)) =
            products::create(State(state.clone()), user.clone(), ApiJson(input)).await?;
        if let Some(image) = image {
            products::set_photo(&state, &user, &view.id, image).await?;
        }
        Ok::<_, ApiError>(())
    };
    match made.await {
        Ok(()) => Ok(Redirect::to("/manage?done=product-added").into_response()),
        Err(error) if mendable(&error) => {
            form(&state, &visitor, None, None, fields, Some(&error)).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /manage/products/{id}`: saves a product's details (and a new photo, if one is chosen).
pub async fn save_product(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath(id): ApiPath<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let user = retailer(&visitor, &format!("/manage/products/{id}"))?;
    let upload = read(&visitor, multipart).await?;
    let fields = Fields::of_form(&upload);
    let saved = async {
        let input = fields.input()?;
        let image = photo(&state, &upload).await?;
        let _updated = products::update(
            State(state.clone()),
            user.clone(),
            ApiPath(id.clone()),
            ApiJson(input),
        )
        .await?;
        if let Some(image) = image {
            products::set_photo(&state, &user, &id, image).await?;
        }
        Ok::<_, ApiError>(())
    };
    match saved.await {
        Ok(()) => Ok(Redirect::to("/manage?done=product-saved").into_response()),
        Err(error) if mendable(&error) => {
            let row = db::products::get(&state.db, &id, Some(&user.id))
                .await?
                .ok_or(ApiError::NotFound)?;
            let photo = current_photo(&row);
            form(&state, &visitor, Some(id), photo, fields, Some(&error)).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /manage/products/{id}/delete`.
pub async fn delete_product(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath(id): ApiPath<String>,
    axum::Form(form): axum::Form<DeleteForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let user = retailer(&visitor, "/manage")?;
    products::delete(State(state), user, ApiPath(id)).await?;
    Ok(Redirect::to("/manage?done=product-deleted").into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn prices_are_read_as_shops_type_them() {
        assert_eq!(super::cents("39.50").unwrap(), 3950);
        assert_eq!(super::cents("39.5").unwrap(), 3950);
        assert_eq!(super::cents(" 39 ").unwrap(), 3900);
        assert_eq!(super::cents("0.05").unwrap(), 5);
        for wrong in ["", "-1", "1.234", "1,50", "abc", "1e3", ".5", "9999999999"] {
            assert!(super::cents(wrong).is_err(), "{wrong}");
        }
    }
}
