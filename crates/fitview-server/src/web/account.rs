//! Sign up, sign in and sign out, through the API's own account logic. Signing in starts a
//! new session (the old one, if any, is ended, so a session id planted before sign-in is
//! worthless after); signing out ends the session at once.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::db::users::UserRow;
use crate::error::ApiError;
use crate::extract::{ApiQuery, ClientIp};
use crate::routes::accounts::{self, LoginRequest, RegisterRequest, RegisterRole};
use crate::state::AppState;
use crate::web::PageError;
use crate::web::chrome::Chrome;
use crate::web::error::{local_path, render};
use crate::web::session::{self, Visitor};
use crate::web::words;

/// Where to go after signing in.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    chrome: Chrome,
    next: String,
    login: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    chrome: Chrome,
    next: String,
    email: String,
    name: String,
    error: Option<String>,
}

/// A page with a form for a visitor who may have no session yet: starts one (its form token is
/// needed) and sets its cookie.
async fn form_page(
    state: &AppState,
    visitor: Visitor,
    page: impl FnOnce(Chrome) -> Result<Response, PageError>,
) -> Result<Response, PageError> {
    let (session, cookie) = session::ensure(state, &visitor).await?;
    let visitor = Visitor {
        session: Some(session),
        ..visitor
    };
    let response = page(Chrome::new(state, &visitor).await?)?;
    Ok(with_cookie(response, cookie))
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /signin`.
pub async fn signin_page(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(next): ApiQuery<Next>,
) -> Result<Response, PageError> {
    let next = local_path(next.next.as_deref());
    form_page(&state, visitor, |chrome| {
        render(&SignInPage {
            chrome,
            next,
            login: String::new(),
            error: None,
        })
    })
    .await
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    /// Email or phone number.
    login: String,
    password: String,
    next: Option<String>,
}

/// Ends the visitor's old session and starts a signed-in one; redirects to `next`.
async fn signed_in(
    state: &AppState,
    visitor: &Visitor,
    user: &UserRow,
    next: &str,
) -> Result<Response, PageError> {
    if let Some(old) = &visitor.session {
        state.sessions.delete(&old.token_hash).await?;
    }
    let (_, cookie) = session::start(state, Some(&user.id), visitor.model_id()).await?;
    Ok(with_cookie(
        Redirect::to(next).into_response(),
        Some(cookie),
    ))
}

/// `POST /signin`.
pub async fn signin(
    State(state): State<AppState>,
    visitor: Visitor,
    ip: ClientIp,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let next = local_path(form.next.as_deref());
    let login = form.login.trim().to_owned();
    let (email, phone) = if login.contains('@') {
        (Some(login.clone()), None)
    } else {
        (None, Some(login.clone()))
    };
    let request = LoginRequest {
        email,
        phone,
        password: form.password,
    };
    match accounts::authenticate(&state, ip, &request).await {
        Ok(user) => signed_in(&state, &visitor, &user, &next).await,
        Err(error @ (ApiError::Database(_) | ApiError::Io(_) | ApiError::Internal(_))) => {
            Err(error.into())
        }
        Err(error) => {
            let chrome = Chrome::new(&state, &visitor).await?;
            let mut response = render(&SignInPage {
                chrome,
                next,
                login,
                error: Some(words::for_error(&error)),
            })?;
            *response.status_mut() = error.status();
            Ok(response)
        }
    }
}

/// `GET /signup`.
pub async fn signup_page(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(next): ApiQuery<Next>,
) -> Result<Response, PageError> {
    let next = local_path(next.next.as_deref());
    form_page(&state, visitor, |chrome| {
        render(&SignUpPage {
            chrome,
            next,
            email: String::new(),
            name: String::new(),
            error: None,
        })
    })
    .await
}

/// The sign-up form.
#[derive(Debug, Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    csrf: String,
    email: String,
    name: Option<String>,
    password: String,
    next: Option<String>,
}

/// `POST /signup`: creates a shopper's account and signs it in.
pub async fn signup(
    State(state): State<AppState>,
    visitor: Visitor,
    ip: ClientIp,
    Form(form): Form<SignUpForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let next = local_path(form.next.as_deref());
    let name = form.name.unwrap_or_default().trim().to_owned();
    let request = RegisterRequest {
        email: Some(form.email.clone()),
        phone: None,
        password: form.password,
        role: RegisterRole::Customer,
        display_name: (!name.is_empty()).then(|| name.clone()),
    };
    match accounts::create_account(&state, ip, request).await {
        Ok(user) => signed_in(&state, &visitor, &user, &next).await,
        Err(error @ (ApiError::Database(_) | ApiError::Io(_) | ApiError::Internal(_))) => {
            Err(error.into())
        }
        Err(error) => {
            let chrome = Chrome::new(&state, &visitor).await?;
            let mut response = render(&SignUpPage {
                chrome,
                next,
                email: form.email,
                name,
                error: Some(words::for_error(&error)),
            })?;
            *response.status_mut() = error.status();
            Ok(response)
        }
    }
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /signout`: ends the session now.
pub async fn signout(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<SignOutForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let cookie = session::end(&state, &visitor).await?;
    Ok(with_cookie(Redirect::to("/").into_response(), Some(cookie)))
}
