//! `grok`: style variations of a finished try-on with xAI's Grok Imagine image models.
//!
//! - `wire`: request body, response and error parsing (pure, tested on recorded bodies);
//! - `prompts`: the versioned style templates;
//! - `tryon`: `grok` as a try-on provider (person and garments in one multi-image edit);
//! - this file: configuration, models and prices, and the transport (`/v1/images/edits` with
//!   the try-on photo as the input image, so person and garment are kept;
//!   `/v1/images/generations` for scenes that need no input), through the shared HTTP client
//!   with its throttle and response cap.
//!
//! Grok Imagine Image 2.0 (`grok-imagine-image-2.0`, xAI's release notes of Aug-Sep 2026) takes
//! up to 5 source images per edit and a `quality` of `low`, `medium` or `high` that sets the
//! price; the older models take 3 and no quality. `grok-imagine-image-quality` was retired on
//! 2026-11-02: a configuration naming it is refused with an error saying what to use instead.

mod prompts;
mod tryon;
mod wire;

use std::sync::Arc;

pub use prompts::{PROMPT_VERSION, STYLES, TRYON_PROMPT_VERSION, style_prompt, tryon_prompt};
pub use tryon::GrokTryOnProvider;
pub use wire::KEY_VAR;

use super::http::{Auth, HttpClient, Secret};
use super::inline::InlineImage;
use super::registry::ProviderSettings;
use super::throttle::ThrottleConfig;
use super::{Capabilities, GeneratedImage, ProviderOutput, StyleProvider, StyleRequest, Usage};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::request::{GarmentCategory, QualityMode};

/// xAI's public endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.x.ai";
/// Environment variable that overrides the base URL.
pub const BASE_URL_VAR: &str = "XAI_BASE_URL";
/// Default model of style variations: Grok Imagine.
pub const DEFAULT_MODEL: &str = "grok-imagine-image";
/// Default model of try-ons: Grok Imagine Image 2.0 (several source images, `quality`).
pub const DEFAULT_TRYON_MODEL: &str = "grok-imagine-image-2.0";
/// The model xAI retired on 2026-11-02.
pub const RETIRED_MODEL: &str = "grok-imagine-image-quality";
/// List price of one `grok-imagine-image` output image in USD (edits also bill the input image).
const LIST_PRICE_PER_IMAGE: f64 = 0.02;
/// Assumed prices of one Grok Imagine Image 2.0 image at `quality` low, medium and high: xAI's
/// release notes say the quality sets the price but the notes FitView keeps give no figures, so
/// these are assumptions (low at the list price of `grok-imagine-image`); set
/// `modes.<mode>.usd_per_image` to your account's prices.
pub const ASSUMED_2_0_PRICES: [f64; 3] = [0.02, 0.04, 0.07];
/// Most images per request.
const MAX_IMAGES: u8 = 10;
const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// How the `grok` provider reaches xAI.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct XaiConfig {
    /// API key.
    pub api_key: Secret,
    /// Base URL: the API root (`/v1` is added) or a prefix ending before `/images/`.
    pub base_url: String,
    /// Model id.
    pub model: String,
    /// `resolution`: `1k` or `2k` (2k is super-resolved from 1k).
    pub resolution: String,
    /// Price of one image per mode (fast, balanced, best) instead of the built-in figure.
    pub usd_per_image: [Option<f64>; 3],
    /// The mode style variations use on a model that takes `quality` (2.0).
    pub variation_mode: QualityMode,
    /// Concurrency and rate limits.
    pub throttle: ThrottleConfig,
    /// Hard cap on a response body, checked before parsing.
    pub max_response_bytes: u64,
    /// Limits every returned image must pass.
    pub limits: Limits,
}

