//! Content keys: the identity of a try-on, derived from what determines its output and nothing else;
//! and input hashes: the identity of one uploaded photo.
//!
//! A key hashes (BLAKE3) the digests of the normalized input pixels ([`ImageDigest`]: after
//! decoding, orientation and fitting to the canvas, so a re-encoded upload of the same photo gives
//! the same key; the engine computes each digest once per prepared input), each garment's
//! category, the retailer's landmarks, the provider's name, model and prompt version, the options
//! that change the output, and [`PIPELINE_VERSION`]. Every field is length-prefixed and tagged, so
//! no two different inputs can produce the same byte stream. Nothing else enters a key: not the
//! encoding of the uploads, not the engine's limits, retry policy, cache or store settings.
//! `docs/caching.md` has the full table.
//!
//! An [`InputHash`] hashes one photo's decoded, upright RGBA pixels at full size. Result stores
//! record the input hashes of every result, so everything derived from one photo can be found
//! and deleted ([`input_hash`] computes it from upload bytes).

use std::fmt;

use image::RgbaImage;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::landmarks::BodyLandmarks;
use crate::limits::Limits;
use crate::request::{GarmentCategory, TryOnOptions};

/// Version of FitView's own processing. Bump it whenever the pipeline's output for the same input
/// changes, so old cached results are not served for new code.
pub const PIPELINE_VERSION: &str = "3";

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

impl std::str::FromStr for ContentKey {
    type Err = Error;

    /// Parses 64 hex characters (any case; kept lowercase).
    fn from_str(s: &str) -> Result<Self> {
        parse_hex(s, "content key").map(ContentKey)
    }
}

/// The identity of one input photo: BLAKE3 of its decoded, upright RGBA pixels and dimensions, as
/// 64 lowercase hex characters. The same photo re-encoded losslessly has the same hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InputHash(String);

impl InputHash {
    /// The hash of decoded pixels.
    pub fn of_pixels(image: &RgbaImage) -> Self {
        let mut h = KeyHasher(blake3::Hasher::new());
        h.field("fitview-input", b"1");
        h.image("pixels", image);
        InputHash(h.0.finalize().to_hex().to_string())
    }

    /// The hash as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InputHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for InputHash {
    type Err = Error;

    /// Parses 64 hex characters (any case; kept lowercase).
    fn from_str(s: &str) -> Result<Self> {
        parse_hex(s, "input hash").map(InputHash)
    }
}

fn parse_hex(s: &str, what: &str) -> Result<String> {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(Error::invalid_input(format!(
            "`{s}` is not a {what} (64 hex characters)"
        )))
    }
}

/// The [`InputHash`] of an uploaded photo: decodes it (under `limits`, upright, full size) and
/// hashes its pixels, exactly as the engine does for the inputs of the results it stores. Use it
/// to find or delete everything derived from a photo ([`crate::Engine::delete_derived_from`]).
pub fn input_hash(bytes: &[u8], limits: &Limits) -> Result<InputHash> {
    let pixels = crate::pipeline::decode(bytes, limits)?;
    Ok(InputHash::of_pixels(&pixels))
}

/// The identity of one normalized image (decoded, upright, fitted into the provider's canvas):
/// BLAKE3 of its dimensions and RGBA pixels. A [`ContentKey`] hashes these digests instead of the
/// pixels, so an input used by many try-ons is hashed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageDigest(blake3::Hash);

impl ImageDigest {
    /// The digest of `image`'s dimensions and pixels.
    pub fn of(image: &RgbaImage) -> Self {
        let mut h = KeyHasher(blake3::Hasher::new());
        h.image("image", image);
        ImageDigest(h.0.finalize())
    }
}

/// Everything a try-on's output depends on, with the images already normalized (decoded,
/// upright, fitted into the provider's canvas) and digested. [`KeyInputs::key`] derives the
/// [`ContentKey`].
#[derive(Debug)]
pub struct KeyInputs<'a> {
    /// The provider's registry name.
    pub provider: &'a str,
    /// The provider's model id.
    pub model: &'a str,
    /// The provider's prompt (or algorithm) version.
    pub prompt_version: &'a str,
    /// The person, letterboxed into the canvas.
    pub person: ImageDigest,
    /// The garments (matted, fitted into the canvas) and their categories, outermost last.
    pub garments: Vec<(ImageDigest, GarmentCategory)>,
    /// Retailer landmarks in canvas pixels.
    pub person_landmarks: Option<&'a BodyLandmarks>,
    /// The options, with the output size already capped by the engine's limits.
    pub options: &'a TryOnOptions,
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
        self.field(
            tag,
            &[image.width().to_le_bytes(), image.height().to_le_bytes()].concat(),
        );
        self.field(tag, image.as_raw());
    }
}

