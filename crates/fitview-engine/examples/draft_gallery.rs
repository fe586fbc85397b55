//! Renders the draft provider's before/after gallery into `docs/gallery/`: for each pair of fixture
//! photos, a triptych `person | garment | result` as PNG, through the whole engine (decode, matte,
//! fit, provider, crop back, encode), exactly as `fitview tryon --provider draft` would.
//!
//! `cargo run -p fitview-engine --example draft_gallery --release [-- OUT_DIR]`

use std::path::{Path, PathBuf};

use fitview_engine::provider::draft::DraftProvider;
use fitview_engine::{
    Engine, GarmentCategory, OutputFormat, OutputOptions, TryOnOptions, TryOnRequest,
};
use image::{Rgba, RgbaImage, imageops};

/// (person, garment, category) pairs shown in the gallery.
const PAIRS: [(&str, &str, GarmentCategory); 10] = [
    (
        "average-medium-full.jpg",
        "shirt-striped.jpg",
        GarmentCategory::Top,
    ),
    (
        "broad-deep-full.jpg",
        "tshirt-plain.jpg",
        GarmentCategory::Top,
    ),
    (
        "curvy-tan-full.jpg",
        "longsleeve-logo.png",
        GarmentCategory::Top,
    ),
    (
        "slim-deep-half-turned.jpg",
        "shirt-striped.jpg",
        GarmentCategory::Top,
    ),
    (
        "average-olive-half.jpg",
        "tshirt-plain.jpg",
        GarmentCategory::Top,
    ),
    (
        "slim-light-full.jpg",
        "jeans-blue.jpg",
        GarmentCategory::Bottom,
    ),
    (
        "average-medium-full.jpg",
        "trousers-chino.jpg",
        GarmentCategory::Bottom,
    ),
    (
        "broad-deep-full.jpg",
        "skirt-checks.png",
        GarmentCategory::Bottom,
    ),
    (
        "curvy-tan-full.jpg",
        "dress-dots.jpg",
        GarmentCategory::OnePiece,
    ),
    (
        "slim-light-full.jpg",
        "dress-dots.jpg",
        GarmentCategory::Auto,
    ),
];

/// Height of each panel of a triptych.
const PANEL: u32 = 640;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn panel(img: &RgbaImage) -> RgbaImage {
    let w = (img.width() as f32 * PANEL as f32 / img.height() as f32).round() as u32;
    imageops::resize(img, w.max(1), PANEL, imageops::FilterType::Triangle)
}

fn triptych(parts: &[RgbaImage]) -> RgbaImage {
    let gap = 12;
    let width = parts.iter().map(|p| p.width()).sum::<u32>() + gap * (parts.len() as u32 + 1);
    let mut out = RgbaImage::from_pixel(width, PANEL + 2 * gap, Rgba([255, 255, 255, 255]));
    let mut x = gap;
    for p in parts {
        imageops::overlay(&mut out, p, i64::from(x), i64::from(gap));
        x += p.width() + gap;
    }
    out
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = std::env::args().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/gallery"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&out_dir)?;
    let engine = Engine::builder().provider(DraftProvider::new()).build()?;
    for (person_file, garment_file, category) in PAIRS {
        let person = std::fs::read(fixtures().join("persons").join(person_file))?;
        let garment = std::fs::read(fixtures().join("garments").join(garment_file))?;
        let options = TryOnOptions {
            output: OutputOptions {
                format: OutputFormat::Png,
                thumbnail_widths: Vec::new(),
                ..OutputOptions::default()
            },
            ..TryOnOptions::default()
        };
        let request = TryOnRequest::new(person.clone(), garment.clone())
            .with_category(category)
            .with_options(options);
        let result = engine.try_on(request).await?;
        let decode = |bytes: &[u8]| image::load_from_memory(bytes).map(|i| i.to_rgba8());
        let parts = [
            decode(&person)?,
            decode(&garment)?,
            decode(&result.images[0].bytes)?,
        ]
        .map(|i| panel(&i));
        let stem = |f: &str| f.split('.').next().unwrap_or(f).to_owned();
        let name = format!("{}--{}.png", stem(person_file), stem(garment_file));
        triptych(&parts).save(out_dir.join(&name))?;
        println!(
            "{name}: {category} in {:.0} ms (provider {:.0} ms)",
            result.timings.total.as_secs_f64() * 1000.0,
            result.timings.provider.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
