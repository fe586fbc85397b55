//! What a provider says it can do; the engine checks requests against it before calling.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::request::{GarmentCategory, QualityMode};

/// What one quality mode picks on a provider, and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeOffer {
    /// The mode.
    pub mode: QualityMode,
    /// The model it calls.
    pub model: String,
    /// The provider's own setting for it (`1K`, `mode=balanced`, `baseSteps=32`, `quality=high`).
    pub setting: String,
    /// Price of one output image in US dollars: what dry runs, batch estimates and the spend
    /// caps count before a call (the call itself records what the provider billed).
    pub usd_per_image: f64,
}

impl ModeOffer {
    /// The offer of `mode` on a provider with one model and one price for every mode.
    pub fn flat(mode: QualityMode, model: &str, usd_per_image: f64) -> Self {
        Self {
            mode,
            model: model.to_owned(),
            setting: String::new(),
            usd_per_image,
        }
    }
}

/// A provider's honest description of itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Garment categories it handles (`auto` included only if it can classify garments itself).
    pub categories: Vec<GarmentCategory>,
    /// Most garments per request.
    pub max_garments: usize,
    /// The canvas it works on (width, height); inputs are fitted into it.
    pub canvas: (u32, u32),
    /// Whether a seed makes its output reproducible.
    pub supports_seed: bool,
    /// Most images per request.
    pub max_samples: u8,
    /// Whether output pixels line up with the input canvas (so untouched regions can be restored).
    pub pixel_aligned: bool,
    /// Style variations it can make (empty for try-on-only providers).
    pub styles: Vec<String>,
    /// Rough price of one output image in US dollars in the default mode
    /// ([`QualityMode::Fast`]); each mode's price is in [`TryOnProvider::modes`](super::TryOnProvider::modes).
    pub cost_per_image_usd: f64,
}

impl Capabilities {
    /// Checks a request's shape against these capabilities, naming the provider in the error.
    pub fn check(&self, provider: &str, categories: &[GarmentCategory], samples: u8) -> Result<()> {
        let unsupported = |detail: String| Error::NotSupported {
            provider: provider.to_owned(),
            detail,
        };
        if categories.len() > self.max_garments {
            return Err(unsupported(format!(
                "{} garments requested, at most {} per try-on",
                categories.len(),
                self.max_garments
            )));
        }
        if let Some(category) = categories.iter().find(|c| !self.categories.contains(c)) {
            let known: Vec<&str> = self.categories.iter().map(|c| c.as_str()).collect();
            return Err(unsupported(format!(
                "garment category `{category}` is not supported (supported: {})",
                known.join(", ")
            )));
        }
        if samples > self.max_samples {
            return Err(unsupported(format!(
                "{samples} samples requested, at most {}",
                self.max_samples
            )));
        }
        Ok(())
    }
}
