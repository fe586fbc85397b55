//! `fashn`: virtual try-on with FASHN's API (`tryon-v1.6` by default).
//!
//! - `wire`: the run body, run and status answers, outputs and named errors (pure, tested on
//!   FASHN's documented bodies);
//! - this file: configuration and the transport. FASHN is asynchronous: `POST /v1/run` returns a
//!   prediction id, then `GET /v1/status/{id}` is polled with a growing interval until the
//!   prediction is `completed` or `failed`, never past [`FashnConfig::max_wait`]. Outputs come as
//!   base64 data URIs or as URLs, which are fetched (without the key) only from FASHN's hosts or
//!   the configured base URL's, under the same response cap and image limits as any answer.
//!
//! One prediction holds one throttle slot from run to last download: FASHN limits predictions
//! in flight (6 by default), not HTTP calls, so the polls do not count again.

mod wire;

use std::sync::Arc;
use std::time::Duration;

use image::{Rgba, RgbaImage};
use tokio::time::Instant;

pub use wire::KEY_VAR;

use super::http::{Auth, HttpClient, Reply, Secret};
use super::inline::{InlineImage, checked_image};
use super::registry::ProviderSettings;
use super::throttle::ThrottleConfig;
use super::{
    Capabilities, GeneratedImage, ModeOffer, ProviderOutput, ProviderRequest, TryOnProvider, Usage,
};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::pipeline::resize::paste_over;
use crate::request::{GarmentCategory, QualityMode};

/// FASHN's public endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.fashn.ai";
/// Environment variable that overrides the base URL.
pub const BASE_URL_VAR: &str = "FASHN_BASE_URL";
/// Default model.
pub const DEFAULT_MODEL: &str = "tryon-v1.6";
/// FASHN's on-demand price of one credit in USD; accounts on a plan pay less
/// ([`FashnConfig::usd_per_credit`]).
pub const DEFAULT_USD_PER_CREDIT: f64 = 0.075;
/// The canvas FitView sends: FASHN's processing resolution (864×1296, 2:3).
const CANVAS: (u32, u32) = (864, 1296);
/// Most images per prediction.
const MAX_SAMPLES: u8 = 4;
/// FASHN's default limit of predictions in flight.
const DEFAULT_CONCURRENCY: usize = 6;
/// Status polls that may fail in a row (a 5xx, a dropped connection) before the prediction is
/// given up: a paid prediction is not abandoned for one lost poll.
const MAX_FAILED_POLLS: u32 = 3;
const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// How the `fashn` provider reaches FASHN.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FashnConfig {
    /// API key.
    pub api_key: Secret,
    /// Base URL: the API root (`/v1` is added) or a prefix ending before `/run`.
    pub base_url: String,
    /// `model_name` of the prediction.
    pub model: String,
    /// `moderation_level`: `conservative`, `permissive` or `none`.
    pub moderation_level: String,
    /// Ask for base64 data URIs (kept by FASHN for 60 minutes) instead of CDN URLs (72 hours).
    pub return_base64: bool,
    /// `output_format`: `png` or `jpeg`.
    pub output_format: String,
    /// What one credit costs the account, in USD.
    pub usd_per_credit: f64,
    /// Wait before the first status poll; each later wait is half as long again.
    pub first_poll: Duration,
    /// Longest wait between two polls.
    pub max_poll_interval: Duration,
    /// Longest time a prediction may take, run to completion; then the attempt is a timeout.
    /// Keep it under the engine's `retry.attempt_timeout`.
    pub max_wait: Duration,
    /// Predictions in flight and started per minute.
    pub throttle: ThrottleConfig,
    /// Hard cap on a response body (an answer or a downloaded output), checked before parsing.
    pub max_response_bytes: u64,
    /// Limits every returned image must pass.
    pub limits: Limits,
}

