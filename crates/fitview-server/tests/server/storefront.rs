//! The storefront in the browser: its pages over real sockets (sessions, CSRF, escaping,
//! search, carts) on SQLite and PostgreSQL, and a shopper's journey in headless Chromium.

mod browser;
mod pages;
pub(crate) mod shopper;
