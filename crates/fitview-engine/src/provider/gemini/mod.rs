//! `nano-banana`: virtual try-on with Google's Gemini image models ("Nano Banana") over the
//! Gemini API's `models/{model}:generateContent`.
//!
//! - `wire`: request body, response and error parsing (pure, tested on recorded bodies);
//! - `prompts`: the versioned try-on prompt templates;
//! - `models`: default model ids and price estimates;
//! - this file: configuration and the transport (one HTTP call per sample, through the shared
//!   `HttpClient` with its throttle and response cap).
//!
//! The same code reaches the Gemini API (`x-goog-api-key`), a proxy or a local fake (any base
//! URL), and the Vertex AI form of the endpoint (a base URL ending in `.../publishers/google`,
//! with a bearer token instead of a key).

mod models;
pub(crate) mod prompts;
mod wire;

use std::sync::Arc;

use futures::future::try_join_all;

pub use models::{DEFAULT_BALANCED_MODEL, DEFAULT_BEST_MODEL, DEFAULT_FAST_MODEL};
pub use prompts::{PROMPT_VERSION, tryon_prompt};
pub use wire::KEY_VAR;
pub(crate) use wire::parse_google_error;

use super::http::{Auth, HttpClient, Secret};
use super::inline::InlineImage;
use super::registry::ProviderSettings;
use super::throttle::ThrottleConfig;
use super::{
    Capabilities, GeneratedImage, ModeOffer, ProviderOutput, ProviderRequest, TryOnProvider, Usage,
};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::request::{GarmentCategory, QualityMode};

/// The Gemini API's public endpoint.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// Environment variable that overrides the base URL.
pub const BASE_URL_VAR: &str = "GEMINI_BASE_URL";
/// The canvas FitView sends: Gemini 3's 1K output size at 3:4, the shape of a standing person.
const CANVAS: (u32, u32) = (896, 1200);
/// The aspect ratio requested, matching [`CANVAS`].
const ASPECT_RATIO: &str = "3:4";
/// Largest response accepted: a 4K PNG is ~25 MB, base64 makes it ~34 MB.
const DEFAULT_MAX_RESPONSE_BYTES: u64 = 48 * 1024 * 1024;

/// How the `nano-banana` provider reaches Gemini.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GeminiConfig {
    /// API key (Gemini API) or access token (Vertex AI).
    pub api_key: Secret,
    /// Base URL: the API root (`/v1beta` is added), or a full prefix ending before `/models/`
    /// (e.g. Vertex AI's `https://aiplatform.googleapis.com/v1/projects/P/locations/global/publishers/google`).
    pub base_url: String,
    /// Send the key as `Authorization: Bearer` (Vertex AI) instead of `x-goog-api-key`.
    pub bearer: bool,
    /// Model for [`QualityMode::Fast`] (asked for 1K images).
    pub fast_model: String,
    /// Model for [`QualityMode::Balanced`] (1K).
    pub balanced_model: String,
    /// Model for [`QualityMode::Best`] (2K where the model makes 2K).
    pub best_model: String,
    /// Price of one image per mode (fast, balanced, best) instead of the token estimate; when
    /// set, also the cost recorded after a call in that mode.
    pub usd_per_image: [Option<f64>; 3],
    /// Concurrency and rate limits.
    pub throttle: ThrottleConfig,
    /// Hard cap on a response body, checked before parsing.
    pub max_response_bytes: u64,
    /// Limits the returned image must pass (the engine decodes it with its own limits again).
    pub limits: Limits,
}