impl FashnConfig {
    /// The public FASHN API with the default model.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: Secret::new(api_key),
            base_url: DEFAULT_BASE_URL.to_owned(),
            model: DEFAULT_MODEL.to_owned(),
            moderation_level: "permissive".to_owned(),
            return_base64: true,
            output_format: "png".to_owned(),
            usd_per_credit: DEFAULT_USD_PER_CREDIT,
            first_poll: Duration::from_millis(1000),
            max_poll_interval: Duration::from_secs(3),
            max_wait: Duration::from_secs(85),
            throttle: ThrottleConfig {
                max_concurrency: DEFAULT_CONCURRENCY,
                ..ThrottleConfig::default()
            },
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            limits: Limits::default(),
        }
    }

    /// From registry settings: the key from the settings or `FASHN_API_KEY`, the base URL from
    /// the settings or `FASHN_BASE_URL`, the model and throttle from the settings.
    pub fn from_settings(settings: &ProviderSettings) -> Result<Self> {
        let key = settings
            .api_key
            .clone()
            .or_else(|| std::env::var(KEY_VAR).ok())
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| Error::Auth {
                detail: format!(
                    "no FASHN API key: set {KEY_VAR} (get one at https://app.fashn.ai/api)"
                ),
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
        if let Some(throttle) = settings.throttle {
            config.throttle = throttle;
        }
        Ok(config)
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.model.trim().is_empty() {
            problems.push("FASHN model name is empty".to_owned());
        }
        if reqwest::Url::parse(&self.base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .is_none()
        {
            problems.push(format!(
                "FASHN base URL `{}` must be an http:// or https:// URL",
                self.base_url
            ));
        }
        if !matches!(
            self.moderation_level.as_str(),
            "conservative" | "permissive" | "none"
        ) {
            problems.push(format!(
                "FASHN moderation level `{}` must be conservative, permissive or none",
                self.moderation_level
            ));
        }
        if !matches!(self.output_format.as_str(), "png" | "jpeg") {
            problems.push(format!(
                "FASHN output format `{}` must be png or jpeg",
                self.output_format
            ));
        }
        if !(self.usd_per_credit.is_finite() && self.usd_per_credit >= 0.0) {
            problems.push("FASHN usd_per_credit must be a non-negative number".to_owned());
        }
        if self.first_poll.is_zero() || self.max_poll_interval < self.first_poll {
            problems.push(
                "FASHN polls need a first wait above zero and a longest wait at least as long"
                    .to_owned(),
            );
        }
        problems
    }

    /// Credits one output image costs on this model (FASHN's price list: `tryon-max` is 4).
    fn credits_per_image(&self) -> f64 {
        if self.model.starts_with("tryon-max") {
            4.0
        } else {
            1.0
        }
    }
}

/// The `fashn` try-on provider.
#[derive(Debug)]
pub struct FashnProvider {
    config: FashnConfig,
    http: HttpClient,
    base: reqwest::Url,
}

impl FashnProvider {
    /// Name in the provider registry.
    pub const NAME: &'static str = "fashn";

    /// A provider for `config`; fails on an invalid setting.
    pub fn new(config: FashnConfig) -> Result<Self> {
        let problems = config.problems();
        let base = reqwest::Url::parse(&config.base_url).ok();
        let Some(base) = base.filter(|_| problems.is_empty()) else {
            return Err(Error::Config { problems });
        };
        let http = HttpClient::new(config.throttle, config.max_response_bytes)?;
        Ok(Self { config, http, base })
    }

    /// The provider the registry builds from `settings`.
    pub fn from_settings(settings: &ProviderSettings) -> Result<Arc<dyn TryOnProvider>> {
        Ok(Arc::new(Self::new(FashnConfig::from_settings(settings)?)?))
    }

    fn endpoint(&self, path: &str) -> String {
        let base = self.config.base_url.trim_end_matches('/');
        if self.base.path().trim_matches('/').is_empty() {
            format!("{base}/v1/{path}")
        } else {
            format!("{base}/{path}")
        }
    }

    fn auth(&self) -> Auth {
        Auth::Bearer(self.config.api_key.clone())
    }

    /// Submits the prediction; its id.
    async fn run(&self, inputs: &wire::TryOnInputs) -> Result<String> {
        let body = wire::build_run_body(&self.config.model, inputs)?;
        let reply = self
            .http
            .send_post_json(&self.endpoint("run"), &self.auth(), body)
            .await?;
        if reply.status != 200 {
            return Err(failure(&reply));
        }
        wire::parse_run(&reply.body)
    }

    /// Polls the prediction until it completes (its outputs and the credits it cost, when FASHN
    /// said), fails (its error) or outlasts [`FashnConfig::max_wait`] (a timeout).
    async fn wait_for(&self, id: &str) -> Result<(Vec<wire::Output>, Option<f64>)> {
        let url = self.endpoint(&format!("status/{id}"));
        let started = Instant::now();
        let deadline = started + self.config.max_wait;
        let mut interval = self.config.first_poll;
        let mut failed_polls = 0;
        loop {
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!(prediction = id, "FASHN prediction did not finish in time");
                return Err(Error::Timeout {
                    after: started.elapsed(),
                });
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = interval.mul_f64(1.5).min(self.config.max_poll_interval);
            let reply = match self.http.send_get(&url, Some(&self.auth())).await {
                Ok(reply) if reply.status == 200 => reply,
                answered => {
                    let err = answered.map_or_else(|e| e, |reply| failure(&reply));
                    // A poll lost to the network, a 5xx or a 429 says nothing about the
                    // prediction: a paid prediction is not abandoned for it.
                    if err.is_retryable() && failed_polls < MAX_FAILED_POLLS {
                        failed_polls += 1;
                        tracing::debug!(prediction = id, error = %err, "FASHN status poll failed");
                        continue;
                    }
                    return Err(err);
                }
            };
            failed_polls = 0;
            match wire::parse_status(&reply.body)? {
                wire::Status::Pending(status) => {
                    tracing::debug!(prediction = id, status, "FASHN prediction pending");
                }
                wire::Status::Completed(outputs) => {
                    let credits = wire::credits_used(
                        reply
                            .headers
                            .get(wire::CREDITS_HEADER)
                            .and_then(|v| v.to_str().ok()),
                    );
                    return Ok((outputs, credits));
                }
            }
        }
    }

    /// An output's image bytes, checked: decoded from its data URI, or fetched from its URL
    /// when the URL is FASHN's or the base URL's.
    async fn image(&self, output: wire::Output) -> Result<GeneratedImage> {
        let bytes = match output {
            wire::Output::Inline(bytes) => bytes,
            wire::Output::Url(url) => self.download(&url).await?,
        };
        let (bytes, _) = checked_image(bytes, &self.config.limits)?;
        Ok(GeneratedImage::Encoded(bytes))
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        let parsed = reqwest::Url::parse(url).map_err(|_| Error::MalformedResponse {
            detail: "FASHN output URL does not parse".to_owned(),
        })?;
        if !self.is_trusted_output_host(&parsed) {
            return Err(Error::MalformedResponse {
                detail: format!(
                    "FASHN output URL host `{}` is neither FASHN's nor the base URL's; not fetched",
                    parsed.host_str().unwrap_or_default()
                ),
            });
        }
        let reply = self.http.send_get(parsed.as_str(), None).await?;
        match reply.status {
            200 => Ok(reply.body.to_vec()),
            408 | 429 | 500..=599 => Err(Error::Unavailable {
                detail: format!("FASHN output download answered HTTP {}", reply.status),
            }),
            status => Err(Error::MalformedResponse {
                detail: format!("FASHN output download answered HTTP {status}"),
            }),
        }
    }

    /// FASHN's own hosts over https, or exactly the configured base URL's scheme, host and port.
    fn is_trusted_output_host(&self, url: &reqwest::Url) -> bool {
        let host = url.host_str().unwrap_or_default();
        let fashn = url.scheme() == "https" && (host == "fashn.ai" || host.ends_with(".fashn.ai"));
        let base = url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default();
        fashn || base
    }
}

/// A non-200 answer of FASHN's API as a typed error.
fn failure(reply: &Reply) -> Error {
    wire::parse_error(reply.status, reply.retry_after, &reply.body)
}

/// FASHN's `mode` for a quality mode.
fn mode(quality: QualityMode) -> &'static str {
    match quality {
        QualityMode::Fast => "performance",
        QualityMode::Balanced => "balanced",
        _ => "quality",
    }
}

