//! `grok` as a try-on provider: the person and the garments in one multi-image edit
//! (`/v1/images/edits` with `images`, the person first as `<IMAGE_0>`), a try-on prompt, and
//! the quality mode as Grok Imagine Image 2.0's `quality` (low / medium / high), which sets
//! the price. Older models take 3 source images and no quality.
//!
//! The output follows the first source's aspect (the person's canvas), like every xAI edit.
//! xAI promises no reproducible output, so seeds are not supported; the answer is not
//! pixel-aligned with the input.

use std::sync::Arc;

use super::{DEFAULT_TRYON_MODEL, GrokProvider, MAX_IMAGES, XaiConfig, tryon_prompt, wire};
use crate::error::{Error, Result};
use crate::provider::inline::InlineImage;
use crate::provider::registry::ProviderSettings;
use crate::provider::throttle::ThrottleConfig;
use crate::provider::{Capabilities, ModeOffer, ProviderOutput, ProviderRequest, TryOnProvider};
use crate::request::{GarmentCategory, QualityMode};

/// The canvas FitView sends: 3:4, the shape of a standing person; the answer keeps it.
const CANVAS: (u32, u32) = (768, 1024);

/// The `grok` try-on provider.
#[derive(Debug)]
pub struct GrokTryOnProvider {
    inner: GrokProvider,
}

impl GrokTryOnProvider {
    /// Name in the provider registry (the same as the style provider's).
    pub const NAME: &'static str = GrokProvider::NAME;

    /// A try-on provider for `config` (whose model should take several source images:
    /// [`DEFAULT_TRYON_MODEL`]).
    pub fn new(config: XaiConfig) -> Result<Self> {
        Ok(Self {
            inner: GrokProvider::new(config)?,
        })
    }

    /// The provider the registry builds from `settings`: as the style provider's, with
    /// [`DEFAULT_TRYON_MODEL`] unless the settings name a model.
    pub fn from_settings(settings: &ProviderSettings) -> Result<Arc<dyn TryOnProvider>> {
        let mut config = XaiConfig::from_settings(settings)?;
        if settings.model.is_none() {
            config.model = DEFAULT_TRYON_MODEL.to_owned();
        }
        Ok(Arc::new(Self::new(config)?))
    }

    fn config(&self) -> &XaiConfig {
        &self.inner.config
    }
}

#[async_trait::async_trait]
impl TryOnProvider for GrokTryOnProvider {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn model(&self) -> &str {
        &self.config().model
    }

    fn prompt_version(&self) -> &str {
        super::TRYON_PROMPT_VERSION
    }

    fn request_limits(&self) -> Option<ThrottleConfig> {
        Some(self.config().throttle)
    }

    fn modes(&self) -> Vec<ModeOffer> {
        let config = self.config();
        QualityMode::ALL
            .map(|mode| ModeOffer {
                setting: config
                    .quality(mode)
                    .map(|q| format!("quality={q}"))
                    .unwrap_or_default(),
                ..ModeOffer::flat(mode, &config.model, config.price(mode))
            })
            .to_vec()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            categories: GarmentCategory::ALL.to_vec(),
            // One source image is the person.
            max_garments: self.config().max_sources() - 1,
            canvas: CANVAS,
            supports_seed: false,
            max_samples: MAX_IMAGES,
            pixel_aligned: false,
            styles: Vec::new(),
            cost_per_image_usd: self.config().price(QualityMode::Fast),
        }
    }

    async fn try_on(&self, request: ProviderRequest) -> Result<ProviderOutput> {
        let categories: Vec<GarmentCategory> =
            request.garments.iter().map(|g| g.category).collect();
        self.capabilities()
            .check(Self::NAME, &categories, request.samples)?;
        if categories.is_empty() {
            return Err(Error::invalid_input("a try-on needs a garment"));
        }
        let prompt = tryon_prompt(&categories, request.quality);
        let inputs = {
            let request = request.clone();
            tokio::task::spawn_blocking(move || {
                std::iter::once(&request.person)
                    .chain(request.garments.iter().map(|g| &g.image))
                    .map(|image| InlineImage::encode(image))
                    .collect::<Result<Vec<_>>>()
            })
            .await??
        };
        let config = self.config();
        let call = wire::ImagesRequest {
            model: &config.model,
            prompt: &prompt,
            n: request.samples.max(1),
            inputs: &inputs,
            aspect_ratio: None,
            resolution: Some(&config.resolution),
            quality: config.quality(request.quality),
        };
        let mut output = self
            .inner
            .call("edits", &call, config.price(request.quality))
            .await?;
        output
            .metadata
            .insert("sources".into(), inputs.len().into());
        Ok(output)
    }
}
