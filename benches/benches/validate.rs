//! Criterion benchmark of the quality checks on a 1024² try-on output: making the reference
//! from the prepared inputs (once per request: head box, body region, garment colours) and
//! running every check on one output (once per image). The output is the draft provider's, on
//! the committed fixtures. `cargo bench -p fitview-benches --bench validate`.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use fitview_engine::provider::draft::DraftProvider;
use fitview_engine::provider::{GeneratedImage, PreparedGarment};
use fitview_engine::validate::{self, Reference, ValidationConfig};
use fitview_engine::{GarmentCategory, Limits, pipeline};

const CANVAS: (u32, u32) = (1024, 1024);

fn fixture(path: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    std::fs::read(root.join(path)).unwrap_or_default()
}

fn validation(c: &mut Criterion) {
    let limits = Limits::default();
    let Ok(person) = pipeline::prepare_person(
        &fixture("persons/average-medium-full.jpg"),
        &limits,
        CANVAS,
        None,
    ) else {
        return;
    };
    let Ok(garment) =
        pipeline::prepare_garment(&fixture("garments/shirt-striped.jpg"), &limits, CANVAS)
    else {
        return;
    };
    let garments = vec![PreparedGarment {
        image: Arc::new(garment),
        category: GarmentCategory::Top,
    }];
    let request = fitview_engine::provider::ProviderRequest {
        person: Arc::new(person.canvas.clone()),
        garments: garments.clone(),
        person_landmarks: None,
        seed: None,
        samples: 1,
        quality: fitview_engine::QualityMode::Fast,
    };
    let Ok(output) = DraftProvider::new().render(&request) else {
        return;
    };
    let Some(GeneratedImage::Pixels(output)) = output.images.into_iter().next() else {
        return;
    };
    let config = ValidationConfig::default();
    let reference = Reference::try_on(&person.canvas, &person.placement, None, &garments);
    let style = Reference::style(CANVAS, CANVAS);

    let mut group = c.benchmark_group("validate");
    group.bench_function("reference_1024", |b| {
        b.iter(|| {
            Reference::try_on(
                black_box(&person.canvas),
                &person.placement,
                None,
                black_box(&garments),
            )
        })
    });
    group.bench_function("check_try_on_1024", |b| {
        b.iter(|| validate::check(black_box(&output), &reference, &config))
    });
    group.bench_function("check_style_1024", |b| {
        b.iter(|| validate::check(black_box(&output), &style, &config))
    });
    group.finish();
}

criterion_group!(benches, validation);
criterion_main!(benches);