impl XaiConfig {
    /// The public xAI API with the default model.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: Secret::new(api_key),
            base_url: DEFAULT_BASE_URL.to_owned(),
            model: DEFAULT_MODEL.to_owned(),
            resolution: "1k".to_owned(),
            usd_per_image: [None; 3],
            variation_mode: QualityMode::Balanced,
            throttle: ThrottleConfig::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            limits: Limits::default(),
        }
    }

    /// From registry settings: the key from the settings or `XAI_API_KEY`, the base URL from the
    /// settings or `XAI_BASE_URL`, the model from the settings.
    pub fn from_settings(settings: &ProviderSettings) -> Result<Self> {
        let key = settings
            .api_key
            .clone()
            .or_else(|| std::env::var(KEY_VAR).ok())
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| Error::Auth {
                detail: format!("no xAI API key: set {KEY_VAR} (get one at https://console.x.ai)"),
            })?;
        let mut config = Self::new(key.trim());
        if let Some(base) = settings
            .base_url
            .clone()
            .or_else(|| std::env::var(BASE_URL_VAR).ok())
        {
            config.base_url = base;
        }
        if let Some(model) = &settings.model {
            config.model.clone_from(model);
        }
        for (i, mode) in QualityMode::ALL.into_iter().enumerate() {
            config.usd_per_image[i] = settings.mode_price(mode);
        }
        if let Some(throttle) = settings.throttle {
            config.throttle = throttle;
        }
        Ok(config)
    }

    /// Whether the model takes `quality` and up to 5 source images (Grok Imagine Image 2.0).
    pub fn is_2_0(&self) -> bool {
        self.model.starts_with("grok-imagine-image-2")
    }

    /// Most source images of one edit.
    pub fn max_sources(&self) -> usize {
        if self.is_2_0() { 5 } else { 3 }
    }

    /// The `quality` sent in `mode`; none on models that do not take it.
    pub fn quality(&self, mode: QualityMode) -> Option<&'static str> {
        self.is_2_0().then_some(match mode {
            QualityMode::Fast => "low",
            QualityMode::Balanced => "medium",
            _ => "high",
        })
    }

    /// The price of one image in `mode`: the configured one, else 2.0's assumed price for
    /// its quality, else the list price.
    pub fn price(&self, mode: QualityMode) -> f64 {
        let index = QualityMode::ALL
            .iter()
            .position(|&m| m == mode)
            .unwrap_or(0);
        self.usd_per_image[index].unwrap_or(if self.is_2_0() {
            ASSUMED_2_0_PRICES[index]
        } else {
            LIST_PRICE_PER_IMAGE
        })
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.model.trim().is_empty() {
            problems.push("xAI model id is empty".to_owned());
        }
        if self.model == RETIRED_MODEL {
            problems.push(format!(
                "xAI retired `{RETIRED_MODEL}` on 2026-11-02: use `{DEFAULT_TRYON_MODEL}` \
                 (its best mode sends quality = high)"
            ));
        }
        if !matches!(self.resolution.as_str(), "1k" | "2k") {
            problems.push(format!(
                "xAI resolution `{}` must be 1k or 2k",
                self.resolution
            ));
        }
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            problems.push(format!(
                "xAI base URL `{}` must start with https:// or http://",
                self.base_url
            ));
        }
        problems
    }
}

/// The `grok` style provider.
#[derive(Debug)]
pub struct GrokProvider {
    config: XaiConfig,
    http: HttpClient,
}

impl GrokProvider {
    /// Name in the provider registry.
    pub const NAME: &'static str = "grok";

