//! A retailer adds, edits and deletes its models in the browser: the photo and what shoppers
//! filter by (body type, size, height, skin tone), checked by the same rules as the API's model
//! upload; a form that is refused comes back filled in, with what is wrong.

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::response::{IntoResponse, Redirect, Response};

use super::{DeleteForm, mendable, read, retailer};
use crate::db::{self, models::ModelRow};
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::routes::models;
use crate::routes::upload::Upload;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::cards::model_photo;
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::session::Visitor;
use crate::web::words;

/// The form's fields as typed.
#[derive(Debug, Default)]
struct Fields {
    name: String,
    body_type: String,
    size: String,
    height_cm: String,
    skin_tone: String,
    measurements: String,
}

impl Fields {
    fn of_row(m: &ModelRow) -> Fields {
        Fields {
            name: m.name.clone(),
            body_type: m.body_type.clone().unwrap_or_default(),
            size: m.size.clone().unwrap_or_default(),
            height_cm: m.height_cm.map(|h| format!("{h}")).unwrap_or_default(),
            skin_tone: m.skin_tone.clone().unwrap_or_default(),
            measurements: m.measurements.clone().unwrap_or_default(),
        }
    }

    fn of_form(upload: &Upload) -> Fields {
        let text = |name: &str| upload.text(name).unwrap_or_default();
        Fields {
            name: text("name"),
            body_type: text("body_type"),
            size: text("size"),
            height_cm: text("height_cm"),
            skin_tone: text("skin_tone"),
            measurements: text("measurements"),
        }
    }
}

#[derive(Template)]
#[template(path = "manage_model.html")]
struct ModelForm {
    chrome: Chrome,
    /// The model edited; `None` for a new one.
    id: Option<String>,
    /// The model's current photo.
    photo: Option<String>,
    fields: Fields,
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
    let mut response = render(&ModelForm {
        chrome: Chrome::new(state, visitor).await?,
        id,
        photo,
        fields,
        error: error.map(words::for_error),
    })?;
    if let Some(error) = error {
        *response.status_mut() = error.status();
    }
    Ok(response)
}

/// `GET /manage/models/new`.
pub async fn new_model(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    retailer(&visitor, "/manage/models/new")?;
    form(&state, &visitor, None, None, Fields::default(), None).await
}

/// `GET /manage/models/{id}`.
pub async fn edit_model(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, PageError> {
    let user = retailer(&visitor, &format!("/manage/models/{id}"))?;
    let row = db::models::get(&state.db, &id, Some(&user.id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let photo = Some(model_photo(&row));
    form(
        &state,
        &visitor,
        Some(id),
        photo,
        Fields::of_row(&row),
        None,
    )
    .await
}

/// `POST /manage/models`: adds a model with its photo.
pub async fn save_new_model(
    State(state): State<AppState>,
    visitor: Visitor,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let user = retailer(&visitor, "/manage/models/new")?;
    let upload = read(&visitor, multipart).await?;
    match models::create_from(&state, &user, &upload).await {
        Ok(_) => Ok(Redirect::to("/manage?done=model-added").into_response()),
        Err(error) if mendable(&error) => {
            let fields = Fields::of_form(&upload);
            form(&state, &visitor, None, None, fields, Some(&error)).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /manage/models/{id}`: saves a model's details (and a new photo, if one is chosen).
pub async fn save_model(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath(id): ApiPath<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let user = retailer(&visitor, &format!("/manage/models/{id}"))?;
    let upload = read(&visitor, multipart).await?;
    match models::update_from(&state, &user, &id, &upload).await {
        Ok(_) => Ok(Redirect::to("/manage?done=model-saved").into_response()),
        Err(error) if mendable(&error) => {
            let row = db::models::get(&state.db, &id, Some(&user.id))
                .await?
                .ok_or(ApiError::NotFound)?;
            let (photo, fields) = (Some(model_photo(&row)), Fields::of_form(&upload));
            form(&state, &visitor, Some(id), photo, fields, Some(&error)).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /manage/models/{id}/delete`.
pub async fn delete_model(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath(id): ApiPath<String>,
    axum::Form(form): axum::Form<DeleteForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let user = retailer(&visitor, "/manage")?;
    models::delete(State(state), user, ApiPath(id)).await?;
    Ok(Redirect::to("/manage?done=model-deleted").into_response())
}
