//! The storefront in the browser: its pages over real sockets (sessions, CSRF, escaping,
//! search, carts) on SQLite and PostgreSQL, and a shopper's journey in headless Chromium.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod storefront {
    pub mod browser;
    pub mod pages;
    pub mod shopper;
}
