//! The signed-in account's own page: what the shop holds about it, a download of all of it (the
//! same export as `GET /api/v1/me/export`) and deleting the account (the same erasure as
//! `DELETE /api/v1/me`, after the password is typed again).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::ApiError;
use crate::routes::{accounts, privacy};
use crate::state::AppState;
use crate::web::PageError;
use crate::web::chrome::Chrome;
use crate::web::error::render;
use crate::web::session::{self, Visitor};
use crate::web::words;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    email: String,
    phone: String,
    name: String,
    role: &'static str,
    since: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "account_deleted.html")]
struct DeletedPage {
    chrome: Chrome,
}

async fn account_page(
    state: &AppState,
    visitor: &Visitor,
    error: Option<String>,
) -> Result<Response, PageError> {
    visitor.require_user("/account")?;
    let user = visitor.user.as_ref().ok_or(ApiError::Unauthorized)?;
    render(&AccountPage {
        chrome: Chrome::new(state, visitor).await?,
        email: user.email.clone().unwrap_or_default(),
        phone: user.phone.clone().unwrap_or_default(),
        name: user.display_name.clone().unwrap_or_default(),
        role: match user.role.as_str() {
            "retailer" => "Retailer",
            "admin" => "Administrator",
            _ => "Shopper",
        },
        since: chrono::DateTime::from_timestamp(user.created_at, 0)
            .map(|t| t.format("%-d %B %Y").to_string())
            .unwrap_or_default(),
        error,
    })
}

/// `GET /account`.
pub async fn show(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    account_page(&state, &visitor, None).await
}

/// `GET /account/data.json`: everything the shop holds about the account, as a file.
pub async fn download(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    let user = visitor.require_user("/account")?;
    let axum::Json(export) = privacy::export(State(state), user).await?;
    let json = serde_json::to_vec_pretty(&export).map_err(ApiError::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"fitview-my-data.json\""),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        json,
    )
        .into_response())
}

/// The deletion form.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// `POST /account/delete`: erases the account and its data once its password is typed again;
/// the session ends with it.
pub async fn delete(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<DeleteForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let user = visitor.require_user("/account")?;
    let row = visitor.user.as_ref().ok_or(ApiError::Unauthorized)?;
    if let Err(error) = accounts::confirm_password(&state, row, form.password).await {
        let message = match &error {
            ApiError::InvalidCredentials => "That password is not right.".to_owned(),
            ApiError::RateLimited { .. } => words::for_error(&error),
            _ => return Err(error.into()),
        };
        let mut response = account_page(&state, &visitor, Some(message)).await?;
        *response.status_mut() = error.status();
        return Ok(response);
    }
    privacy::delete_me(State(state.clone()), user).await?;
    let cookie = session::end(&state, &visitor).await?;
    let signed_out = Visitor::default();
    let mut response = render(&DeletedPage {
        chrome: Chrome::new(&state, &signed_out).await?,
    })?;
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}
