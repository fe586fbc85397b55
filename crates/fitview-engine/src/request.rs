//! What a caller asks for: a person, one or more garments, and options.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::landmarks::BodyLandmarks;

/// The kind of garment, which decides where on the body it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum GarmentCategory {
    /// Shirts, t-shirts, blouses, jackets: shoulders to hips.
    Top,
    /// Trousers, skirts, shorts: waist down.
    Bottom,
    /// Dresses, jumpsuits: shoulders down.
    OnePiece,
    /// Saree: a long drape wrapped at the waist, pleated at the front, the pallu over the shoulder.
    Saree,
    /// Lehenga: a long, flared, often embroidered skirt worn with a choli.
    Lehenga,
    /// Salwar kameez: a long tunic over loose trousers.
    SalwarKameez,
    /// Kurta: a long tunic, to the hips or knees.
    Kurta,
    /// Dupatta: a long scarf draped over the shoulders or head.
    Dupatta,
    /// Let the provider decide from the garment image.
    #[default]
    Auto,
}

impl GarmentCategory {
    /// Every category, in display order.
    pub const ALL: [GarmentCategory; 9] = [
        GarmentCategory::Top,
        GarmentCategory::Bottom,
        GarmentCategory::OnePiece,
        GarmentCategory::Saree,
        GarmentCategory::Lehenga,
        GarmentCategory::SalwarKameez,
        GarmentCategory::Kurta,
        GarmentCategory::Dupatta,
        GarmentCategory::Auto,
    ];

    /// The stable name used in config, manifests, CLI flags and cache keys.
    pub fn as_str(self) -> &'static str {
        match self {
            GarmentCategory::Top => "top",
            GarmentCategory::Bottom => "bottom",
            GarmentCategory::OnePiece => "one-piece",
            GarmentCategory::Saree => "saree",
            GarmentCategory::Lehenga => "lehenga",
            GarmentCategory::SalwarKameez => "salwar-kameez",
            GarmentCategory::Kurta => "kurta",
            GarmentCategory::Dupatta => "dupatta",
            GarmentCategory::Auto => "auto",
        }
    }
}

impl std::fmt::Display for GarmentCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for GarmentCategory {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        GarmentCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "unknown garment category `{s}` (expected one of: {})",
                    GarmentCategory::ALL.map(GarmentCategory::as_str).join(", ")
                ))
            })
    }
}

/// Encoding of the images FitView returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OutputFormat {
    /// Lossy WebP at the requested quality: the best size for the web.
    #[default]
    Webp,
    /// Lossless WebP.
    WebpLossless,
    /// Baseline JPEG at the requested quality.
    Jpeg,
    /// PNG (lossless).
    Png,
}

impl OutputFormat {
    /// The stable name used in flags and keys.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Webp => "webp",
            OutputFormat::WebpLossless => "webp-lossless",
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Png => "png",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Webp | OutputFormat::WebpLossless => "webp",
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Png => "png",
        }
    }

    /// The MIME type.
    pub fn mime_type(self) -> &'static str {
        match self {
            OutputFormat::Webp | OutputFormat::WebpLossless => "image/webp",
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
        }
    }
}

impl std::str::FromStr for OutputFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "webp" => Ok(OutputFormat::Webp),
            "webp-lossless" => Ok(OutputFormat::WebpLossless),
            "jpeg" | "jpg" => Ok(OutputFormat::Jpeg),
            "png" => Ok(OutputFormat::Png),
            other => Err(Error::invalid_input(format!(
                "unknown output format `{other}` (expected webp, webp-lossless, jpeg or png)"
            ))),
        }
    }
}

/// Speed/quality trade-off; every provider maps each mode to a model or a setting, priced per
/// mode ([`crate::provider::ModeOffer`]): Gemini flash-lite / flash / pro, FASHN `performance` /
/// `balanced` / `quality`, Vertex `baseSteps`, xAI `quality` `low` / `medium` / `high`.
///
/// Names: `fast`, `balanced`, `best`; `quality`, the earlier name of the best mode, is still
/// read (`"quality"` in JSON and TOML, `--quality quality` on the command line).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum QualityMode {
    /// The fastest, cheapest model or setting.
    #[default]
    Fast,
    /// The middle model or setting.
    Balanced,
    /// The best model or setting, slower and dearer.
    #[serde(alias = "quality")]
    Best,
}

impl QualityMode {
    /// Every mode, cheapest first.
    pub const ALL: [QualityMode; 3] = [QualityMode::Fast, QualityMode::Balanced, QualityMode::Best];

    /// The stable name used in flags and keys.
    pub fn as_str(self) -> &'static str {
        match self {
            QualityMode::Fast => "fast",
            QualityMode::Balanced => "balanced",
            QualityMode::Best => "best",
        }
    }
}

impl std::fmt::Display for QualityMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for QualityMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fast" => Ok(QualityMode::Fast),
            "balanced" => Ok(QualityMode::Balanced),
            "best" | "quality" => Ok(QualityMode::Best),
            other => Err(Error::invalid_input(format!(
                "unknown quality mode `{other}` (expected fast, balanced or best)"
            ))),
        }
    }
}

