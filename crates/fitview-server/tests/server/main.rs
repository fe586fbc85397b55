//! The server's integration tests, one test binary (each file under `server/` is one subject; the real server on loopback, on SQLite and PostgreSQL).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod analytics;
mod durable;
mod journeys;
mod json_bodies;
mod live_status;
mod protection;
mod quality;
mod recommendations;
mod roles;
mod scale_out;
mod schemathesis;
mod spend;
mod storefront;
mod styles_and_uploads;
mod tls;
mod webhooks;
