//! `vertex-vto`: virtual try-on with Google's dedicated Vertex AI Virtual Try-On model
//! (`virtual-try-on-001` by default) over `publishers/google/models/{model}:predict`.
//!
//! - `wire`: the `:predict` body and its predictions (pure, tested on documented bodies);
//! - `token`: where the OAuth bearer token comes from (a fixed token, a command such as
//!   `gcloud auth print-access-token` whose answer is reused for a while, or
//!   `GOOGLE_OAUTH_ACCESS_TOKEN`), so no Google SDK is needed;
//! - this file: configuration and the transport, through the shared HTTP client. Errors are the
//!   `google.rpc.Status` envelope, mapped as for Gemini.

mod token;
mod wire;

use std::sync::Arc;

pub use token::{TOKEN_VAR, TokenSource};

use super::gemini::parse_google_error;
use super::http::{Auth, HttpClient};
use super::inline::InlineImage;
use super::registry::ProviderSettings;
use super::throttle::ThrottleConfig;
use super::{
    Capabilities, GeneratedImage, ModeOffer, ProviderOutput, ProviderRequest, TryOnProvider, Usage,
};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::request::{GarmentCategory, QualityMode};

/// Default model (GA).
pub const DEFAULT_MODEL: &str = "virtual-try-on-001";
/// Environment variable naming the Google Cloud project.
pub const PROJECT_VAR: &str = "GOOGLE_CLOUD_PROJECT";
/// Environment variable naming the region.
pub const LOCATION_VAR: &str = "GOOGLE_CLOUD_LOCATION";
/// Environment variable that overrides the base URL (a proxy or a fake).
pub const BASE_URL_VAR: &str = "VERTEX_BASE_URL";
/// Region used when none is configured.
pub const DEFAULT_LOCATION: &str = "us-central1";
/// Google's list price of one Virtual Try-On output image in USD.
pub const DEFAULT_USD_PER_IMAGE: f64 = 0.06;
/// The canvas FitView sends; Virtual Try-On answers at the input's size.
const CANVAS: (u32, u32) = (768, 1024);
/// Most images per request.
const MAX_SAMPLES: u8 = 4;
/// Vertex AI's default quota: 50 requests a minute a project.
const DEFAULT_REQUESTS_PER_MINUTE: u32 = 50;
const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// How the `vertex-vto` provider reaches Vertex AI.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VertexConfig {
    /// Where the bearer token comes from.
    pub token: TokenSource,
    /// Google Cloud project id.
    pub project: String,
    /// Region (`us-central1`, `europe-west4`, ...).
    pub location: String,
    /// Base URL; `None` for `https://{location}-aiplatform.googleapis.com`.
    pub base_url: Option<String>,
    /// Model id.
    pub model: String,
    /// `baseSteps` for [`QualityMode::Fast`] (more steps: better and slower; Google's default
    /// is 32).
    pub fast_steps: u32,
    /// `baseSteps` for [`QualityMode::Balanced`].
    pub balanced_steps: u32,
    /// `baseSteps` for [`QualityMode::Best`].
    pub best_steps: u32,
    /// `personGeneration`: `dont_allow`, `allow_adult` or `allow_all`.
    pub person_generation: String,
    /// `safetySetting`: `block_low_and_above`, `block_medium_and_above`, `block_only_high` or
    /// `block_none`.
    pub safety_setting: String,
    /// `outputOptions.mimeType`: `image/png` or `image/jpeg`.
    pub output_mime_type: String,
    /// What one output image costs, in USD.
    pub usd_per_image: f64,
    /// Concurrency and rate limits.
    pub throttle: ThrottleConfig,
    /// Hard cap on a response body, checked before parsing.
    pub max_response_bytes: u64,
    /// Limits every returned image must pass.
    pub limits: Limits,
}

impl VertexConfig {
    /// The public Vertex AI endpoint of `project` in `location`, with the default model.
    pub fn new(
        token: TokenSource,
        project: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        Self {
            token,
            project: project.into(),
            location: location.into(),
            base_url: None,
            model: DEFAULT_MODEL.to_owned(),
            fast_steps: 24,
            balanced_steps: 32,
            best_steps: 48,
            person_generation: "allow_adult".to_owned(),
            safety_setting: "block_medium_and_above".to_owned(),
            output_mime_type: "image/png".to_owned(),
            usd_per_image: DEFAULT_USD_PER_IMAGE,
            throttle: ThrottleConfig {
                requests_per_minute: Some(DEFAULT_REQUESTS_PER_MINUTE),
                ..ThrottleConfig::default()
            },
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            limits: Limits::default(),
        }
    }

