//! # fitview-fakes
//!
//! Local fake servers of the provider APIs FitView calls, speaking their real wire formats
//! (see `docs/providers.md` and the reference notes it cites):
//!
//! - [`gemini::FakeGemini`]: `POST .../models/{model}:generateContent` of the Gemini API (and the
//!   Vertex AI form of the path), with key checks, request validation, real image bytes, every
//!   refusal shape, `google.rpc.Status` errors, 429 with `RetryInfo`, slow and truncated answers;
//! - [`xai::FakeXai`]: xAI's `POST /v1/images/generations` and `/v1/images/edits`;
//! - [`fashn::FakeFashn`]: FASHN's asynchronous `POST /v1/run` and `GET /v1/status/{id}`, with
//!   every named error, data-URI and URL outputs, and a prediction that never finishes;
//! - [`vertex::FakeVertex`]: Vertex AI Virtual Try-On's `...:predict`, with filtered and missing
//!   predictions and `google.rpc.Status` errors.
//!
//! Each test picks what the fake does with a scenario, given at start, queued for the next
//! requests ([`FakeServer::push`]) or named per request in an `x-fake-scenario` header. The
//! servers listen on loopback on a free port; dropping the [`FakeServer`] stops it. Every
//! request is recorded: [`FakeServer::requests`] in process, `GET` [`RECORDED_REQUESTS_PATH`]
//! over HTTP (the official-SDK oracles in `oracles/` read FitView's request bodies there).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use fitview_fakes::gemini::{FakeGemini, GeminiScenario};
//! let fake = FakeGemini::start(GeminiScenario::Success).await?;
//! println!("Gemini fake at {} (key {})", fake.base_url(), fitview_fakes::TEST_KEY);
//! # Ok(()) }
//! ```
//!
//! The binary `fitview-fakes` runs both for demos: `cargo run -p fitview-fakes`.

pub mod fashn;
pub mod gemini;
mod picture;
mod server;
pub mod vertex;
pub mod xai;

pub use server::{FakeServer, RECORDED_REQUESTS_PATH, RecordedRequest};

/// The API key the fakes accept unless told otherwise.
pub const TEST_KEY: &str = "fitview-test-key";
