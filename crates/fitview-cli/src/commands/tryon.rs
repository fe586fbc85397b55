//! `fitview tryon`: one person, one garment, one image file (plus thumbnails).

use std::path::PathBuf;

use fitview_engine::{
    BodyLandmarks, CacheStats, CacheStatus, Engine, EngineConfig, GarmentCategory, OutputFormat,
    TryOnOptions, TryOnRequest, TryOnResult,
};
use serde::Serialize;

use crate::cli::{CategoryArg, TryonArgs};
use crate::input_file::{MAX_SMALL_TEXT_BYTES, read_bounded};
use crate::output::{WrittenImage, human_bytes, sibling, write_image};
use crate::stdout::outln;

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
    let format_from_extension = out_format(&args)?;
    let person = super::read_photo("person photo", "--person", &args.person, &config.limits)?;
    let garment = super::read_photo("garment photo", "--garment", &args.garment, &config.limits)?;
    let engine = Engine::builder().config(config).build()?;

    let options = TryOnOptions {
        seed: args.seed,
        samples: args.samples,
        quality: args.mode.mode(),
        output: super::output_options(&args.output, format_from_extension),
    };
    let mut request = TryOnRequest::new(person, garment)
        .with_category(category(args.category))
        .with_options(options);
    if let Some(path) = &args.landmarks {
        let json = read_bounded("--landmarks", path, MAX_SMALL_TEXT_BYTES)?;
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
        outln!(
            "{}",
            serde_json::to_string_pretty(&Summary {
                result: &result,
                files,
                cache_stats,
                store
            })?
        )?;
    } else {
        print_summary(&result, &files)?;
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

/// The format `--out`'s extension names (webp without one), after checking that `--out` can be
/// an image file: not a directory or device, and an extension FitView writes unless `--format`
/// says what to write.
fn out_format(args: &TryonArgs) -> Result<OutputFormat, fitview_engine::Error> {
    let out = &args.out;
    let invalid = |why: String| {
        fitview_engine::Error::invalid_input(format!("--out {}: {why}", out.display()))
    };
    if let Ok(metadata) = std::fs::metadata(out)
        && !metadata.is_file()
    {
        let what = if metadata.is_dir() {
            "is a directory; give a file name such as DIR/tryon.webp"
        } else {
            "is not a regular file; give the image file to write"
        };
        return Err(invalid(what.to_owned()));
    }
    match out.extension().and_then(|e| e.to_str()) {
        None => Ok(OutputFormat::default()),
        Some(ext) => match ext.parse::<OutputFormat>() {
            Ok(format) => Ok(format),
            Err(_) if args.output.format.is_some() => Ok(OutputFormat::default()),
            Err(_) => Err(invalid(format!(
                "FitView writes .webp, .jpg or .png, not .{ext} (or give --format)"
            ))),
        },
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

fn print_summary(result: &TryOnResult, files: &[WrittenImage]) -> anyhow::Result<()> {
    let t = &result.timings;
    let ms = |d: std::time::Duration| format!("{}ms", d.as_millis());
    for file in files {
        outln!(
            "wrote {} ({}x{}, {}) + {} thumbnails",
            file.path.display(),
            file.width,
            file.height,
            human_bytes(file.bytes),
            file.thumbnails.len()
        )?;
    }
    outln!(
        "provider {} ({}) · {} · preprocess {} · provider {} · postprocess {} · total {} · key {}",
        result.provider,
        result.model,
        cache_label(result.cache),
        ms(t.preprocess),
        ms(t.provider),
        ms(t.postprocess),
        ms(t.total),
        &result.key.as_str()[..12],
    )
}
