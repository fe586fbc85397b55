//! The Gemini image models FitView knows: default ids and what they cost.
//!
//! Model ids are configuration; this table only supplies defaults and price estimates. An id not
//! listed here still works and is priced like Nano Banana 2. Prices are list prices in USD per
//! million tokens (image output tokens are priced separately from text); token counts per image
//! (1120 at 1K/2K and 2000 at 4K for Gemini 3, 1290 for 2.5) come from Google's image-generation
//! page, and every input image counts 560 tokens on Gemini 3 Pro Image (Vertex model card). See
//! `docs/providers.md` for sources.

/// Default model for [`QualityMode::Fast`](crate::QualityMode::Fast): Nano Banana 2 Lite
/// (stable since 2026-06-30; 1K output only).
pub const DEFAULT_FAST_MODEL: &str = "gemini-3.1-flash-lite-image";
/// Default model for [`QualityMode::Balanced`](crate::QualityMode::Balanced): Nano Banana 2 (GA).
pub const DEFAULT_BALANCED_MODEL: &str = "gemini-3.1-flash-image";
/// Default model for [`QualityMode::Best`](crate::QualityMode::Best): Nano Banana Pro (GA).
pub const DEFAULT_BEST_MODEL: &str = "gemini-3-pro-image";

/// Prices and limits of one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ModelInfo {
    /// USD per million input tokens.
    pub(crate) input_per_million: f64,
    /// USD per million image output tokens (thinking tokens are billed at this rate too, a
    /// slight overestimate since they are text-priced).
    pub(crate) output_per_million: f64,
    /// Output tokens of one 1K/2K image, for estimates before usage is known.
    pub(crate) tokens_per_image: u64,
    /// Most input images per request (person included) with high fidelity.
    pub(crate) max_input_images: usize,
    /// Whether it makes 2K images (Nano Banana 2 Lite and 2.5 Flash Image make 1K only).
    pub(crate) makes_2k: bool,
}

/// What FitView knows about `model`; unknown ids get Nano Banana 2's figures.
pub(crate) fn info(model: &str) -> ModelInfo {
    match model {
        m if m.starts_with("gemini-3-pro-image") => ModelInfo {
            input_per_million: 2.0,
            output_per_million: 120.0,
            tokens_per_image: 1120,
            max_input_images: 5,
            makes_2k: true,
        },
        m if m.starts_with("gemini-2.5-flash-image") => ModelInfo {
            input_per_million: 0.30,
            output_per_million: 30.0,
            tokens_per_image: 1290,
            max_input_images: 3,
            makes_2k: false,
        },
        // Nano Banana 2 Lite: "about half the price" of Nano Banana 2 (the summary of
        // Google's announcement), so half of its figures; tokens per image and input images
        // are taken from Nano Banana 2. All assumed: override with `usd_per_image`.
        m if m.starts_with("gemini-3.1-flash-lite-image") => ModelInfo {
            input_per_million: 0.25,
            output_per_million: 30.0,
            tokens_per_image: 1120,
            max_input_images: 5,
            makes_2k: false,
        },
        _ => ModelInfo {
            input_per_million: 0.50,
            output_per_million: 60.0,
            tokens_per_image: 1120,
            max_input_images: 5,
            makes_2k: true,
        },
    }
}

impl ModelInfo {
    /// Estimated cost of one call from its token counts.
    pub(crate) fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input_per_million
            + output_tokens as f64 * self.output_per_million)
            / 1_000_000.0
    }

    /// Estimated cost of one output image, before any call (two input images of 560 tokens).
    pub(crate) fn cost_per_image(&self) -> f64 {
        self.cost(2 * 560 + 300, self.tokens_per_image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pro_costs_more_than_flash_and_flash_more_than_lite() {
        let pro = info(DEFAULT_BEST_MODEL).cost_per_image();
        let flash = info(DEFAULT_BALANCED_MODEL).cost_per_image();
        let lite = info(DEFAULT_FAST_MODEL).cost_per_image();
        assert!(
            pro > flash && flash > lite && lite > 0.01 && pro < 0.5,
            "{lite} {flash} {pro}"
        );
        assert!((lite * 2.0 - flash).abs() < 1e-9, "{lite} {flash}");
        assert!(!info(DEFAULT_FAST_MODEL).makes_2k && info(DEFAULT_BEST_MODEL).makes_2k);
        // 1120 image tokens at $120 per million: $0.1344 of output.
        assert!((info("gemini-3-pro-image").cost(0, 1120) - 0.1344).abs() < 1e-9);
    }
}
