//! A pixel-aligned provider re-renders every pixel: the face and the backdrop drift a little even
//! where the garment is not. The engine takes those pixels back from the input, so they come back
//! exact, while the garment the provider drew is kept; a provider that is not pixel-aligned is
//! left alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use fitview_engine::provider::{
    Capabilities, GeneratedImage, ProviderOutput, ProviderRequest, TryOnProvider,
};
use fitview_engine::{
    Engine, GarmentCategory, OutputFormat, OutputOptions, Result, TryOnOptions, TryOnRequest,
};
use image::{Rgba, RgbaImage};

use crate::common;

const SIZE: u32 = 512;
/// Where the provider draws the garment: x, y in this range.
const GARMENT: std::ops::Range<u32> = 200..330;
const RED: [u8; 4] = [190, 30, 40, 255];

/// Draws a red garment on the torso and lets every other pixel drift by up to ±5.
#[derive(Debug)]
struct Drifting {
    pixel_aligned: bool,
}

#[async_trait::async_trait]
impl TryOnProvider for Drifting {
    fn name(&self) -> &str {
        "drifting"
    }
    fn model(&self) -> &str {
        if self.pixel_aligned {
            "aligned"
        } else {
            "free"
        }
    }
    fn prompt_version(&self) -> &str {
        "1"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            categories: GarmentCategory::ALL.to_vec(),
            max_garments: 1,
            canvas: (SIZE, SIZE),
            supports_seed: false,
            max_samples: 1,
            pixel_aligned: self.pixel_aligned,
            styles: vec![],
            cost_per_image_usd: 0.0,
        }
    }
    async fn try_on(&self, request: ProviderRequest) -> Result<ProviderOutput> {
        let mut out = (*request.person).clone();
        for (x, y, px) in out.enumerate_pixels_mut() {
            if GARMENT.contains(&x) && GARMENT.contains(&y) {
                *px = Rgba(RED);
                continue;
            }
            let drift = ((x * 31 + y * 17) % 11) as i16 - 5;
            for c in 0..3 {
                px.0[c] = (i16::from(px.0[c]) + drift).clamp(0, 255) as u8;
            }
        }
        Ok(ProviderOutput {
            images: vec![GeneratedImage::Pixels(out)],
            usage: Default::default(),
            metadata: Default::default(),
        })
    }
}

async fn try_on(pixel_aligned: bool) -> (RgbaImage, RgbaImage) {
    let engine = Engine::builder()
        .shared_provider(Arc::new(Drifting { pixel_aligned }))
        .build()
        .unwrap();
    let person = common::person(SIZE, SIZE);
    let options = TryOnOptions {
        output: OutputOptions {
            long_edge: SIZE,
            format: OutputFormat::Png,
            thumbnail_widths: Vec::new(),
            sharpen: false,
            color_correct: false,
            ..OutputOptions::default()
        },
        ..TryOnOptions::default()
    };
    let request = TryOnRequest::new(
        common::encode(&person, image::ImageFormat::Png),
        common::garment_png(200, 200),
    )
    .with_category(GarmentCategory::Top)
    .with_options(options);
    let result = engine.try_on(request).await.unwrap();
    let out = common::decode(&result.images[0].bytes);
    (out, image::DynamicImage::ImageRgb8(person).to_rgba8())
}

/// Pixels well away from the garment (the head, the backdrop, the legs) that differ from the input.
fn drifted_pixels(out: &RgbaImage, input: &RgbaImage) -> usize {
    let margin = 30;
    let near_garment = |v: u32| (GARMENT.start - margin..GARMENT.end + margin).contains(&v);
    out.enumerate_pixels()
        .filter(|(x, y, _)| !(near_garment(*x) && near_garment(*y)))
        .filter(|(x, y, px)| *px != input.get_pixel(*x, *y))
        .count()
}

#[tokio::test]
async fn a_pixel_aligned_provider_s_drift_is_undone_outside_the_garment() {
    let (out, input) = try_on(true).await;
    assert_eq!(out.dimensions(), input.dimensions());
    assert_eq!(
        drifted_pixels(&out, &input),
        0,
        "face and backdrop are exact"
    );
    assert_eq!(out.get_pixel(265, 265).0, RED, "the garment is kept");
}

#[tokio::test]
async fn a_provider_that_is_not_pixel_aligned_is_left_alone() {
    let (out, input) = try_on(false).await;
    assert!(
        drifted_pixels(&out, &input) > 10_000,
        "nothing is restored without pixel alignment"
    );
    assert_eq!(out.get_pixel(265, 265).0, RED);
}
