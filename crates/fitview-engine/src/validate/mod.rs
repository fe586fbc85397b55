//! Quality checks every provider output passes before it is returned or cached.
//!
//! A provider can answer "successfully" with an image nobody should see: a blank or black frame
//! (a silent safety filter), the wrong size, a different face, or the person without the garment.
//! The engine runs these checks on every image of every provider, after decoding it and before
//! post-processing, caching or storing it:
//!
//! | check | measures | passes when |
//! |---|---|---|
//! | `decode` | whether the image decodes within the engine's [`Limits`] (the pipeline's one decode path) | 1 ≥ 1 |
//! | `size` | √(output pixels / asked pixels) | ≥ `min_size_ratio` |
//! | `aspect` | relative difference of aspect ratios | ≤ `aspect_tolerance` |
//! | `not_blank` | standard deviation of luminance | ≥ `min_luma_std_dev` |
//! | `colour_variety` | distinct colours (4 bits a channel, each ≥ 0.1% of the image) | ≥ `min_distinct_colours` |
//! | `keeps_person` | SSIM of the grey head box, person photo vs output | ≥ `min_head_similarity` |
//! | `shows_garment` | share of the body region in the garment's dominant colours | ≥ `min_garment_coverage` |
//!
//! Style variations get the checks that apply to any image (`decode`, `size`, `aspect`,
//! `not_blank`, `colour_variety`). What the output is compared with — the asked size, the head
//! box, the body region, the garment colours — is a [`Reference`], made once per request from
//! the prepared inputs. The engine retries a failing output once with a new seed where the
//! provider takes seeds; otherwise it returns it flagged with the failed [`Check`]s and never
//! caches or stores it. Each check lives in its own file:
//!
//! - `shape`: decode, size and aspect;
//! - `blank`: luminance spread and colour variety;
//! - `silhouette`: the person's figure against the studio backdrop;
//! - `figure`: where the head and the body are in the person photo;
//! - `head`: the head box comparison;
//! - `garment`: dominant garment colours and their presence on the body.

mod blank;
mod config;
mod figure;
mod garment;
mod head;
mod shape;
mod silhouette;

use std::sync::Arc;

use image::RgbaImage;
use serde::{Deserialize, Serialize};

pub use config::ValidationConfig;

use crate::landmarks::BodyLandmarks;
use crate::limits::Limits;
use crate::pipeline::{Placement, contain_size};
use crate::provider::{GeneratedImage, PreparedGarment};

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckName {
    /// The image decodes within the engine's limits.
    Decode,
    /// The image is (at least nearly) as large as asked.
    Size,
    /// The image has the asked aspect ratio.
    Aspect,
    /// The image is not blank: its luminance varies.
    NotBlank,
    /// The image is not near-uniform: it has more than a couple of colours.
    ColourVariety,
    /// The person's head is still the person's.
    KeepsPerson,
    /// The garment's colours are on the body.
    ShowsGarment,
}

impl CheckName {
    /// The name as it appears in results and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Decode => "decode",
            CheckName::Size => "size",
            CheckName::Aspect => "aspect",
            CheckName::NotBlank => "not_blank",
            CheckName::ColourVariety => "colour_variety",
            CheckName::KeepsPerson => "keeps_person",
            CheckName::ShowsGarment => "shows_garment",
        }
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The distinct names of `checks`, comma-separated, in first-seen order (for logs, messages and
/// reports).
pub fn check_names<'a>(checks: impl IntoIterator<Item = &'a Check>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for check in checks {
        if !names.contains(&check.name.as_str()) {
            names.push(check.name.as_str());
        }
    }
    names.join(", ")
}

/// Which side of the threshold passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The value must be at least the threshold.
    AtLeast,
    /// The value must be at most the threshold.
    AtMost,
}

/// One check on one output image: what was measured, against what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// Index of the image among the result's images.
    pub image: usize,
    /// The measured value (rounded to 4 decimals).
    pub value: f64,
    /// The threshold it is compared with.
    pub threshold: f64,
    /// Which side of the threshold passes.
    pub bound: Bound,
    /// What the value means for this image, when a number alone does not say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    fn new(name: CheckName, value: f64, threshold: f64, bound: Bound) -> Self {
        Check {
            name,
            image: 0,
            value: (value * 1e4).round() / 1e4,
            threshold,
            bound,
            detail: None,
        }
    }

    fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Whether the value is on the passing side of the threshold (a NaN never passes).
    pub fn passed(&self) -> bool {
        match self.bound {
            Bound::AtLeast => self.value >= self.threshold,
            Bound::AtMost => self.value <= self.threshold,
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.bound {
            Bound::AtLeast => "≥",
            Bound::AtMost => "≤",
        };
        write!(
            f,
            "{} on image {}: {} (needs {op} {}",
            self.name,
            self.image + 1,
            self.value,
            self.threshold
        )?;
        if let Some(detail) = &self.detail {
            write!(f, "; {detail}")?;
        }
        f.write_str(")")
    }
}

/// What a provider's output is checked against, made once per request from the prepared inputs.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The size the engine asked the provider for (the output may be a scaled copy of it).
    expected: (u32, u32),
    /// The try-on part: person and garment; `None` for style variations.
    try_on: Option<TryOnReference>,
}

#[derive(Debug, Clone)]
struct TryOnReference {
    person: Arc<PersonReference>,
    garments: Vec<Arc<GarmentReference>>,
}

/// The person part of a try-on's reference: made once per prepared person photo (and
/// landmarks), whatever it is dressed in.
#[derive(Debug)]
pub struct PersonReference {
    /// The head box in asked-size pixels and its grey patch; `None` when no head was found (the
    /// `keeps_person` check is then skipped, not failed).
    head: Option<head::HeadPatch>,
    /// The body region in asked-size pixels.
    body: Placement,
    /// The person's figure: only its pixels in the body region count for the garment.
    silhouette: Option<silhouette::Silhouette>,
}