/// How the output images are made from the provider's canvas.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputOptions {
    /// Length of the output's longer side in pixels; the output keeps the person photo's aspect.
    pub long_edge: u32,
    /// Encoding.
    pub format: OutputFormat,
    /// Encoder quality, 1-100 (lossy formats only).
    pub quality: u8,
    /// Widths of the thumbnails made beside each image.
    pub thumbnail_widths: Vec<u32>,
    /// Automatic white balance of the result.
    pub color_correct: bool,
    /// Light unsharp-mask sharpening of the result.
    pub sharpen: bool,
}

impl Default for OutputOptions {
    fn default() -> Self {
        Self {
            long_edge: 1024,
            format: OutputFormat::Webp,
            quality: 85,
            thumbnail_widths: vec![256, 512],
            color_correct: false,
            sharpen: true,
        }
    }
}

/// Options of a try-on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TryOnOptions {
    /// Seed for providers that support one; the same seed and inputs give the same images.
    pub seed: Option<u64>,
    /// How many alternative images to make.
    pub samples: u8,
    /// Speed/quality trade-off.
    pub quality: QualityMode,
    /// How the output images are made.
    pub output: OutputOptions,
}

impl Default for TryOnOptions {
    fn default() -> Self {
        Self {
            seed: None,
            samples: 1,
            quality: QualityMode::Fast,
            output: OutputOptions::default(),
        }
    }
}

/// One garment to put on the person: its product photo and its category.
#[derive(Debug, Clone)]
pub struct GarmentInput {
    /// The encoded product photo (JPEG, PNG or WebP).
    pub image: Bytes,
    /// Where on the body it goes.
    pub category: GarmentCategory,
}

/// A try-on request: one person and the garments to dress them in.
///
/// Today providers accept one garment; the request holds a list so that outfits of several
/// garments need no change of type.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TryOnRequest {
    /// The encoded person photo (JPEG, PNG or WebP).
    pub person: Bytes,
    /// The garments, outermost last.
    pub garments: Vec<GarmentInput>,
    /// Body landmarks of the person, in the person photo's pixels (after EXIF orientation),
    /// supplied by the retailer; they override a provider's own estimates.
    pub person_landmarks: Option<BodyLandmarks>,
    /// Options.
    pub options: TryOnOptions,
}

impl TryOnRequest {
    /// A request for one garment with default options and category `auto`.
    pub fn new(person: impl Into<Bytes>, garment: impl Into<Bytes>) -> Self {
        Self {
            person: person.into(),
            garments: vec![GarmentInput {
                image: garment.into(),
                category: GarmentCategory::Auto,
            }],
            person_landmarks: None,
            options: TryOnOptions::default(),
        }
    }

    /// Supplies the person's body landmarks (in the person photo's pixels).
    pub fn with_person_landmarks(mut self, landmarks: BodyLandmarks) -> Self {
        self.person_landmarks = Some(landmarks);
        self
    }

    /// Sets the category of every garment.
    pub fn with_category(mut self, category: GarmentCategory) -> Self {
        for garment in &mut self.garments {
            garment.category = category;
        }
        self
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: TryOnOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks what can be checked without decoding; lists every problem.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.person.is_empty() {
            problems.push("the person image is empty".to_owned());
        }
        if self.garments.is_empty() {
            problems.push("at least one garment is required".to_owned());
        }
        for (i, garment) in self.garments.iter().enumerate() {
            if garment.image.is_empty() {
                problems.push(format!("garment {} image is empty", i + 1));
            }
        }
        if self.options.samples == 0 {
            problems.push("samples must be at least 1".to_owned());
        }
        let output = &self.options.output;
        if !(16..=8192).contains(&output.long_edge) {
            problems.push(format!(
                "output size {} is outside 16..=8192",
                output.long_edge
            ));
        }
        if !(1..=100).contains(&output.quality) {
            problems.push(format!("quality {} is outside 1..=100", output.quality));
        }
        if let Some(w) = output
            .thumbnail_widths
            .iter()
            .find(|w| !(8..=4096).contains(*w))
        {
            problems.push(format!("thumbnail width {w} is outside 8..=4096"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid_input(problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_modes_parse_by_name_and_the_old_name_of_best_still_works() {
        for mode in QualityMode::ALL {
            assert_eq!(mode.as_str().parse::<QualityMode>().unwrap(), mode);
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{mode}\""));
            assert_eq!(serde_json::from_str::<QualityMode>(&json).unwrap(), mode);
        }
        assert_eq!("quality".parse::<QualityMode>().unwrap(), QualityMode::Best);
        assert_eq!(
            serde_json::from_str::<QualityMode>("\"quality\"").unwrap(),
            QualityMode::Best
        );
        let err = "turbo".parse::<QualityMode>().unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("fast, balanced or best"), "{err}");
    }
}
