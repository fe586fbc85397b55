//! Criterion benchmark of restoring the unchanged pixels of a pixel-aligned provider's 1024²
//! output from the input canvas (`pipeline::restore`): the draft provider's try-on of the
//! committed fixtures, with every pixel outside the garment drifted by a few levels the way a
//! generative model re-renders them. `cargo bench -p fitview-benches --bench restore`.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use fitview_engine::provider::draft::DraftProvider;
use fitview_engine::provider::{GeneratedImage, PreparedGarment, ProviderRequest};
use fitview_engine::{GarmentCategory, Limits, QualityMode, pipeline};

const CANVAS: (u32, u32) = (1024, 1024);

fn fixture(path: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    std::fs::read(root.join(path)).unwrap_or_default()
}

fn restore(c: &mut Criterion) {
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
    let request = ProviderRequest {
        person: Arc::new(person.canvas.clone()),
        garments: vec![PreparedGarment {
            image: Arc::new(garment),
            category: GarmentCategory::Top,
        }],
        person_landmarks: None,
        seed: None,
        samples: 1,
        quality: QualityMode::Fast,
    };
    let Ok(output) = DraftProvider::new().render(&request) else {
        return;
    };
    let Some(GeneratedImage::Pixels(mut output)) = output.images.into_iter().next() else {
        return;
    };
    for (x, y, px) in output.enumerate_pixels_mut() {
        let drift = ((x * 31 + y * 17) % 7) as i16 - 3;
        for channel in &mut px.0[..3] {
            *channel = (i16::from(*channel) + drift).clamp(0, 255) as u8;
        }
    }

    c.bench_function("restore/unchanged_1024", |b| {
        b.iter_batched(
            || output.clone(),
            |mut image| {
                black_box(pipeline::restore_unchanged(&mut image, &person.canvas));
                image
            },
            criterion::BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, restore);
criterion_main!(benches);
