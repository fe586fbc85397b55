//! Criterion benchmarks of the image pipeline, per stage and for one request's preprocessing, on
//! a 1024² and a 24-megapixel (6000×4000) photo. Inputs are generated in code
//! (`fitview_benches`), so every run measures the same pixels.
//!
//! `cargo bench -p fitview-benches` takes a few minutes on two cores; a single group with
//! `cargo bench -p fitview-benches -- decode`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use fitview_engine::{Limits, OutputFormat, pipeline};

const CANVAS: (u32, u32) = (1024, 1024);

fn limits() -> Limits {
    Limits::default()
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, (w, h)) in [("1024", (1024, 1024)), ("24mp", (6000, 4000))] {
        let jpeg = fitview_benches::photo_jpeg(w, h, 1);
        group.bench_function(format!("jpeg_full_{name}"), |b| {
            b.iter(|| pipeline::decode(black_box(&jpeg), &limits()))
        });
        group.bench_function(format!("jpeg_at_least_1024_{name}"), |b| {
            b.iter(|| pipeline::decode_at_least(black_box(&jpeg), &limits(), 1024, 683))
        });
    }
    let png = fitview_benches::garment_png(1024, 1024, 2);
    group.bench_function("png_1024", |b| {
        b.iter(|| pipeline::decode(black_box(&png), &limits()))
    });
    group.finish();
}

fn resize(c: &mut Criterion) {
    let mut group = c.benchmark_group("resize");
    for (name, (w, h)) in [("1024", (1024, 1024)), ("24mp", (6000, 4000))] {
        let img = image::DynamicImage::ImageRgb8(fitview_benches::photo(w, h, 3)).into_rgba8();
        group.bench_function(format!("fit_contain_1024_{name}"), |b| {
            b.iter(|| {
                pipeline::fit_to_canvas(
                    black_box(&img),
                    CANVAS,
                    pipeline::FitMode::Contain,
                    [128, 128, 128, 255],
                )
            })
        });
    }
    group.finish();
}

fn matte(c: &mut Criterion) {
    let mut group = c.benchmark_group("matte");
    let garment = pipeline::decode(&fitview_benches::garment_png(1024, 1024, 4), &limits());
    if let Ok(garment) = garment {
        group.bench_function("garment_1024", |b| {
            b.iter(|| pipeline::matte_garment(black_box(&garment)))
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let img = image::DynamicImage::ImageRgb8(fitview_benches::photo(1024, 1024, 5)).into_rgba8();
    for format in [
        OutputFormat::Webp,
        OutputFormat::WebpLossless,
        OutputFormat::Jpeg,
        OutputFormat::Png,
    ] {
        group.bench_function(format!("{}_1024", format.as_str()), |b| {
            b.iter(|| pipeline::encode(black_box(&img), format, 85))
        });
    }
    group.finish();
}

fn request(c: &mut Criterion) {
    let mut group = c.benchmark_group("prepare_request");
    let garment = fitview_benches::garment_png(1024, 1024, 6);
    for (name, (w, h)) in [("1024", (1024, 1024)), ("24mp", (6000, 4000))] {
        let person = fitview_benches::photo_jpeg(w, h, 7);
        group.bench_function(format!("person_and_garment_{name}"), |b| {
            b.iter(|| {
                let person = pipeline::prepare_person(black_box(&person), &limits(), CANVAS, None);
                let garment = pipeline::prepare_garment(black_box(&garment), &limits(), CANVAS);
                (person.is_ok(), garment.is_ok())
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = decode, resize, matte, encode, request
}
criterion_main!(benches);