impl GeminiConfig {
    /// The public Gemini API with the default models.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: Secret::new(api_key),
            base_url: DEFAULT_BASE_URL.to_owned(),
            bearer: false,
            fast_model: DEFAULT_FAST_MODEL.to_owned(),
            balanced_model: DEFAULT_BALANCED_MODEL.to_owned(),
            best_model: DEFAULT_BEST_MODEL.to_owned(),
            usd_per_image: [None; 3],
            throttle: ThrottleConfig::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            limits: Limits::default(),
        }
    }

    /// From registry settings: the key from the settings or `GEMINI_API_KEY`, the base URL from
    /// the settings or `GEMINI_BASE_URL`; a model in the settings serves every quality mode, a
    /// mode's own (`modes.<mode>.model`) only that one.
    /// A Vertex AI base URL (host `aiplatform.googleapis.com`, or the Vertex path form
    /// `.../projects/P/locations/L/publishers/google` on a proxy) switches to bearer auth.
    pub fn from_settings(settings: &ProviderSettings) -> Result<Self> {
        let key = settings
            .api_key
            .clone()
            .or_else(|| std::env::var(KEY_VAR).ok())
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| Error::Auth {
                detail: format!(
                    "no Gemini API key: set {KEY_VAR} (get one at https://aistudio.google.com/apikey)"
                ),
            })?;
        let mut config = Self::new(key.trim());
        if let Some(base) = settings
            .base_url
            .clone()
            .or_else(|| std::env::var(BASE_URL_VAR).ok())
        {
            config.bearer =
                base.contains("aiplatform.googleapis.com") || base.contains("/publishers/google");
            config.base_url = base;
        }
        for (i, mode) in QualityMode::ALL.into_iter().enumerate() {
            let model = settings.mode_model(mode).or(settings.model.as_deref());
            if let Some(model) = model {
                config.model_mut(mode).clear();
                config.model_mut(mode).push_str(model);
            }
            config.usd_per_image[i] = settings.mode_price(mode);
        }
        if let Some(throttle) = settings.throttle {
            config.throttle = throttle;
        }
        Ok(config)
    }

    /// The model of `mode`.
    pub fn model(&self, mode: QualityMode) -> &str {
        match mode {
            QualityMode::Fast => &self.fast_model,
            QualityMode::Balanced => &self.balanced_model,
            _ => &self.best_model,
        }
    }

    fn model_mut(&mut self, mode: QualityMode) -> &mut String {
        match mode {
            QualityMode::Fast => &mut self.fast_model,
            QualityMode::Balanced => &mut self.balanced_model,
            _ => &mut self.best_model,
        }
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for model in [&self.fast_model, &self.balanced_model, &self.best_model] {
            let ok = !model.is_empty()
                && model
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
            if !ok {
                problems.push(format!("Gemini model id `{model}` is not a valid model id"));
            }
        }
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            problems.push(format!(
                "Gemini base URL `{}` must start with https:// or http://",
                self.base_url
            ));
        }
        problems
    }
}

/// The `nano-banana` try-on provider.
#[derive(Debug)]
pub struct NanoBananaProvider {
    config: GeminiConfig,
    http: HttpClient,
    /// The model ids as reported by [`TryOnProvider::model`].
    label: String,
}

impl NanoBananaProvider {
    /// Name in the provider registry.
    pub const NAME: &'static str = "nano-banana";

    /// A provider for `config`; fails on an invalid model id or base URL.
    pub fn new(config: GeminiConfig) -> Result<Self> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(Error::Config { problems });
        }
        let http = HttpClient::new(config.throttle, config.max_response_bytes)?;
        let mut models: Vec<&str> = QualityMode::ALL.map(|m| config.model(m)).to_vec();
        models.dedup();
        let label = models.join(" | ");
        Ok(Self {
            config,
            http,
            label,
        })
    }

    /// The provider the registry builds from `settings`.
    pub fn from_settings(settings: &ProviderSettings) -> Result<Arc<dyn TryOnProvider>> {
        Ok(Arc::new(Self::new(GeminiConfig::from_settings(settings)?)?))
    }

    /// The image size asked for in `quality`: 2K for the best mode where its model makes 2K
    /// images (Nano Banana 2 Lite makes 1K only), else 1K.
    fn image_size(&self, quality: QualityMode) -> &'static str {
        let model = models::info(self.config.model(quality));
        match quality {
            QualityMode::Best if model.makes_2k => "2K",
            _ => "1K",
        }
    }

    /// The configured price of one image in `quality`, if any.
    fn price_override(&self, quality: QualityMode) -> Option<f64> {
        let index = QualityMode::ALL.iter().position(|&m| m == quality)?;
        self.config.usd_per_image[index]
    }

    fn endpoint(&self, model: &str) -> String {
        let base = self.config.base_url.trim_end_matches('/');
        let has_path = base
            .split_once("://")
            .is_some_and(|(_, rest)| rest.contains('/'));
        let prefix = if has_path {
            base.to_owned()
        } else {
            format!("{base}/v1beta")
        };
        format!("{prefix}/models/{model}:generateContent")
    }

    fn auth(&self) -> Auth {
        if self.config.bearer {
            Auth::Bearer(self.config.api_key.clone())
        } else {
            Auth::Header("x-goog-api-key", self.config.api_key.clone())
        }
    }

    /// One generateContent call: one image or a typed error.
    async fn generate(&self, url: &str, body: Vec<u8>) -> Result<wire::GeneratedImage> {
        let reply = self.http.post_json(url, &self.auth(), body).await?;
        if reply.status == 200 {
            wire::parse_response(&reply.body, &self.config.limits)
        } else {
            Err(wire::parse_error(
                reply.status,
                reply.retry_after,
                &reply.body,
            ))
        }
    }
}

