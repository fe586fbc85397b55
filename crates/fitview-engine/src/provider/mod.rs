//! Providers: what turns prepared images into try-on images.
//!
//! The traits are the whole contract a provider implements. They are object-safe
//! (`Arc<dyn TryOnProvider>`), so the engine picks a provider from configuration at run time.
//! Retries, deadlines, caching and post-processing are the engine's job, not the provider's: a
//! provider makes one attempt and reports what happened as a typed [`Error`](crate::Error).

mod capabilities;
pub mod chain;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod draft;
pub mod fashn;
pub mod gemini;
pub mod grok;
mod http;
mod inline;
pub mod licence;
pub mod mock;
mod registry;
pub mod throttle;
pub mod vertex;

use std::sync::Arc;

use bytes::Bytes;
use image::RgbaImage;
use serde::{Deserialize, Serialize};

pub use capabilities::{Capabilities, ModeOffer};
pub use chain::{FallbackPolicy, ProviderAttempt};
pub use http::Secret;
pub use licence::LicenceTerms;
pub use registry::{ModeSettings, ProviderRegistry, ProviderSettings};
pub use throttle::ThrottleConfig;

use crate::error::Result;
use crate::landmarks::BodyLandmarks;
use crate::request::{GarmentCategory, QualityMode};

/// A garment as providers receive it: background removed (transparent), fitted into the canvas.
#[derive(Debug, Clone)]
pub struct PreparedGarment {
    /// RGBA pixels, canvas-sized; alpha is the garment matte.
    pub image: Arc<RgbaImage>,
    /// Where on the body it goes.
    pub category: GarmentCategory,
}

/// What a try-on provider is asked to do, with images already decoded and normalized.
#[derive(Debug, Clone)]
pub struct ProviderRequest {
    /// The person, letterboxed into the provider's canvas (opaque).
    pub person: Arc<RgbaImage>,
    /// The garments, outermost last.
    pub garments: Vec<PreparedGarment>,
    /// Body landmarks supplied by the retailer, mapped into canvas pixels.
    pub person_landmarks: Option<BodyLandmarks>,
    /// Seed, where the provider supports one.
    pub seed: Option<u64>,
    /// How many images to make.
    pub samples: u8,
    /// Speed/quality trade-off.
    pub quality: QualityMode,
}

/// An image as a provider returns it.
#[derive(Debug, Clone)]
pub enum GeneratedImage {
    /// Encoded bytes (from an HTTP API); the engine decodes them with the same limits as uploads.
    Encoded(Bytes),
    /// Pixels made in process.
    Pixels(RgbaImage),
}

/// Token and cost accounting of one provider call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens billed, where the provider counts tokens.
    pub input_tokens: Option<u64>,
    /// Output tokens billed, where the provider counts tokens.
    pub output_tokens: Option<u64>,
    /// Estimated cost in US dollars.
    pub estimated_cost_usd: f64,
}

/// What a provider made.
#[derive(Debug, Clone, Default)]
pub struct ProviderOutput {
    /// The images, at least one.
    pub images: Vec<GeneratedImage>,
    /// Token and cost accounting.
    pub usage: Usage,
    /// Provider-specific facts worth showing a user (e.g. estimated landmarks and confidence).
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// A scene or edit applied to a finished try-on image.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Style {
    /// Relaxed everyday scene.
    Casual,
    /// Office or evening-formal scene.
    Formal,
    /// Party scene with festive lighting.
    Party,
    /// The same garment in another colour.
    ColorVariant {
        /// The colour, as a name or `#rrggbb`.
        color: String,
    },
    /// Replace or enhance the background.
    Background {
        /// What the background should be.
        description: String,
    },
}

impl Style {
    /// A short stable name (for file names and keys).
    pub fn slug(&self) -> String {
        match self {
            Style::Casual => "casual".to_owned(),
            Style::Formal => "formal".to_owned(),
            Style::Party => "party".to_owned(),
            Style::ColorVariant { color } => format!("color-{}", slugify(color)),
            Style::Background { description } => format!("background-{}", slugify(description)),
        }
    }
}

fn slugify(text: &str) -> String {
    let slug: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    slug.trim_matches('-').chars().take(40).collect()
}

/// What a style provider is asked to do.
#[derive(Debug, Clone)]
pub struct StyleRequest {
    /// The finished try-on image (opaque RGBA).
    pub image: Arc<RgbaImage>,
    /// The style to apply.
    pub style: Style,
    /// How many variations to make.
    pub samples: u8,
    /// Seed, where the provider supports one.
    pub seed: Option<u64>,
}

/// Puts garments on a person. One attempt per call; the engine retries.
#[async_trait::async_trait]
pub trait TryOnProvider: Send + Sync + std::fmt::Debug {
    /// The provider's registry name (`mock`, `draft`, `nano-banana`, `fashn`, ...).
    fn name(&self) -> &str;
    /// The model this instance calls (part of the cache key).
    fn model(&self) -> &str;
    /// Version of the prompt templates or algorithm; bump it when output for the same input changes.
    fn prompt_version(&self) -> &str;
    /// What this provider can do.
    fn capabilities(&self) -> Capabilities;
    /// The request limits it keeps to (an HTTP provider's `throttle`); `None` for one that
    /// runs in process and is limited only by the caller.
    fn request_limits(&self) -> Option<ThrottleConfig> {
        None
    }
    /// What each quality mode picks and costs, cheapest mode first. The default is one model at
    /// one price for every mode ([`Capabilities::cost_per_image_usd`]); a provider whose modes
    /// call other models or cost differently says so.
    fn modes(&self) -> Vec<ModeOffer> {
        let price = self.capabilities().cost_per_image_usd;
        QualityMode::ALL
            .map(|mode| ModeOffer::flat(mode, self.model(), price))
            .to_vec()
    }
    /// What `quality` picks and costs: the offer of that mode in [`modes`](Self::modes).
    fn offer(&self, quality: QualityMode) -> ModeOffer {
        let modes = self.modes();
        modes
            .iter()
            .find(|m| m.mode == quality)
            .or_else(|| modes.first())
            .cloned()
            .unwrap_or_else(|| {
                ModeOffer::flat(
                    quality,
                    self.model(),
                    self.capabilities().cost_per_image_usd,
                )
            })
    }
    /// The licence terms of what this provider runs (weights or service); see
    /// [`LicenceTerms`].
    fn licence(&self) -> LicenceTerms {
        LicenceTerms::Commercial
    }
    /// Makes try-on images.
    async fn try_on(&self, request: ProviderRequest) -> Result<ProviderOutput>;
}

/// Makes style variations of a finished try-on image. One attempt per call; the engine retries.
#[async_trait::async_trait]
pub trait StyleProvider: Send + Sync + std::fmt::Debug {
    /// The provider's registry name.
    fn name(&self) -> &str;
    /// The model this instance calls.
    fn model(&self) -> &str;
    /// Version of the prompt templates; bump it when output for the same input changes.
    fn prompt_version(&self) -> &str;
    /// What this provider can do.
    fn capabilities(&self) -> Capabilities;
    /// The request limits it keeps to (an HTTP provider's `throttle`); `None` for one that
    /// runs in process.
    fn request_limits(&self) -> Option<ThrottleConfig> {
        None
    }
    /// The licence terms of what this provider runs; see [`LicenceTerms`].
    fn licence(&self) -> LicenceTerms {
        LicenceTerms::Commercial
    }
    /// Makes variations.
    async fn stylize(&self, request: StyleRequest) -> Result<ProviderOutput>;
}
