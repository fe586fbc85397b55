//! The shared provider conformance suite.
//!
//! Every provider's tests call [`run_all`] (or single scenarios), so a new provider is held to
//! the same contract as the others. Scenarios panic with a descriptive message on failure.
//! Capability differences are parameters ([`Expectations`]), never forks of the suite.
//! Not a stable part of the public API; enabled by the `conformance` feature.

// Scenarios fail like assertions do: with a panic naming the provider and what was wrong.
#![allow(clippy::panic)]

use std::sync::Arc;

use image::{Rgba, RgbaImage};

use super::{
    Capabilities, GeneratedImage, PreparedGarment, ProviderRequest, Style, StyleProvider,
    StyleRequest, TryOnProvider,
};
use crate::error::Error;
use crate::limits::Limits;
use crate::request::{GarmentCategory, QualityMode};

/// What the suite may expect of a provider beyond its declared capabilities.
#[derive(Debug, Clone, Copy)]
pub struct Expectations {
    /// The same request gives byte-identical images (with the same seed, if seeds are supported).
    pub deterministic: bool,
}

impl Expectations {
    /// A provider that is deterministic for a given seed (mock, draft).
    pub fn seeded() -> Self {
        Self {
            deterministic: true,
        }
    }

    /// A provider whose output may differ between identical calls (generative HTTP models).
    pub fn nondeterministic() -> Self {
        Self {
            deterministic: false,
        }
    }
}

/// A plain studio-like person: light backdrop, a darker figure with a head on a neck, shoulders,
/// arms hanging clear of the torso with bare hands, and legs.
pub fn sample_person(canvas: (u32, u32)) -> RgbaImage {
    let (w, h) = canvas;
    RgbaImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let head = (fx - 0.5).powi(2) / 0.004 + (fy - 0.12).powi(2) / 0.004 < 1.0;
        let neck = (0.47..0.53).contains(&fx) && (0.17..0.21).contains(&fy);
        let shoulders = (0.30..0.70).contains(&fx) && (0.2..0.23).contains(&fy);
        let torso = (0.36..0.64).contains(&fx) && (0.2..0.55).contains(&fy);
        let arms = ((0.30..0.345).contains(&fx) || (0.655..0.70).contains(&fx))
            && (0.2..0.5).contains(&fy);
        let legs = ((0.38..0.48).contains(&fx) || (0.52..0.62).contains(&fx))
            && (0.55..0.95).contains(&fy);
        if head || neck || (arms && fy > 0.44) {
            Rgba([205, 160, 130, 255])
        } else if torso || legs || shoulders || arms {
            Rgba([90, 90, 100, 255])
        } else {
            Rgba([232, 232, 230, 255])
        }
    })
}

/// A garment cut out on transparency, in a saturated colour with stripes.
pub fn sample_garment(canvas: (u32, u32)) -> RgbaImage {
    let (w, h) = canvas;
    RgbaImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let body = (0.25..0.75).contains(&fx) && (0.15..0.9).contains(&fy);
        let sleeves = (0.1..0.9).contains(&fx) && (0.15..0.35).contains(&fy);
        if body || sleeves {
            if (y / 16) % 2 == 0 {
                Rgba([200, 30, 40, 255])
            } else {
                Rgba([240, 240, 240, 255])
            }
        } else {
            Rgba([0, 0, 0, 0])
        }
    })
}

/// The committed fixture person `average-medium-full` (a rendered studio photo, head to feet)
/// letterboxed into `canvas` over its backdrop's grey: a person that a pose model finds, for
/// providers that look for one (the draft).
pub fn sample_studio_person(canvas: (u32, u32)) -> RgbaImage {
    const PHOTO: &[u8] = include_bytes!("../../../../fixtures/persons/average-medium-full.jpg");
    let (w, h) = canvas;
    let mut out = RgbaImage::from_pixel(w, h, Rgba([232, 232, 230, 255]));
    let Ok(photo) = image::load_from_memory(PHOTO) else {
        return sample_person(canvas);
    };
    let photo = photo.to_rgba8();
    let scale = (w as f32 / photo.width() as f32).min(h as f32 / photo.height() as f32);
    let (pw, ph) = (
        ((photo.width() as f32 * scale) as u32).max(1),
        ((photo.height() as f32 * scale) as u32).max(1),
    );
    let resized = image::imageops::resize(&photo, pw, ph, image::imageops::FilterType::Triangle);
    image::imageops::replace(
        &mut out,
        &resized,
        i64::from((w - pw) / 2),
        i64::from((h - ph) / 2),
    );
    out
}

/// A one-garment request at the provider's canvas.
pub fn sample_request(caps: &Capabilities, category: GarmentCategory) -> ProviderRequest {
    ProviderRequest {
        person: Arc::new(sample_studio_person(caps.canvas)),
        garments: vec![PreparedGarment {
            image: Arc::new(sample_garment(caps.canvas)),
            category,
        }],
        person_landmarks: None,
        seed: caps.supports_seed.then_some(7),
        samples: 1,
        quality: QualityMode::Fast,
    }
}

