//! # fitview-server
//!
//! FitView's storefront API as a library: [`app`] builds the axum [`Router`](axum::Router) over
//! an [`AppState`], and [`serve`] runs it with graceful shutdown. One process with embedded
//! defaults serves a shop (SQLite and images under a data directory, in-process cache and rate
//! limits, the engine's default provider); PostgreSQL, Redis and an S3 bucket are one URL away
//! each ([`ServerConfig`]: `database_url`, `engine.cache.redis_url`, `engine.store.url`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use fitview_server::{AppState, ServerConfig};
//!
//! let state = AppState::new(ServerConfig::new("fitview-data")).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! fitview_server::serve(listener, state, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links, rustdoc::bare_urls)]

pub mod analytics;
pub mod auth;
pub mod cache;
pub mod catalog_cache;
pub mod charts;
pub mod config;
pub mod connections;
pub mod db;
pub mod demo;
pub mod error;
pub mod extract;
pub mod files;
pub mod idempotency;
pub mod job_events;
pub mod jobs;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod queue;
pub mod rate_limit;
pub mod recommend;
pub mod results;
pub mod routes;
pub mod secret;
mod server;
pub mod spend;
pub mod state;
pub mod text;
pub mod tls;
pub mod web;
pub mod webhooks;

pub use config::{ServeArgs, ServerConfig, TlsFiles};
pub use error::{ApiError, ApiResult};
pub use routes::app;
pub use server::{run, serve, serve_tls, shutdown_signal};
pub use state::{AppState, StartError};
