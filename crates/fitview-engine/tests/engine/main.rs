//! The engine's integration tests, one test binary (each file under `engine/` is one subject).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod bad_inputs;
mod cache;
mod draft_photos;
mod draft_quality;
mod engine_faults;
mod engine_results;
mod licence;
mod provider_calls;
mod redis;
mod restore;
mod validation;
