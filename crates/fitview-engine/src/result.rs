//! What a try-on returns.

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::key::ContentKey;
use crate::provider::{ProviderAttempt, Usage};
use crate::request::OutputFormat;
use crate::validate::Check;

/// A thumbnail made beside an output image.
#[derive(Debug, Clone, Serialize)]
pub struct Thumbnail {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Encoded bytes, in the same format as the image.
    #[serde(skip)]
    pub bytes: Bytes,
}

/// One finished, encoded output image.
#[derive(Debug, Clone, Serialize)]
pub struct OutputImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Encoding.
    pub format: OutputFormat,
    /// Encoded bytes (metadata stripped).
    #[serde(skip)]
    pub bytes: Bytes,
    /// Smaller copies, at the widths asked for.
    pub thumbnails: Vec<Thumbnail>,
}

/// Where a result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheStatus {
    /// Made by the provider for this request.
    Miss,
    /// Served from this process's memory.
    HitMemory,
    /// Served from the shared cache (Redis).
    HitShared,
    /// Served from the durable result store.
    HitStore,
    /// Made by the provider for a concurrent identical request and shared with this one.
    Coalesced,
}

impl CacheStatus {
    /// Whether no provider call was made for this request.
    pub fn is_hit(self) -> bool {
        !matches!(self, CacheStatus::Miss)
    }
}

/// Time spent in each stage of a try-on, serialized in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct StageTimings {
    /// Decoding and normalizing the inputs.
    #[serde(serialize_with = "as_millis")]
    pub preprocess: Duration,
    /// Deriving the content key and looking it up.
    #[serde(serialize_with = "as_millis")]
    pub cache: Duration,
    /// The provider call, retries and waits included.
    #[serde(serialize_with = "as_millis")]
    pub provider: Duration,
    /// Decoding the provider's images and running the quality checks on them.
    #[serde(serialize_with = "as_millis")]
    pub validate: Duration,
    /// Cropping back, correcting, encoding, thumbnails.
    #[serde(serialize_with = "as_millis")]
    pub postprocess: Duration,
    /// Writing results to the store.
    #[serde(serialize_with = "as_millis")]
    pub store: Duration,
    /// Wall time of the whole try-on.
    #[serde(serialize_with = "as_millis")]
    pub total: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0)
}

/// A finished try-on.
#[derive(Debug, Clone, Serialize)]
pub struct TryOnResult {
    /// The images, one per sample.
    pub images: Vec<OutputImage>,
    /// Content key: the same inputs and options always give the same key.
    pub key: ContentKey,
    /// The provider that made the images.
    pub provider: String,
    /// The provider's model.
    pub model: String,
    /// How many provider attempts were made (0 on a cache hit).
    pub attempts: u32,
    /// Time per stage.
    pub timings: StageTimings,
    /// Where the result came from.
    pub cache: CacheStatus,
    /// Tokens and estimated cost of the provider call (zero on a cache hit).
    pub usage: Usage,
    /// Provider-specific facts (e.g. estimated landmarks and confidence).
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The quality checks the images failed (see [`crate::validate`]); empty for a good result.
    /// A result with failed checks is flagged: it is returned, but never cached or stored.
    pub failed_checks: Vec<Check>,
    /// What each provider of a fallback chain tried before [`provider`](Self::provider)
    /// answered, in order; empty when the first provider answered.
    pub fallbacks: Vec<ProviderAttempt>,
}

impl TryOnResult {
    /// Whether the images failed a quality check (and were therefore not cached).
    pub fn is_flagged(&self) -> bool {
        !self.failed_checks.is_empty()
    }
}

/// Style variations of a finished try-on image.
#[derive(Debug, Clone, Serialize)]
pub struct VariationResult {
    /// The images, one per sample.
    pub images: Vec<OutputImage>,
    /// The style provider that made them.
    pub provider: String,
    /// Its model.
    pub model: String,
    /// How many provider attempts were made.
    pub attempts: u32,
    /// Time per stage.
    pub timings: StageTimings,
    /// Tokens and estimated cost.
    pub usage: Usage,
    /// The quality checks the images failed (see [`crate::validate`]); empty for good images.
    pub failed_checks: Vec<Check>,
}

impl VariationResult {
    /// Whether the images failed a quality check.
    pub fn is_flagged(&self) -> bool {
        !self.failed_checks.is_empty()
    }
}
