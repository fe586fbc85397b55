//! The storefront in the browser: server-rendered pages over the same records and handlers as
//! the JSON API.
//!
//! One file per page (or small family of pages); templates live in `templates/` and are checked
//! at compile time; the few assets (`assets/`) are embedded with content-hashed names. A browser
//! is signed in by a session cookie ([`session`]), never by the API's bearer tokens, and every
//! form it posts carries the session's CSRF token.

mod account;
pub mod assets;
mod cards;
mod cart;
mod catalog;
mod chrome;
mod dashboard;
mod error;
mod headers;
mod history;
mod manage;
mod models;
mod my_account;
mod photos;
mod product;
mod recommendations;
pub mod session;
pub mod session_store;
mod shopper_events;
mod tryon;
mod words;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::AppState;

pub use error::PageError;

/// The storefront's pages, assets and their security headers; forms with photos may be as large
/// as `upload_limit`.
pub fn routes(upload_limit: DefaultBodyLimit) -> Router<AppState> {
    Router::new()
        .route("/", get(catalog::home))
        .route("/products/{id}", get(product::show))
        .route("/signin", get(account::signin_page).post(account::signin))
        .route("/signup", get(account::signup_page).post(account::signup))
        .route("/signout", post(account::signout))
        .route("/models", get(models::list).post(models::pick))
        .route("/tryon", post(tryon::start))
        .route("/tryons/{id}", get(tryon::result))
        .route("/tryons/{id}/status", get(tryon::status))
        .route("/tryons/{id}/events", get(tryon::events))
        .route("/tryons/{id}/style", post(tryon::style))
        .route("/history", get(history::list))
        .route("/compare", get(history::compare))
        .route("/cart", get(cart::show))
        .route("/cart/add", post(cart::add))
        .route("/cart/lines/{id}", post(cart::change))
        .route("/checkout", post(cart::checkout))
        .route("/account", get(my_account::show))
        .route("/account/data.json", get(my_account::download))
        .route("/account/delete", post(my_account::delete))
        .route("/manage", get(manage::catalog))
        .route("/manage/tryons", get(manage::tryons))
        .route("/manage/products/new", get(manage::new_product))
        .route(
            "/manage/products",
            post(manage::save_new_product).layer(upload_limit),
        )
        .route(
            "/manage/products/{id}",
            get(manage::edit_product)
                .post(manage::save_product)
                .layer(upload_limit),
        )
        .route("/manage/products/{id}/delete", post(manage::delete_product))
        .route("/manage/models/new", get(manage::new_model))
        .route(
            "/manage/models",
            post(manage::save_new_model).layer(upload_limit),
        )
        .route(
            "/manage/models/{id}",
            get(manage::edit_model)
                .post(manage::save_model)
                .layer(upload_limit),
        )
        .route("/manage/models/{id}/delete", post(manage::delete_model))
        .route("/dashboard", get(dashboard::show))
        .route("/dashboard/report.pdf", get(dashboard::report))
        .route("/dashboard/export.csv", get(dashboard::export))
        .route("/shop/photos/products/{id}", get(photos::product))
        .route("/shop/photos/models/{id}", get(photos::model))
        .route("/assets/{file}", get(assets::serve))
        .layer(axum::middleware::map_response(headers::html_headers))
}
