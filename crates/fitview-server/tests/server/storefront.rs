//! The storefront in the browser: its pages over real sockets (sessions, CSRF, escaping,
//! search, carts, the retailer's catalog pages, the account page) on SQLite and PostgreSQL, and
//! a shopper's and a retailer's journeys in headless Chromium.

mod account;
mod browser;
mod manage;
mod pages;
mod retailer_browser;
pub mod shopper;
mod webdriver;
