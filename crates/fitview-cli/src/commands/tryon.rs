//! `fitview tryon`: one person, one garment, one image file (plus thumbnails).

use std::path::PathBuf;

use fitview_engine::{
    BodyLandmarks, CacheStats, CacheStatus, Engine, EngineConfig, GarmentCategory, OutputFormat,
    QualityMode, TryOnOptions, TryOnRequest, TryOnResult,
};
use serde::Serialize;

use crate::cli::{CategoryArg, TryonArgs, read_input};
use crate::output::{WrittenImage, human_bytes, sibling, write_image};

#[derive(Serialize)]
struct Summary<'a> {
    #[serde(flatten)]
    result: &'a TryOnResult,
    files: Vec<WrittenImage>,
    /// This process's cache counters (per layer) and hit rate.
    cache_stats: CacheStats,
    /// Where results are kept, if anywhere.
    store: Option<&'a str>,
}

pub async fn run(mut config: EngineConfig, args: TryonArgs) -> anyhow::Result<()> {
    crate::config::apply_provider_args(
        &mut config,
        &args.provider,
        crate::config::ProviderRole::TryOn,
    );
    let person = read_input("--person", &args.person)?;
    let garment = read_input("--garment", &args.garment)?;
    let engine = Engine::builder().config(config).build()?;

    let format_from_extension = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .and_then(|e| e.parse::<OutputFormat>().ok())
        .unwrap_or_default();
    let options = TryOnOptions {
        seed: args.seed,
        samples: args.samples,
        quality: if args.best {
            QualityMode::Quality
        } else {
            QualityMode::Fast
        },
        output: super::output_options(&args.output, format_from_extension),
    };
    let mut request = TryOnRequest::new(person, garment)
        .with_category(category(args.category))
        .with_options(options);
    if let Some(path) = &args.landmarks {
        let json = read_input("--landmarks", path)?;
        let landmarks: BodyLandmarks = serde_json::from_slice(&json).map_err(|e| {
            fitview_engine::Error::invalid_input(format!("--landmarks {}: {e}", path.display()))
        })?;
        request = request.with_person_landmarks(landmarks);
    }
    let result = engine.try_on(request).await?;
    let cache_stats = engine.cache_stats().await;

    let mut files = Vec::new();
    for (i, image) in result.images.iter().enumerate() {
        let path = out_path(&args.out, i, image.format.extension());
        files.push(write_image(&path, image)?);
    }
    if args.output.json {
        let store = engine.store().map(|s| s.location());
        println!(
            "{}",
            serde_json::to_string_pretty(&Summary {
                result: &result,
                files,
                cache_stats,
                store
            })?
        );
    } else {
        print_summary(&result, &files);
    }
    Ok(())
}

fn cache_label(status: CacheStatus) -> &'static str {
    match status {
        CacheStatus::Miss => "generated",
        CacheStatus::HitMemory => "cache hit (memory)",
        CacheStatus::HitShared => "cache hit (shared)",
        CacheStatus::HitStore => "cache hit (store)",
        CacheStatus::Coalesced => "shared with a concurrent request",
    }
}

fn category(arg: CategoryArg) -> GarmentCategory {
    match arg {
        CategoryArg::Top => GarmentCategory::Top,
        CategoryArg::Bottom => GarmentCategory::Bottom,
        CategoryArg::OnePiece => GarmentCategory::OnePiece,
        CategoryArg::Saree => GarmentCategory::Saree,
        CategoryArg::Lehenga => GarmentCategory::Lehenga,
        CategoryArg::SalwarKameez => GarmentCategory::SalwarKameez,
        CategoryArg::Kurta => GarmentCategory::Kurta,
        CategoryArg::Dupatta => GarmentCategory::Dupatta,
        CategoryArg::Auto => GarmentCategory::Auto,
    }
}

/// The first image goes where `--out` says (with the format's extension); others get `-2`, `-3`.
fn out_path(out: &std::path::Path, index: usize, ext: &str) -> PathBuf {
    let suffix = if index == 0 {
        String::new()
    } else {
        format!("-{}", index + 1)
    };
    sibling(out, &suffix, ext)
}

fn print_summary(result: &TryOnResult, files: &[WrittenImage]) {
    let t = &result.timings;
    let ms = |d: std::time::Duration| format!("{}ms", d.as_millis());
    for file in files {
        println!(
            "wrote {} ({}x{}, {}) + {} thumbnails",
            file.path.display(),
            file.width,
            file.height,
            human_bytes(file.bytes),
            file.thumbnails.len()
        );
    }
    println!(
        "provider {} ({}) · {} · preprocess {} · provider {} · postprocess {} · total {} · key {}",
        result.provider,
        result.model,
        cache_label(result.cache),
        ms(t.preprocess),
        ms(t.provider),
        ms(t.postprocess),
        ms(t.total),
        &result.key.as_str()[..12],
    );
}