    /// From registry settings or the environment: the token from `api_key` (a token),
    /// `token_command` or `GOOGLE_OAUTH_ACCESS_TOKEN`; the project from `project` or
    /// `GOOGLE_CLOUD_PROJECT`; the region from `location`, `GOOGLE_CLOUD_LOCATION` or
    /// `us-central1`; the base URL from `base_url` or `VERTEX_BASE_URL`.
    pub fn from_settings(settings: &ProviderSettings) -> Result<Self> {
        let env = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
        let token = TokenSource::from_settings(settings)?;
        let project = settings
            .project
            .clone()
            .or_else(|| env(PROJECT_VAR))
            .ok_or_else(|| Error::Config {
                problems: vec![format!(
                    "vertex-vto needs a Google Cloud project: set `project` in its settings or {PROJECT_VAR}"
                )],
            })?;
        let location = settings
            .location
            .clone()
            .or_else(|| env(LOCATION_VAR))
            .unwrap_or_else(|| DEFAULT_LOCATION.to_owned());
        let mut config = Self::new(token, project.trim(), location.trim());
        config.base_url = settings.base_url.clone().or_else(|| env(BASE_URL_VAR));
        if let Some(model) = &settings.model {
            config.model.clone_from(model);
        }
        if let Some(throttle) = settings.throttle {
            config.throttle = throttle;
        }
        Ok(config)
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let id_like = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        };
        for (what, value) in [
            ("project", &self.project),
            ("location", &self.location),
            ("model", &self.model),
        ] {
            if !id_like(value) {
                problems.push(format!("Vertex AI {what} `{value}` is not a valid id"));
            }
        }
        if let Some(base) = &self.base_url
            && !(base.starts_with("https://") || base.starts_with("http://"))
        {
            problems.push(format!(
                "Vertex AI base URL `{base}` must start with https:// or http://"
            ));
        }
        for steps in [self.fast_steps, self.balanced_steps, self.best_steps] {
            if steps == 0 {
                problems.push("Vertex AI baseSteps must be at least 1".to_owned());
            }
        }
        let one_of = |what: &str, value: &str, allowed: &[&str]| {
            (!allowed.contains(&value.to_ascii_lowercase().as_str())).then(|| {
                format!(
                    "Vertex AI {what} `{value}` must be one of {}",
                    allowed.join(", ")
                )
            })
        };
        problems.extend(one_of(
            "personGeneration",
            &self.person_generation,
            &["dont_allow", "allow_adult", "allow_all"],
        ));
        problems.extend(one_of(
            "safetySetting",
            &self.safety_setting,
            &[
                "block_low_and_above",
                "block_medium_and_above",
                "block_only_high",
                "block_none",
            ],
        ));
        problems.extend(one_of(
            "outputOptions.mimeType",
            &self.output_mime_type,
            &["image/png", "image/jpeg"],
        ));
        if !(self.usd_per_image.is_finite() && self.usd_per_image >= 0.0) {
            problems.push("Vertex AI usd_per_image must be a non-negative number".to_owned());
        }
        problems
    }
}

/// The `vertex-vto` try-on provider.
#[derive(Debug)]
pub struct VertexTryOnProvider {
    config: VertexConfig,
    http: HttpClient,
}

impl VertexTryOnProvider {
    /// Name in the provider registry.
    pub const NAME: &'static str = "vertex-vto";

    /// A provider for `config`; fails on an invalid setting.
    pub fn new(config: VertexConfig) -> Result<Self> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(Error::Config { problems });
        }
        let http = HttpClient::new(config.throttle, config.max_response_bytes)?;
        Ok(Self { config, http })
    }

    /// The provider the registry builds from `settings`.
    pub fn from_settings(settings: &ProviderSettings) -> Result<Arc<dyn TryOnProvider>> {
        Ok(Arc::new(Self::new(VertexConfig::from_settings(settings)?)?))
    }

    fn endpoint(&self) -> String {
        let VertexConfig {
            project,
            location,
            model,
            ..
        } = &self.config;
        let prefix = match &self.config.base_url {
            Some(base) => {
                let base = base.trim_end_matches('/');
                let has_path = base
                    .split_once("://")
                    .is_some_and(|(_, rest)| rest.contains('/'));
                if has_path {
                    base.to_owned()
                } else {
                    format!("{base}/v1")
                }
            }
            None => format!("https://{location}-aiplatform.googleapis.com/v1"),
        };
        format!(
            "{prefix}/projects/{project}/locations/{location}/publishers/google/models/{model}:predict"
        )
    }

    fn base_steps(&self, quality: QualityMode) -> u32 {
        match quality {
            QualityMode::Fast => self.config.fast_steps,
            QualityMode::Balanced => self.config.balanced_steps,
            _ => self.config.best_steps,
        }
    }
}

