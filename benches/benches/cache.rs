//! Criterion benchmarks of the cache-hit path: what a request costs when its result is already in
//! memory. Inputs are generated in code (`fitview_benches`): a 1200×1600 JPEG person photo and a
//! 1024² PNG garment, fitted into the mock provider's 1024² canvas.
//!
//! - `key_from_decoded`: the content key from already-normalized canvases (BLAKE3 over ~8 MB);
//! - `hit_from_decoded`: that key, the memory lookup and the result handed back (`Engine::cached`);
//! - `key_from_upload_bytes`: decode, normalize and key, from the raw upload bytes;
//! - `input_hash_from_upload_bytes`: the input hash of the person photo (full-size decode);
//! - `try_on_memory_hit`: a whole `Engine::try_on` answered from memory.
//!
//! `cargo bench -p fitview-benches --bench cache`. The async calls run on a current-thread tokio
//! runtime with `block_on`, whose own overhead (well under a microsecond) is included.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fitview_engine::provider::TryOnProvider;
use fitview_engine::provider::mock::MockProvider;
use fitview_engine::{
    Engine, GarmentCategory, ImageDigest, KeyInputs, Limits, TryOnOptions, TryOnRequest,
    input_hash, pipeline,
};

const CANVAS: (u32, u32) = (1024, 1024);

fn cache(c: &mut Criterion) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("cannot start a runtime: {err}");
            return;
        }
    };
    let limits = Limits::default();
    let person_jpeg = fitview_benches::photo_jpeg(1200, 1600, 11);
    let garment_png = fitview_benches::garment_png(1024, 1024, 12);
    let (Ok(person), Ok(garment)) = (
        pipeline::prepare_person(&person_jpeg, &limits, CANVAS, None),
        pipeline::prepare_garment(&garment_png, &limits, CANVAS),
    ) else {
        eprintln!("the generated inputs do not decode");
        return;
    };
    let mock = MockProvider::new();
    let options = TryOnOptions::default();
    let key_of = |person: &image::RgbaImage, garment: &image::RgbaImage| {
        KeyInputs {
            provider: mock.name(),
            model: TryOnProvider::model(&mock),
            prompt_version: TryOnProvider::prompt_version(&mock),
            person: ImageDigest::of(person),
            garments: vec![(ImageDigest::of(garment), GarmentCategory::Top)],
            person_landmarks: None,
            options: &options,
        }
        .key()
    };

    let Ok(engine) = Engine::builder().provider(MockProvider::new()).build() else {
        return;
    };
    let request = || {
        TryOnRequest::new(person_jpeg.clone(), garment_png.clone())
            .with_category(GarmentCategory::Top)
    };
    // Warm the memory layer; the key the engine derives is the one computed here.
    let Ok(warm) = runtime.block_on(engine.try_on(request())) else {
        return;
    };
    let key = key_of(&person.canvas, &garment);
    if key != warm.key {
        eprintln!("the bench derives another key than the engine; check its inputs");
        return;
    }

    let mut group = c.benchmark_group("cache");
    group.bench_function("key_from_decoded", |b| {
        b.iter(|| key_of(black_box(&person.canvas), black_box(&garment)))
    });
    group.bench_function("hit_from_decoded", |b| {
        b.iter(|| {
            let key = key_of(black_box(&person.canvas), black_box(&garment));
            runtime
                .block_on(engine.cached(&key))
                .map(|r| r.images.len())
        })
    });
    group.bench_function("key_from_upload_bytes", |b| {
        b.iter(|| {
            let person =
                pipeline::prepare_person(black_box(&person_jpeg), &limits, CANVAS, None).ok()?;
            let garment =
                pipeline::prepare_garment(black_box(&garment_png), &limits, CANVAS).ok()?;
            Some(key_of(&person.canvas, &garment))
        })
    });
    group.bench_function("input_hash_from_upload_bytes", |b| {
        b.iter(|| input_hash(black_box(&person_jpeg), &limits))
    });
    group.bench_function("try_on_memory_hit", |b| {
        b.iter(|| runtime.block_on(engine.try_on(request())).map(|r| r.cache))
    });
    group.finish();
}

criterion_group!(benches, cache);
criterion_main!(benches);