#[async_trait::async_trait]
impl TryOnProvider for NanoBananaProvider {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn model(&self) -> &str {
        &self.label
    }

    fn prompt_version(&self) -> &str {
        PROMPT_VERSION
    }

    fn request_limits(&self) -> Option<ThrottleConfig> {
        Some(self.config.throttle)
    }

    fn modes(&self) -> Vec<ModeOffer> {
        QualityMode::ALL
            .map(|mode| {
                let model = self.config.model(mode);
                ModeOffer {
                    mode,
                    model: model.to_owned(),
                    setting: format!("imageSize={}", self.image_size(mode)),
                    usd_per_image: self
                        .price_override(mode)
                        .unwrap_or_else(|| models::info(model).cost_per_image()),
                }
            })
            .to_vec()
    }

    fn capabilities(&self) -> Capabilities {
        let max_input_images = QualityMode::ALL
            .map(|m| models::info(self.config.model(m)).max_input_images)
            .into_iter()
            .min()
            .unwrap_or(2);
        Capabilities {
            categories: GarmentCategory::ALL.to_vec(),
            // One input image is the person.
            max_garments: max_input_images.saturating_sub(1).max(1),
            canvas: CANVAS,
            supports_seed: false,
            max_samples: 4,
            pixel_aligned: false,
            styles: Vec::new(),
            cost_per_image_usd: self.offer(QualityMode::Fast).usd_per_image,
        }
    }

    async fn try_on(&self, request: ProviderRequest) -> Result<ProviderOutput> {
        let categories: Vec<GarmentCategory> =
            request.garments.iter().map(|g| g.category).collect();
        self.capabilities()
            .check(Self::NAME, &categories, request.samples)?;
        let model = self.config.model(request.quality).to_owned();
        let prompt = tryon_prompt(&categories, request.quality);
        let image_size = self.image_size(request.quality);
        let images = {
            let request = request.clone();
            tokio::task::spawn_blocking(move || {
                let mut images = request
                    .garments
                    .iter()
                    .map(|g| InlineImage::encode(&g.image))
                    .collect::<Result<Vec<_>>>()?;
                images.push(InlineImage::encode(&request.person)?);
                Ok::<_, Error>(images)
            })
            .await??
        };
        let url = self.endpoint(&model);
        let calls = (0..request.samples.max(1)).map(|sample| {
            let seed = request
                .seed
                .map(|s| (s.wrapping_add(u64::from(sample)) % (i32::MAX as u64)) as i32);
            let body = wire::build_request_body(&wire::ImageRequest {
                images: &images,
                prompt: &prompt,
                aspect_ratio: ASPECT_RATIO,
                image_size,
                seed,
            });
            let url = &url;
            async move { self.generate(url, body?).await }
        });
        let generated = try_join_all(calls).await?;

        let info = models::info(&model);
        let generated_count = generated.len();
        let (mut input, mut output, mut reported) = (0, 0, true);
        for g in &generated {
            let usage = g.usage;
            reported &= usage.prompt_token_count.is_some();
            input += usage.prompt_token_count.unwrap_or(0);
            output += usage
                .candidates_token_count
                .unwrap_or(info.tokens_per_image)
                + usage.thoughts_token_count.unwrap_or(0);
        }
        let mut metadata = serde_json::Map::new();
        metadata.insert("model".into(), model.clone().into());
        metadata.insert("image_size".into(), image_size.into());
        metadata.insert("aspect_ratio".into(), ASPECT_RATIO.into());
        if let Some(version) = generated.iter().find_map(|g| g.model_version.clone()) {
            metadata.insert("model_version".into(), version.into());
        }
        let formats: Vec<serde_json::Value> = generated
            .iter()
            .map(|g| {
                serde_json::json!({
                    "declared": g.declared_mime_type,
                    "sniffed": g.format.name(),
                })
            })
            .collect();
        metadata.insert("image_formats".into(), formats.into());
        Ok(ProviderOutput {
            images: generated
                .into_iter()
                .map(|g| GeneratedImage::Encoded(g.bytes))
                .collect(),
            usage: Usage {
                input_tokens: reported.then_some(input),
                output_tokens: reported.then_some(output),
                estimated_cost_usd: match self.price_override(request.quality) {
                    Some(usd) => usd * generated_count as f64,
                    None => info.cost(input, output),
                },
            },
            metadata,
        })
    }
}