impl KeyInputs<'_> {
    /// The content key: BLAKE3 over every field, tagged and length-prefixed.
    pub fn key(&self) -> ContentKey {
        let mut h = KeyHasher(blake3::Hasher::new());
        h.field("fitview-tryon", PIPELINE_VERSION.as_bytes());
        h.field("provider", self.provider.as_bytes());
        h.field("model", self.model.as_bytes());
        h.field("prompt", self.prompt_version.as_bytes());
        h.field("person", self.person.0.as_bytes());
        h.field("garments", &(self.garments.len() as u64).to_le_bytes());
        for (digest, category) in &self.garments {
            h.field("category", category.as_str().as_bytes());
            h.field("garment", digest.0.as_bytes());
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
        let widths: Vec<u8> = out
            .thumbnail_widths
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
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
            person: ImageDigest::of(&parts.person),
            garments: parts
                .garments
                .iter()
                .map(|(i, c)| (ImageDigest::of(i), *c))
                .collect(),
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
            (
                "category",
                key_with(|i, _| i.garments[0].1 = GarmentCategory::Bottom),
            ),
            (
                "extra garment",
                key_with(|i, _| i.garments.push((img(8), GarmentCategory::Top))),
            ),
            (
                "landmarks",
                key_with(|i, _| {
                    i.landmarks = Some(BodyLandmarks {
                        neck: Some([1.0, 2.0]),
                        ..Default::default()
                    })
                }),
            ),
            ("seed", key_with(|_, o| o.seed = Some(7))),
            ("samples", key_with(|_, o| o.samples = 2)),
            ("quality", key_with(|_, o| o.quality = QualityMode::Best)),
            ("size", key_with(|_, o| o.output.long_edge = 512)),
            (
                "format",
                key_with(|_, o| o.output.format = OutputFormat::Png),
            ),
            ("encode quality", key_with(|_, o| o.output.quality = 90)),
            (
                "thumbnails",
                key_with(|_, o| o.output.thumbnail_widths = vec![128]),
            ),
            ("color", key_with(|_, o| o.output.color_correct = true)),
            ("sharpen", key_with(|_, o| o.output.sharpen = false)),
        ];
        for (name, key) in &variants {
            assert_ne!(&base, key, "{name} must change the key");
        }
    }

    #[test]
    fn only_the_values_count_not_how_they_were_built() {
        // Separately allocated, equal images and options built field by field give the same key.
        let base = key_with(|_, _| {});
        let rebuilt = key_with(|i, o| {
            i.person = RgbaImage::from_raw(4, 4, img(1).into_raw()).unwrap();
            i.garments = vec![(img(2).clone(), GarmentCategory::Top)];
            *o = TryOnOptions {
                seed: None,
                samples: 1,
                quality: QualityMode::Fast,
                output: crate::request::OutputOptions {
                    thumbnail_widths: vec![256, 512],
                    ..Default::default()
                },
            };
        });
        assert_eq!(base, rebuilt);
    }

    #[test]
    fn field_boundaries_cannot_be_confused() {
        // Moving bytes from one string field to the next must not give the same stream.
        let a = key_with(|i, _| {
            i.provider = "mock-";
            i.model = "1";
        });
        let b = key_with(|i, _| {
            i.provider = "mock";
            i.model = "-1";
        });
        assert_ne!(a, b);
        // Same pixel bytes, other dimensions.
        let wide = key_with(|i, _| i.person = RgbaImage::from_pixel(8, 2, Rgba([1, 1, 1, 255])));
        assert_ne!(key_with(|_, _| {}), wide);
    }

    #[test]
    fn input_hashes_follow_pixels_not_encoding() {
        let pixels = RgbaImage::from_fn(16, 8, |x, y| Rgba([x as u8 * 10, y as u8 * 20, 7, 255]));
        let encode = |format| {
            let mut out = std::io::Cursor::new(Vec::new());
            image::DynamicImage::ImageRgba8(pixels.clone())
                .write_to(&mut out, format)
                .unwrap();
            out.into_inner()
        };
        let png = input_hash(&encode(image::ImageFormat::Png), &Limits::default()).unwrap();
        let webp = input_hash(&encode(image::ImageFormat::WebP), &Limits::default()).unwrap();
        assert_eq!(png, webp);
        assert_eq!(png, InputHash::of_pixels(&pixels));
        assert_eq!(png.as_str().parse::<InputHash>().unwrap(), png);
        let mut other = pixels.clone();
        other.put_pixel(0, 0, Rgba([0, 0, 0, 255]));
        assert_ne!(png, InputHash::of_pixels(&other));
        assert!("not-hex".parse::<InputHash>().is_err());
        assert!(input_hash(b"not an image", &Limits::default()).is_err());
    }
}
