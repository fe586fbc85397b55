//! The `fitview` binary's integration tests, one test binary (each file under `cli/` is one subject: the binary run as a user runs it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod batch_support;

mod batch;
mod batch_gallery;
mod batch_interrupt;
mod batch_store;
mod batch_validation;
mod cache;
mod commands;
mod costs_and_modes;
mod photos;
mod settings;
