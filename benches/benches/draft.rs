//! Criterion benchmark of the offline draft provider: one 1024² try-on (the vision models on the
//! person, person and garment analysis, fit, warp, composition) on the committed fixtures and on
//! a real photo, prepared by the pipeline once outside the loop; and the vision models alone on
//! the same canvas. The garment's salient-object mask is kept per garment image by the draft, so
//! the try-ons measure a garment already seen (as a catalog run puts each product on several
//! models); `vision/garment_mask_1024` is what a new garment adds once.
//! `taskset -c 0 cargo bench -p fitview-benches --bench draft`.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use fitview_engine::provider::draft::DraftProvider;
use fitview_engine::provider::{PreparedGarment, ProviderRequest};
use fitview_engine::{GarmentCategory, Limits, QualityMode, pipeline};

const CANVAS: (u32, u32) = (1024, 1024);

fn fixture(path: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read(root.join(path)).unwrap_or_default()
}

fn request(person: &str, garment: &str, category: GarmentCategory) -> Option<ProviderRequest> {
    let limits = Limits::default();
    let person = pipeline::prepare_person(&fixture(person), &limits, CANVAS, None).ok()?;
    let garment = pipeline::prepare_garment(&fixture(garment), &limits, CANVAS).ok()?;
    Some(ProviderRequest {
        person: Arc::new(person.canvas),
        garments: vec![PreparedGarment {
            image: Arc::new(garment),
            category,
        }],
        person_landmarks: None,
        seed: None,
        samples: 1,
        quality: QualityMode::Fast,
    })
}

fn draft(c: &mut Criterion) {
    let mut group = c.benchmark_group("draft");
    let provider = DraftProvider::new();
    for (name, person, garment, category) in [
        (
            "top_1024",
            "fixtures/persons/average-medium-full.jpg",
            "fixtures/garments/shirt-striped.jpg",
            GarmentCategory::Top,
        ),
        (
            "bottom_1024",
            "fixtures/persons/slim-light-full.jpg",
            "fixtures/garments/jeans-blue.jpg",
            GarmentCategory::Bottom,
        ),
        (
            "one_piece_1024",
            "fixtures/persons/curvy-tan-full.jpg",
            "fixtures/garments/dress-dots.jpg",
            GarmentCategory::OnePiece,
        ),
        (
            "photo_top_1024",
            "crates/fitview-vision/tests/photos/astronaut.png",
            "fixtures/garments/tshirt-plain.jpg",
            GarmentCategory::Top,
        ),
    ] {
        let Some(request) = request(person, garment, category) else {
            continue;
        };
        group.bench_function(name, |b| b.iter(|| provider.render(black_box(&request))));
    }
    group.finish();
}

fn rgb(img: &image::RgbaImage) -> image::RgbImage {
    image::DynamicImage::ImageRgba8(img.clone()).to_rgb8()
}

fn vision(c: &mut Criterion) {
    let Ok(models) = fitview_vision::Vision::global() else {
        return;
    };
    let mut group = c.benchmark_group("vision");
    group.sample_size(10);
    if let Some(request) = request(
        "fixtures/persons/average-medium-full.jpg",
        "fixtures/garments/shirt-striped.jpg",
        GarmentCategory::Top,
    ) {
        let person = rgb(&request.person);
        group.bench_function("person_1024", |b| {
            b.iter(|| models.person(black_box(&person)))
        });
        if let Ok(found) = models.person(&person) {
            group.bench_function("face_1024", |b| {
                b.iter(|| models.face(black_box(&person), &found))
            });
        }
        let garment = rgb(&request.garments[0].image);
        group.bench_function("garment_mask_1024", |b| {
            b.iter(|| models.garment_mask(black_box(&garment)))
        });
    }
    group.finish();
}

criterion_group!(benches, draft, vision);
criterion_main!(benches);
