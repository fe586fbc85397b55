//! The dedicated try-on providers against their fakes over real sockets: FASHN (`fashn`),
//! Vertex AI Virtual Try-On (`vertex-vto`) and xAI's Grok Imagine as a try-on (`grok`),
//! each in its own module, checked by what a caller sees (images that decode, error kinds,
//! attempts, cost) and through the engine's retry policy.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fashn;
mod grok;
mod vertex;