    /// A provider for `config`.
    pub fn new(config: XaiConfig) -> Result<Self> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(Error::Config { problems });
        }
        let http = HttpClient::new(config.throttle, config.max_response_bytes)?;
        Ok(Self { config, http })
    }

    /// The provider the registry builds from `settings`.
    pub fn from_settings(settings: &ProviderSettings) -> Result<Arc<dyn StyleProvider>> {
        Ok(Arc::new(Self::new(XaiConfig::from_settings(settings)?)?))
    }

    fn endpoint(&self, operation: &str) -> String {
        let base = self.config.base_url.trim_end_matches('/');
        let has_path = base
            .split_once("://")
            .is_some_and(|(_, rest)| rest.contains('/'));
        if has_path {
            format!("{base}/images/{operation}")
        } else {
            format!("{base}/v1/images/{operation}")
        }
    }

    /// One images call; without a billed figure in the answer, each image costs `usd_per_image`.
    async fn call(
        &self,
        operation: &str,
        request: &wire::ImagesRequest<'_>,
        usd_per_image: f64,
    ) -> Result<ProviderOutput> {
        if !(1..=MAX_IMAGES).contains(&request.n) {
            return Err(Error::NotSupported {
                provider: Self::NAME.to_owned(),
                detail: format!(
                    "{} images requested, 1 to {MAX_IMAGES} per request",
                    request.n
                ),
            });
        }
        let body = wire::build_request_body(request)?;
        let auth = Auth::Bearer(self.config.api_key.clone());
        let reply = self
            .http
            .post_json(&self.endpoint(operation), &auth, body)
            .await?;
        if reply.status != 200 {
            return Err(wire::parse_error(
                reply.status,
                reply.retry_after,
                &reply.body,
            ));
        }
        let parsed = wire::parse_response(&reply.body, &self.config.limits)?;
        let count = parsed.images.len();
        let mut metadata = serde_json::Map::new();
        metadata.insert("model".into(), self.config.model.clone().into());
        metadata.insert("operation".into(), operation.into());
        if parsed.moderated > 0 {
            metadata.insert("moderated".into(), parsed.moderated.into());
        }
        if let Some(quality) = request.quality {
            metadata.insert("quality".into(), quality.into());
        }
        Ok(ProviderOutput {
            images: parsed
                .images
                .into_iter()
                .map(|(bytes, _)| GeneratedImage::Encoded(bytes))
                .collect(),
            usage: Usage {
                input_tokens: None,
                output_tokens: None,
                estimated_cost_usd: parsed.cost_usd.unwrap_or(usd_per_image * count as f64),
            },
            metadata,
        })
    }

    /// Generates `n` images from a prompt alone (`/v1/images/generations`), e.g. a backdrop,
    /// at `aspect_ratio` (`3:4`, `1:1`, ...).
    pub async fn generate(
        &self,
        prompt: &str,
        n: u8,
        aspect_ratio: &str,
    ) -> Result<ProviderOutput> {
        let request = wire::ImagesRequest {
            model: &self.config.model,
            prompt,
            n,
            inputs: &[],
            aspect_ratio: Some(aspect_ratio),
            resolution: Some(&self.config.resolution),
            quality: self.config.quality(self.config.variation_mode),
        };
        self.call(
            "generations",
            &request,
            self.config.price(self.config.variation_mode),
        )
        .await
    }
}

#[async_trait::async_trait]
impl StyleProvider for GrokProvider {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn prompt_version(&self) -> &str {
        PROMPT_VERSION
    }

    fn request_limits(&self) -> Option<ThrottleConfig> {
        Some(self.config.throttle)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            categories: GarmentCategory::ALL.to_vec(),
            max_garments: 1,
            canvas: (768, 1024),
            supports_seed: false,
            max_samples: MAX_IMAGES,
            pixel_aligned: false,
            styles: STYLES.map(str::to_owned).to_vec(),
            cost_per_image_usd: self.config.price(self.config.variation_mode),
        }
    }

    async fn stylize(&self, request: StyleRequest) -> Result<ProviderOutput> {
        let prompt = style_prompt(&request.style)?;
        let image = request.image.clone();
        let input = tokio::task::spawn_blocking(move || InlineImage::encode(&image)).await??;
        let inputs = [input];
        let call = wire::ImagesRequest {
            model: &self.config.model,
            prompt: &prompt,
            n: request.samples.max(1),
            inputs: &inputs,
            aspect_ratio: None,
            resolution: Some(&self.config.resolution),
            quality: self.config.quality(self.config.variation_mode),
        };
        let price = self.config.price(self.config.variation_mode);
        let mut output = self.call("edits", &call, price).await?;
        output
            .metadata
            .insert("style".into(), request.style.slug().into());
        Ok(output)
    }
}
