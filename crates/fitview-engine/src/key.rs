//! Content keys: the identity of a try-on, derived from what determines its output and nothing else.
//!
//! A key hashes (BLAKE3) the normalized input pixels (after decoding, orientation and fitting to
//! the canvas, so a re-encoded upload of the same photo gives the same key), each garment's
//! category, the provider's name, model and prompt version, the options that change the output,
//! and [`PIPELINE_VERSION`]. Every field is length-prefixed and tagged, so no two different
//! inputs can produce the same byte stream.

use std::fmt;

use image::RgbaImage;
use serde::{Deserialize, Serialize};

use crate::landmarks::BodyLandmarks;
use crate::request::{GarmentCategory, TryOnOptions};

/// Version of FitView's own processing. Bump it whenever the pipeline's output for the same input
/// changes, so old cached results are not served for new code.
pub const PIPELINE_VERSION: &str = "1";

/// The identity of a try-on result: 64 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContentKey(String);

impl ContentKey {
    /// The key as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything a try-on's output depends on.
#[derive(Debug)]
pub(crate) struct KeyInputs<'a> {
    pub(crate) provider: &'a str,
    pub(crate) model: &'a str,
    pub(crate) prompt_version: &'a str,
    pub(crate) person: &'a RgbaImage,
    pub(crate) garments: Vec<(&'a RgbaImage, GarmentCategory)>,
    /// Retailer landmarks in canvas pixels.
    pub(crate) person_landmarks: Option<&'a BodyLandmarks>,
    pub(crate) options: &'a TryOnOptions,
}

/// Tagged, length-prefixed writes, so field boundaries are unambiguous.
struct KeyHasher(blake3::Hasher);

impl KeyHasher {
    fn field(&mut self, tag: &str, bytes: &[u8]) {
        self.0.update(tag.as_bytes());
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn image(&mut self, tag: &str, image: &RgbaImage) {
        self.field(tag, &[image.width().to_le_bytes(), image.height().to_le_bytes()].concat());
        self.field(tag, image.as_raw());
    }
}

impl KeyInputs<'_> {
    pub(crate) fn key(&self) -> ContentKey {
        let mut h = KeyHasher(blake3::Hasher::new());
        h.field("fitview-tryon", PIPELINE_VERSION.as_bytes());
        h.field("provider", self.provider.as_bytes());
        h.field("model", self.model.as_bytes());
        h.field("prompt", self.prompt_version.as_bytes());
        h.image("person", self.person);
        h.field("garments", &(self.garments.len() as u64).to_le_bytes());
        for (image, category) in &self.garments {
            h.field("category", category.as_str().as_bytes());
            h.image("garment", image);
        }
        match self.person_landmarks {
            Some(landmarks) => {
                let json = serde_json::to_vec(landmarks).unwrap_or_default();
                h.field("landmarks", &json);
            }
            None => h.field("landmarks", b"none"),
        }
        let o = self.options;
        match o.seed {
            Some(seed) => h.field("seed", &seed.to_le_bytes()),
            None => h.field("seed", b"none"),
        }
        h.field("samples", &[o.samples]);
        h.field("quality", o.quality.as_str().as_bytes());
        let out = &o.output;
        h.field("long_edge", &out.long_edge.to_le_bytes());
        h.field("format", out.format.as_str().as_bytes());
        h.field("encode_quality", &[out.quality]);
        let widths: Vec<u8> = out.thumbnail_widths.iter().flat_map(|w| w.to_le_bytes()).collect();
        h.field("thumbnails", &widths);
        h.field("color_correct", &[u8::from(out.color_correct)]);
        h.field("sharpen", &[u8::from(out.sharpen)]);
        ContentKey(h.0.finalize().to_hex().to_string())
    }
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;
    use crate::request::{OutputFormat, QualityMode};

    fn img(v: u8) -> RgbaImage {
        RgbaImage::from_pixel(4, 4, Rgba([v, v, v, 255]))
    }

    /// Owned versions of everything a key depends on, so tests can change one field at a time.
    struct Parts {
        provider: &'static str,
        model: &'static str,
        prompt_version: &'static str,
        person: RgbaImage,
        garments: Vec<(RgbaImage, GarmentCategory)>,
        landmarks: Option<BodyLandmarks>,
        options: TryOnOptions,
    }

    fn key_with(edit: impl FnOnce(&mut Parts, &mut TryOnOptions)) -> ContentKey {
        let mut parts = Parts {
            provider: "mock",
            model: "mock-1",
            prompt_version: "v1",
            person: img(1),
            garments: vec![(img(2), GarmentCategory::Top)],
            landmarks: None,
            options: TryOnOptions::default(),
        };
        let mut options = TryOnOptions::default();
        edit(&mut parts, &mut options);
        parts.options = options;
        KeyInputs {
            provider: parts.provider,
            model: parts.model,
            prompt_version: parts.prompt_version,
            person: &parts.person,
            garments: parts.garments.iter().map(|(i, c)| (i, *c)).collect(),
            person_landmarks: parts.landmarks.as_ref(),
            options: &parts.options,
        }
        .key()
    }

    #[test]
    fn every_output_relevant_field_changes_the_key() {
        let base = key_with(|_, _| {});
        assert_eq!(base, key_with(|_, _| {}), "keys are stable");
        assert_eq!(base.as_str().len(), 64);
        let variants: Vec<(&str, ContentKey)> = vec![
            ("provider", key_with(|i, _| i.provider = "draft")),
            ("model", key_with(|i, _| i.model = "mock-2")),
            ("prompt", key_with(|i, _| i.prompt_version = "v2")),
            ("person", key_with(|i, _| i.person = img(9))),
            ("garment", key_with(|i, _| i.garments[0].0 = img(8))),
            ("category", key_with(|i, _| i.garments[0].1 = GarmentCategory::Bottom)),
            ("extra garment", key_with(|i, _| i.garments.push((img(8), GarmentCategory::Top)))),
            (
                "landmarks",
                key_with(|i, _| {
                    i.landmarks = Some(BodyLandmarks { neck: Some([1.0, 2.0]), ..Default::default() })
                }),
            ),
            ("seed", key_with(|_, o| o.seed = Some(7))),
            ("samples", key_with(|_, o| o.samples = 2)),
            ("quality", key_with(|_, o| o.quality = QualityMode::Quality)),
            ("size", key_with(|_, o| o.output.long_edge = 512)),
            ("format", key_with(|_, o| o.output.format = OutputFormat::Png)),
            ("encode quality", key_with(|_, o| o.output.quality = 90)),
            ("thumbnails", key_with(|_, o| o.output.thumbnail_widths = vec![128])),
            ("color", key_with(|_, o| o.output.color_correct = true)),
            ("sharpen", key_with(|_, o| o.output.sharpen = false)),
        ];
        for (name, key) in &variants {
            assert_ne!(&base, key, "{name} must change the key");
        }
    }
}