#[async_trait::async_trait]
impl TryOnProvider for VertexTryOnProvider {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn prompt_version(&self) -> &str {
        // No prompt: the request is the model's parameters, versioned with this module.
        "vertex-vto-params-1"
    }

    fn request_limits(&self) -> Option<ThrottleConfig> {
        Some(self.config.throttle)
    }

    fn modes(&self) -> Vec<ModeOffer> {
        // One price per image whatever the steps (Google prices the model per image).
        QualityMode::ALL
            .map(|mode| ModeOffer {
                setting: format!("baseSteps={}", self.base_steps(mode)),
                ..ModeOffer::flat(mode, &self.config.model, self.config.usd_per_image)
            })
            .to_vec()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // The model classifies the product itself; drapes are not among what it dresses.
            categories: GarmentCategory::ALL
                .into_iter()
                .filter(|c| !matches!(c, GarmentCategory::Saree | GarmentCategory::Dupatta))
                .collect(),
            max_garments: 1,
            canvas: CANVAS,
            supports_seed: true,
            max_samples: MAX_SAMPLES,
            pixel_aligned: false,
            styles: Vec::new(),
            cost_per_image_usd: self.config.usd_per_image,
        }
    }

    async fn try_on(&self, request: ProviderRequest) -> Result<ProviderOutput> {
        let categories: Vec<GarmentCategory> =
            request.garments.iter().map(|g| g.category).collect();
        self.capabilities()
            .check(Self::NAME, &categories, request.samples)?;
        let Some(garment) = request.garments.first() else {
            return Err(Error::invalid_input("a try-on needs a garment"));
        };
        let (person, product) = {
            let person = request.person.clone();
            let garment = garment.image.clone();
            tokio::task::spawn_blocking(move || {
                Ok::<_, Error>((
                    InlineImage::encode(&person)?,
                    InlineImage::encode(&garment)?,
                ))
            })
            .await??
        };
        let samples = request.samples.max(1);
        let base_steps = self.base_steps(request.quality);
        let jpeg = self
            .config
            .output_mime_type
            .eq_ignore_ascii_case("image/jpeg");
        let body = wire::build_request_body(&wire::PredictRequest {
            person: &person,
            garment: &product,
            sample_count: samples,
            base_steps,
            seed: request.seed.map(|s| (s % (i32::MAX as u64)) as u32),
            person_generation: &self.config.person_generation,
            safety_setting: &self.config.safety_setting,
            output_mime_type: &self.config.output_mime_type,
            compression_quality: jpeg.then_some(90),
        })?;
        let token = self.config.token.token().await?;
        let reply = self
            .http
            .post_json(&self.endpoint(), &Auth::Bearer(token), body)
            .await?;
        if reply.status != 200 {
            return Err(parse_google_error(
                "Vertex AI",
                TOKEN_VAR,
                reply.status,
                reply.retry_after,
                &reply.body,
            ));
        }
        let predictions = wire::parse_response(&reply.body, samples, &self.config.limits)?;
        let count = predictions.images.len();
        let mut metadata = serde_json::Map::new();
        metadata.insert("model".into(), self.config.model.clone().into());
        metadata.insert("base_steps".into(), base_steps.into());
        if predictions.filtered > 0 {
            metadata.insert("filtered".into(), predictions.filtered.into());
        }
        Ok(ProviderOutput {
            images: predictions
                .images
                .into_iter()
                .map(|(bytes, _)| GeneratedImage::Encoded(bytes))
                .collect(),
            usage: Usage {
                input_tokens: None,
                output_tokens: None,
                estimated_cost_usd: self.config.usd_per_image * count as f64,
            },
            metadata,
        })
    }
}
