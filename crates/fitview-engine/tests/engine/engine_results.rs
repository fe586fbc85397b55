//! What a caller gets back from a successful try-on: images they can open, at the size and
//! aspect they asked for, with thumbnails, a stable key and deterministic bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use fitview_engine::provider::mock::MockProvider;
use fitview_engine::provider::{Capabilities, ProviderOutput, ProviderRequest, TryOnProvider};
use fitview_engine::{
    Engine, Error, GarmentCategory, OutputFormat, Result, TryOnOptions, TryOnRequest,
};
use image::ImageFormat;

use crate::common;

fn engine() -> Engine {
    Engine::builder()
        .provider(MockProvider::new())
        .build()
        .unwrap()
}

#[tokio::test]
async fn output_keeps_the_person_aspect_with_thumbnails() {
    let result = engine()
        .try_on(TryOnRequest::new(
            common::person_png(600, 800),
            common::garment_png(300, 300),
        ))
        .await
        .unwrap();
    assert_eq!(result.images.len(), 1);
    let image = &result.images[0];
    assert_eq!((image.width, image.height), (768, 1024));
    assert_eq!(image.format, OutputFormat::Webp);
    let decoded = common::decode(&image.bytes);
    assert_eq!(decoded.dimensions(), (768, 1024));
    let widths: Vec<u32> = image.thumbnails.iter().map(|t| t.width).collect();
    assert_eq!(widths, vec![256, 512]);
    for thumb in &image.thumbnails {
        let px = common::decode(&thumb.bytes);
        assert_eq!(px.width(), thumb.width);
        assert_eq!(
            px.height(),
            (f64::from(thumb.width) * 4.0 / 3.0).round() as u32
        );
    }
    assert_eq!(result.provider, "mock");
    assert!(!result.cache.is_hit());
    assert!(result.timings.total >= result.timings.provider);
}

#[tokio::test]
async fn the_garment_shows_in_the_result() {
    let result = engine()
        .try_on(
            TryOnRequest::new(common::person_png(600, 800), common::garment_png(300, 300))
                .with_category(GarmentCategory::Top),
        )
        .await
        .unwrap();
    let px = common::decode(&result.images[0].bytes);
    // The garment is red; the person's clothes were dark blue-grey. Somewhere in the torso band
    // the red must now dominate.
    let (w, h) = px.dimensions();
    let reddish = (h * 30 / 100..h * 50 / 100)
        .flat_map(|y| (w * 40 / 100..w * 60 / 100).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let p = px.get_pixel(x, y).0;
            p[0] > 120 && p[1] < 90 && p[2] < 90
        })
        .count();
    assert!(reddish > 1000, "only {reddish} red pixels in the torso");
}

#[tokio::test]
async fn same_inputs_and_seed_give_the_same_bytes_and_key() {
    let make = || {
        let options = TryOnOptions {
            seed: Some(42),
            ..TryOnOptions::default()
        };
        TryOnRequest::new(common::person_png(300, 400), common::garment_png(200, 200))
            .with_options(options)
    };
    let a = engine().try_on(make()).await.unwrap();
    let b = engine().try_on(make()).await.unwrap();
    assert_eq!(a.key, b.key);
    assert_eq!(a.images[0].bytes, b.images[0].bytes);
    let mut other_seed = make();
    other_seed.options.seed = Some(43);
    let c = engine().try_on(other_seed).await.unwrap();
    assert_ne!(a.key, c.key);
    assert_ne!(a.images[0].bytes, c.images[0].bytes);
}

#[tokio::test]
async fn a_re_encoded_upload_of_the_same_photo_has_the_same_key() {
    let person = common::person(300, 400);
    let garment = common::garment_png(200, 200);
    let png = TryOnRequest::new(common::encode(&person, ImageFormat::Png), garment.clone());
    let webp = TryOnRequest::new(common::encode(&person, ImageFormat::WebP), garment);
    let a = engine().try_on(png).await.unwrap();
    let b = engine().try_on(webp).await.unwrap();
    assert_eq!(a.key, b.key);
}

#[tokio::test]
async fn samples_give_distinct_images_in_the_asked_format_and_size() {
    let options = TryOnOptions {
        samples: 3,
        output: fitview_engine::OutputOptions {
            long_edge: 512,
            format: OutputFormat::Jpeg,
            thumbnail_widths: vec![128],
            ..Default::default()
        },
        ..TryOnOptions::default()
    };
    let result = engine()
        .try_on(
            TryOnRequest::new(common::person_png(800, 600), common::garment_png(200, 200))
                .with_options(options),
        )
        .await
        .unwrap();
    assert_eq!(result.images.len(), 3);
    for image in &result.images {
        assert_eq!((image.width, image.height), (512, 384));
        assert!(image.bytes.starts_with(&[0xFF, 0xD8]), "not a JPEG");
        assert_eq!(image.thumbnails.len(), 1);
    }
    assert_ne!(result.images[0].bytes, result.images[1].bytes);
}

/// A provider that only does tops, to check the engine declines before calling it.
#[derive(Debug)]
struct TopsOnly;

#[async_trait::async_trait]
impl TryOnProvider for TopsOnly {
    fn name(&self) -> &str {
        "tops-only"
    }
    fn model(&self) -> &str {
        "t1"
    }
    fn prompt_version(&self) -> &str {
        "1"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            categories: vec![GarmentCategory::Top],
            max_garments: 1,
            canvas: (512, 512),
            supports_seed: false,
            max_samples: 1,
            pixel_aligned: true,
            styles: vec![],
            cost_per_image_usd: 0.0,
        }
    }
    async fn try_on(&self, _request: ProviderRequest) -> Result<ProviderOutput> {
        Err(Error::internal("must not be called"))
    }
}

#[tokio::test]
async fn requests_beyond_the_capabilities_are_declined_up_front() {
    let engine = Engine::builder()
        .shared_provider(Arc::new(TopsOnly))
        .build()
        .unwrap();
    let bottom = TryOnRequest::new(common::person_png(300, 400), common::garment_png(200, 200))
        .with_category(GarmentCategory::Bottom);
    let err = engine.try_on(bottom).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotSupported { provider, .. } if provider == "tops-only"),
        "{err}"
    );
    let mut two_samples =
        TryOnRequest::new(common::person_png(300, 400), common::garment_png(200, 200))
            .with_category(GarmentCategory::Top);
    two_samples.options.samples = 2;
    assert_eq!(
        engine.try_on(two_samples).await.unwrap_err().code(),
        "not_supported"
    );
}

#[tokio::test]
async fn variations_keep_the_input_size_and_differ_by_style() {
    let tryon = engine()
        .try_on(TryOnRequest::new(
            common::person_png(300, 400),
            common::garment_png(200, 200),
        ))
        .await
        .unwrap();
    let input = tryon.images[0].bytes.clone();
    let mut seen = Vec::new();
    for style in [fitview_engine::Style::Casual, fitview_engine::Style::Party] {
        let out = engine()
            .variations(
                input.clone(),
                style,
                1,
                fitview_engine::OutputOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!((out.images[0].width, out.images[0].height), (768, 1024));
        seen.push(out.images[0].bytes.clone());
    }
    assert_ne!(seen[0], seen[1]);
}