fn pixels(image: &GeneratedImage) -> RgbaImage {
    match image {
        GeneratedImage::Pixels(px) => px.clone(),
        GeneratedImage::Encoded(bytes) => crate::pipeline::decode(bytes, &Limits::default())
            .unwrap_or_else(|e| panic!("provider returned bytes that do not decode: {e}")),
    }
}

/// Capabilities describe something usable.
pub fn capabilities_are_sane(provider: &dyn TryOnProvider) {
    let caps = provider.capabilities();
    assert!(!provider.name().is_empty(), "provider name is empty");
    assert!(
        !provider.model().is_empty(),
        "{}: model id is empty",
        provider.name()
    );
    assert!(
        !provider.prompt_version().is_empty(),
        "{}: prompt version is empty",
        provider.name()
    );
    assert!(
        !caps.categories.is_empty(),
        "{}: supports no category",
        provider.name()
    );
    assert!(
        caps.max_garments >= 1 && caps.max_samples >= 1,
        "{}: {caps:?}",
        provider.name()
    );
    assert!(
        caps.canvas.0 >= 64 && caps.canvas.1 >= 64,
        "{}: canvas too small",
        provider.name()
    );
    assert!(
        caps.cost_per_image_usd >= 0.0,
        "{}: negative cost",
        provider.name()
    );
}

/// Every declared category yields at least one decodable image with the canvas's aspect.
pub async fn returns_images_for_every_category(provider: &dyn TryOnProvider) {
    let caps = provider.capabilities();
    for &category in &caps.categories {
        let out = provider
            .try_on(sample_request(&caps, category))
            .await
            .unwrap_or_else(|e| panic!("{}: {category} failed: {e}", provider.name()));
        assert!(
            !out.images.is_empty(),
            "{}: {category} gave no image",
            provider.name()
        );
        for image in &out.images {
            let px = pixels(image);
            let want = caps.canvas.0 as f64 / caps.canvas.1 as f64;
            let got = px.width() as f64 / px.height() as f64;
            assert!(
                (want - got).abs() < 0.02,
                "{}: aspect {got:.3}, canvas {want:.3}",
                provider.name()
            );
        }
    }
}

/// Asking for several samples gives that many images (up to the declared maximum).
pub async fn honours_the_sample_count(provider: &dyn TryOnProvider) {
    let caps = provider.capabilities();
    let samples = caps.max_samples.min(2);
    let mut request = sample_request(&caps, caps.categories[0]);
    request.samples = samples;
    let out = provider
        .try_on(request)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", provider.name()));
    assert_eq!(
        out.images.len(),
        usize::from(samples),
        "{}: wrong number of images",
        provider.name()
    );
}

