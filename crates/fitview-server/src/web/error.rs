//! Why a page could not be shown: sent as a page in the shopper's words, or as a redirect to
//! sign in.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::error::ApiError;
use crate::web::{assets, words};

/// A page's failure.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The page needs a signed-in shopper: go to sign in, then back to `next`.
    #[error("sign in required")]
    SignIn {
        /// Where to come back to.
        next: String,
    },
    /// A form was posted without this session's CSRF token.
    #[error("the form's token is missing or wrong")]
    Csrf,
    /// An error of the shared logic.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A template could not be rendered.
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

impl From<sqlx::Error> for PageError {
    fn from(error: sqlx::Error) -> Self {
        PageError::Api(error.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    css: &'a str,
    title: &'a str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            PageError::SignIn { next } => {
                let target = format!("/signin?next={}", encode_component(next));
                return Redirect::to(&target).into_response();
            }
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Please go back, reload the page and try again.".to_owned(),
            ),
            PageError::Api(error) => {
                if error.status().is_server_error() {
                    tracing::error!(%error, "page failed");
                }
                (error.status(), "Sorry", words::for_error(error))
            }
            PageError::Template(error) => {
                tracing::error!(%error, "template failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry",
                    words::for_code("internal"),
                )
            }
        };
        let page = ErrorPage {
            css: &assets::CSS.path,
            title,
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Something went wrong.",
            )
                .into_response(),
        }
    }
}

/// Renders a page template.
pub fn render(template: &impl Template) -> Result<Response, PageError> {
    Ok(Html(template.render()?).into_response())
}

/// `text` percent-encoded for a query value.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after signing in: a path on this site, else the home page.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}
