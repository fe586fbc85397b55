//! Every provider against its fake over real sockets, and the official clients as oracles; one test binary
//! (each file under `fakes/` is one subject).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod gemini_provider;
mod grok_provider;
mod sdk_oracles;
mod tryon_providers;