/// A cut-out garment laid on white: a product photo as FASHN expects one, not transparency.
fn on_white(garment: &RgbaImage) -> RgbaImage {
    let mut out = RgbaImage::from_pixel(
        garment.width(),
        garment.height(),
        Rgba([255, 255, 255, 255]),
    );
    paste_over(&mut out, garment, 0, 0);
    out
}

#[async_trait::async_trait]
impl TryOnProvider for FashnProvider {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn prompt_version(&self) -> &str {
        // No prompt: the request is FASHN's inputs, versioned with this module.
        "fashn-inputs-1"
    }

    fn request_limits(&self) -> Option<ThrottleConfig> {
        Some(self.config.throttle)
    }

    fn modes(&self) -> Vec<ModeOffer> {
        // FASHN bills credits per image whatever the mode.
        let price = self.config.credits_per_image() * self.config.usd_per_credit;
        QualityMode::ALL
            .map(|quality| ModeOffer {
                setting: format!("mode={}", mode(quality)),
                ..ModeOffer::flat(quality, &self.config.model, price)
            })
            .to_vec()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            categories: GarmentCategory::ALL
                .into_iter()
                .filter(|c| wire::category(*c).is_some())
                .collect(),
            max_garments: 1,
            canvas: CANVAS,
            supports_seed: true,
            max_samples: MAX_SAMPLES,
            pixel_aligned: false,
            styles: Vec::new(),
            cost_per_image_usd: self.config.credits_per_image() * self.config.usd_per_credit,
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
        let category = wire::category(garment.category).ok_or_else(|| Error::NotSupported {
            provider: Self::NAME.to_owned(),
            detail: format!("garment category `{}`", garment.category),
        })?;
        let (person, garment_image) = {
            let person = request.person.clone();
            let garment = garment.image.clone();
            tokio::task::spawn_blocking(move || {
                Ok::<_, Error>((
                    InlineImage::encode(&person)?.data_uri(),
                    InlineImage::encode(&on_white(&garment))?.data_uri(),
                ))
            })
            .await??
        };
        let samples = request.samples.max(1);
        let inputs = wire::TryOnInputs {
            model_image: person,
            garment_image,
            category,
            // FitView sends the garment cut out of its photo, laid flat on white.
            garment_photo_type: "flat-lay",
            mode: mode(request.quality),
            moderation_level: self.config.moderation_level.clone(),
            num_samples: samples,
            seed: request.seed.map(|s| (s % (1 << 32)) as u32),
            output_format: self.config.output_format.clone(),
            return_base64: self.config.return_base64,
        };

        let _permit = self.http.acquire().await?;
        let id = self.run(&inputs).await?;
        let (outputs, credits) = self.wait_for(&id).await?;
        let mut images = Vec::with_capacity(outputs.len());
        for output in outputs {
            images.push(self.image(output).await?);
        }
        let credits = credits.unwrap_or(self.config.credits_per_image() * images.len() as f64);

        let mut metadata = serde_json::Map::new();
        metadata.insert("model".into(), self.config.model.clone().into());
        metadata.insert("mode".into(), inputs.mode.into());
        metadata.insert("category".into(), category.into());
        metadata.insert("prediction_id".into(), id.into());
        metadata.insert("credits_used".into(), credits.into());
        Ok(ProviderOutput {
            images,
            usage: Usage {
                input_tokens: None,
                output_tokens: None,
                estimated_cost_usd: credits * self.config.usd_per_credit,
            },
            metadata,
        })
    }
}