/// The same request twice gives byte-identical pixels.
pub async fn is_deterministic(provider: &dyn TryOnProvider) {
    let caps = provider.capabilities();
    let request = sample_request(&caps, caps.categories[0]);
    let a = provider
        .try_on(request.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let b = provider
        .try_on(request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pixels(&a.images[0]),
        pixels(&b.images[0]),
        "{}: not deterministic",
        provider.name()
    );
}

/// A category the provider does not declare is declined with `NotSupported`, not a broken image.
pub async fn declines_undeclared_categories(provider: &dyn TryOnProvider) {
    let caps = provider.capabilities();
    for category in GarmentCategory::ALL
        .into_iter()
        .filter(|c| !caps.categories.contains(c))
    {
        match provider.try_on(sample_request(&caps, category)).await {
            Err(Error::NotSupported { .. }) => {}
            other => panic!("{}: undeclared {category} gave {other:?}", provider.name()),
        }
    }
}

/// Every quality mode is offered, cheapest first, at a usable price, and a request in each mode
/// gives an image.
pub async fn answers_in_every_mode(provider: &dyn TryOnProvider) {
    let name = provider.name().to_owned();
    let modes = provider.modes();
    let listed: Vec<QualityMode> = modes.iter().map(|m| m.mode).collect();
    assert_eq!(listed, QualityMode::ALL, "{name}: modes listed {listed:?}");
    for offer in &modes {
        assert!(
            offer.usd_per_image.is_finite() && offer.usd_per_image >= 0.0,
            "{name}: {} costs {}",
            offer.mode,
            offer.usd_per_image
        );
        assert!(
            !offer.model.is_empty(),
            "{name}: {} has no model",
            offer.mode
        );
        assert_eq!(
            provider.offer(offer.mode),
            *offer,
            "{name}: offer of {}",
            offer.mode
        );
    }
    let caps = provider.capabilities();
    let category = caps.categories[0];
    for mode in QualityMode::ALL {
        let mut request = sample_request(&caps, category);
        request.quality = mode;
        let out = provider
            .try_on(request)
            .await
            .unwrap_or_else(|e| panic!("{name}: {mode} mode failed: {e}"));
        assert!(!out.images.is_empty(), "{name}: {mode} mode made no image");
        pixels(&out.images[0]);
    }
}

/// Runs every scenario that applies to `provider`.
pub async fn run_all(provider: &dyn TryOnProvider, expect: Expectations) {
    capabilities_are_sane(provider);
    answers_in_every_mode(provider).await;
    returns_images_for_every_category(provider).await;
    honours_the_sample_count(provider).await;
    declines_undeclared_categories(provider).await;
    if expect.deterministic {
        is_deterministic(provider).await;
    }
}

/// A finished try-on as style providers receive it: the sample person wearing the sample
/// garment, opaque, at `size`.
pub fn sample_tryon_image(size: (u32, u32)) -> RgbaImage {
    let mut image = sample_person(size);
    let garment = sample_garment(size);
    for (px, g) in image.pixels_mut().zip(garment.pixels()) {
        if g.0[3] > 0 && px.0 != [232, 232, 230, 255] {
            *px = *g;
        }
    }
    image
}

/// The [`Style`] a capability name stands for, with sample words for the styles that take
/// some; `None` for a name the suite does not know.
pub fn style_named(name: &str) -> Option<Style> {
    Some(match name {
        "casual" => Style::Casual,
        "formal" => Style::Formal,
        "party" => Style::Party,
        "color-variant" => Style::ColorVariant {
            color: "emerald green".to_owned(),
        },
        "background" => Style::Background {
            description: "a sunlit beach at golden hour".to_owned(),
        },
        _ => return None,
    })
}

/// A one-sample style request on a 3:4 try-on image.
pub fn sample_style_request(style: Style) -> StyleRequest {
    StyleRequest {
        image: Arc::new(sample_tryon_image((384, 512))),
        style,
        samples: 1,
        seed: None,
    }
}

/// A style provider's capabilities describe something usable, with styles the suite knows.
pub fn style_capabilities_are_sane(provider: &dyn StyleProvider) {
    let caps = provider.capabilities();
    assert!(!provider.name().is_empty(), "provider name is empty");
    assert!(
        !provider.model().is_empty() && !provider.prompt_version().is_empty(),
        "{}: model id or prompt version is empty",
        provider.name()
    );
    assert!(
        !caps.styles.is_empty(),
        "{}: a style provider declares no style",
        provider.name()
    );
    for name in &caps.styles {
        assert!(
            style_named(name).is_some(),
            "{}: declares style `{name}`, which no Style stands for",
            provider.name()
        );
    }
    assert!(caps.max_samples >= 1, "{}: {caps:?}", provider.name());
    assert!(
        caps.cost_per_image_usd >= 0.0,
        "{}: negative cost",
        provider.name()
    );
}

/// Every declared style yields a decodable image with the input's aspect (a variation keeps
/// the person's framing).
pub async fn stylizes_every_declared_style(provider: &dyn StyleProvider) {
    for name in provider.capabilities().styles {
        let Some(style) = style_named(&name) else {
            panic!("{}: unknown style `{name}`", provider.name());
        };
        let request = sample_style_request(style);
        let (w, h) = request.image.dimensions();
        let out = provider
            .stylize(request)
            .await
            .unwrap_or_else(|e| panic!("{}: style {name} failed: {e}", provider.name()));
        assert!(
            !out.images.is_empty(),
            "{}: style {name} gave no image",
            provider.name()
        );
        for image in &out.images {
            let px = pixels(image);
            let want = f64::from(w) / f64::from(h);
            let got = f64::from(px.width()) / f64::from(px.height());
            assert!(
                (want - got).abs() < 0.02,
                "{}: style {name}: aspect {got:.3}, input {want:.3}",
                provider.name()
            );
        }
    }
}

/// Asking for several variations gives that many images (up to the declared maximum).
pub async fn honours_the_variation_count(provider: &dyn StyleProvider) {
    let caps = provider.capabilities();
    let samples = caps.max_samples.min(3);
    let Some(style) = caps.styles.first().and_then(|name| style_named(name)) else {
        panic!("{}: declares no known style", provider.name());
    };
    let mut request = sample_style_request(style);
    request.samples = samples;
    let out = provider
        .stylize(request)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", provider.name()));
    assert_eq!(
        out.images.len(),
        usize::from(samples),
        "{}: wrong number of variations",
        provider.name()
    );
}

/// Runs every style-provider scenario.
pub async fn run_all_styles(provider: &dyn StyleProvider) {
    style_capabilities_are_sane(provider);
    stylizes_every_declared_style(provider).await;
    honours_the_variation_count(provider).await;
}
