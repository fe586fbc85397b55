//! # fitview-engine
//!
//! FitView turns a photo of a person and a photo of a garment into a photo of that person wearing
//! that garment, and into style variations of it.
//!
//! A try-on goes through fixed stages: the inputs are decoded under [`Limits`] and normalized
//! ([`pipeline`]), a content key is derived from the normalized pixels and every option that
//! changes the output ([`ContentKey`]), a [`TryOnProvider`] makes the images (retried under a
//! [`RetryPolicy`]), and the results are cropped back to the person's aspect, optionally
//! colour-corrected and sharpened, and encoded with thumbnails.
//!
//! ```
//! use fitview_engine::{Engine, TryOnRequest, provider::mock::MockProvider};
//! # fn photo(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
//! #     // A coloured block in the middle of a white studio backdrop.
//! #     let img = image::RgbImage::from_fn(w, h, |x, y| {
//! #         let inside = x > w / 4 && x < 3 * w / 4 && y > h / 5 && y < 4 * h / 5;
//! #         image::Rgb(if inside { rgb } else { [255, 255, 255] })
//! #     });
//! #     let mut out = std::io::Cursor::new(Vec::new());
//! #     img.write_to(&mut out, image::ImageFormat::Png).unwrap();
//! #     out.into_inner()
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), fitview_engine::Error> {
//! let engine = Engine::builder().provider(MockProvider::new()).build()?;
//! let person = photo(300, 400, [200, 180, 160]);
//! let garment = photo(200, 200, [30, 60, 200]);
//! let result = engine.try_on(TryOnRequest::new(person, garment)).await?;
//! assert_eq!(result.images.len(), 1);
//! assert_eq!((result.images[0].width, result.images[0].height), (768, 1024));
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links, rustdoc::bare_urls)]

pub mod budget;
pub mod cache;
mod config;
mod engine;
mod error;
mod key;
mod landmarks;
pub mod ledger;
mod limits;
pub mod pipeline;
mod prepared;
pub mod provider;
mod request;
mod result;
mod retry;
pub mod store;
pub mod validate;

pub use budget::{BudgetConfig, SpendStats};
pub use cache::{CacheConfig, CacheStats};
pub use config::EngineConfig;
pub use engine::{Engine, EngineBuilder};
pub use error::{Error, Result};
pub use key::{ContentKey, ImageDigest, InputHash, KeyInputs, PIPELINE_VERSION, input_hash};
pub use landmarks::BodyLandmarks;
pub use ledger::{SpendEntry, SpendLedger};
pub use limits::Limits;
pub use provider::{Capabilities, LicenceTerms, ModeOffer, Style, StyleProvider, TryOnProvider};
pub use request::{
    GarmentCategory, GarmentInput, OutputFormat, OutputOptions, QualityMode, TryOnOptions,
    TryOnRequest,
};
pub use result::{CacheStatus, OutputImage, StageTimings, Thumbnail, TryOnResult, VariationResult};
pub use retry::RetryPolicy;
pub use store::{DeleteReport, GcReport, ResultStore, StoreConfig};
pub use validate::{Check, CheckName, ValidationConfig};
