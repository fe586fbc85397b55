//! Criterion benchmark of the offline draft provider: one 1024² try-on (person analysis, garment
//! analysis, fit, warp, composition) on the committed fixtures, prepared by the pipeline once
//! outside the loop. `cargo bench -p fitview-benches --bench draft`.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use fitview_engine::provider::draft::DraftProvider;
use fitview_engine::provider::{PreparedGarment, ProviderRequest};
use fitview_engine::{GarmentCategory, Limits, QualityMode, pipeline};

const CANVAS: (u32, u32) = (1024, 1024);

fn fixture(path: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
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
            "persons/average-medium-full.jpg",
            "garments/shirt-striped.jpg",
            GarmentCategory::Top,
        ),
        (
            "bottom_1024",
            "persons/slim-light-full.jpg",
            "garments/jeans-blue.jpg",
            GarmentCategory::Bottom,
        ),
        (
            "one_piece_1024",
            "persons/curvy-tan-full.jpg",
            "garments/dress-dots.jpg",
            GarmentCategory::OnePiece,
        ),
    ] {
        let Some(request) = request(person, garment, category) else {
            continue;
        };
        group.bench_function(name, |b| b.iter(|| provider.render(black_box(&request))));
    }
    group.finish();
}

criterion_group!(benches, draft);
criterion_main!(benches);