impl PersonReference {
    /// `person` is the canvas sent to the provider with the photo at `placement`; `landmarks`
    /// (canvas pixels) are the retailer's when given.
    pub fn new(
        person: &RgbaImage,
        placement: &Placement,
        landmarks: Option<&BodyLandmarks>,
    ) -> Self {
        let layout = figure::locate(person, placement, landmarks);
        PersonReference {
            head: layout.head.map(|rect| head::HeadPatch::new(person, rect)),
            body: layout.body,
            silhouette: layout.silhouette,
        }
    }
}

/// The garment part of a try-on's reference, its dominant colours: made once per prepared
/// garment photo.
#[derive(Debug)]
pub struct GarmentReference {
    colours: Vec<garment::Colour>,
}

impl GarmentReference {
    /// The reference of a prepared (matted, fitted) garment image.
    pub fn new(garment: &RgbaImage) -> Self {
        GarmentReference {
            colours: garment::dominant_colours(garment),
        }
    }
}

impl Reference {
    /// The reference of a try-on: `person` is the canvas sent to the provider with the photo at
    /// `placement`, `landmarks` (canvas pixels) are the retailer's when given, and `garments` are
    /// the prepared garments with their mattes.
    pub fn try_on(
        person: &RgbaImage,
        placement: &Placement,
        landmarks: Option<&BodyLandmarks>,
        garments: &[PreparedGarment],
    ) -> Self {
        Self::try_on_of(
            person.dimensions(),
            Arc::new(PersonReference::new(person, placement, landmarks)),
            garments
                .iter()
                .map(|g| Arc::new(GarmentReference::new(&g.image)))
                .collect(),
        )
    }

    /// The reference of a try-on from its parts, for a canvas of size `expected`.
    pub fn try_on_of(
        expected: (u32, u32),
        person: Arc<PersonReference>,
        garments: Vec<Arc<GarmentReference>>,
    ) -> Self {
        Reference {
            expected,
            try_on: Some(TryOnReference { person, garments }),
        }
    }

    /// The reference of a style variation of an `input`-sized image by a provider working on
    /// `canvas`: the variation keeps the input's aspect, at the input's size or the provider's
    /// canvas, whichever is smaller.
    pub fn style(input: (u32, u32), canvas: (u32, u32)) -> Self {
        let fits = input.0 <= canvas.0 && input.1 <= canvas.1;
        let expected = if fits {
            input
        } else {
            contain_size(input, canvas)
        };
        Reference {
            expected,
            try_on: None,
        }
    }

    /// The size the provider was asked for.
    pub fn expected_size(&self) -> (u32, u32) {
        self.expected
    }

    /// The head box found in the person photo (asked-size pixels), if any.
    pub fn head_box(&self) -> Option<Placement> {
        self.try_on.as_ref()?.person.head.as_ref().map(|h| h.rect)
    }

    /// The body region the garment is looked for in (asked-size pixels), for a try-on.
    pub fn body_box(&self) -> Option<Placement> {
        self.try_on.as_ref().map(|t| t.person.body)
    }
}

/// Decodes a provider image within `limits` through the pipeline's decoder (in-process pixels
/// are checked against the same dimension limits); a failure is the failed `decode` check.
pub fn decode(image: GeneratedImage, limits: &Limits) -> Result<RgbaImage, Check> {
    shape::decode(image, limits)
}

/// Runs every check that applies to `image` against `reference`, passed or not.
pub fn check(image: &RgbaImage, reference: &Reference, config: &ValidationConfig) -> Vec<Check> {
    let mut checks = vec![
        shape::size(image, reference.expected, config),
        shape::aspect(image, reference.expected, config),
    ];
    checks.extend(blank::checks(image, config));
    if let Some(try_on) = &reference.try_on {
        let person = &try_on.person;
        if let Some(head) = &person.head {
            checks.push(head.compare(image, reference.expected, config));
        }
        let body = garment::Body {
            rect: person.body,
            silhouette: person.silhouette.as_ref(),
        };
        let garments: Vec<&[garment::Colour]> = try_on
            .garments
            .iter()
            .map(|g| g.colours.as_slice())
            .collect();
        if let Some(c) = garment::coverage(image, reference.expected, &body, &garments, config) {
            checks.push(c);
        }
    }
    checks
}

/// The failed checks among `checks`.
pub fn failed(checks: Vec<Check>) -> Vec<Check> {
    checks.into_iter().filter(|c| !c.passed()).collect()
}

/// `rect` (in pixels of an image of size `from`) in pixels of an image of size `to`, at least one
/// pixel and inside it.
fn scale_rect(rect: Placement, from: (u32, u32), to: (u32, u32)) -> Placement {
    let sx = f64::from(to.0) / f64::from(from.0.max(1));
    let sy = f64::from(to.1) / f64::from(from.1.max(1));
    let x0 = ((f64::from(rect.x) * sx).floor() as u32).min(to.0.saturating_sub(1));
    let y0 = ((f64::from(rect.y) * sy).floor() as u32).min(to.1.saturating_sub(1));
    let x1 = ((f64::from(rect.x + rect.width) * sx).ceil() as u32).clamp(x0 + 1, to.0.max(1));
    let y1 = ((f64::from(rect.y + rect.height) * sy).ceil() as u32).clamp(y0 + 1, to.1.max(1));
    Placement {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    }
}

/// Rec. 601 luma of an RGB pixel, 0–255.
fn luma(p: [u8; 4]) -> f32 {
    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
}

#[cfg(test)]
mod tests;
