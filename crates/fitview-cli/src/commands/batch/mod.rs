//! `fitview batch`: every selected product on every selected model, from a catalog manifest.
//!
//! The run is planned up front (manifest validated, pairs fingerprinted), resumes from the
//! journal in the output directory, and ends by writing `report.json` and the `index.html`
//! gallery. See docs/batch.md.

mod estimate;
mod gallery;
mod journal;
pub(crate) mod lock;
mod manifest;
#[cfg(test)]
mod mutation_tests;
mod pace;
mod plan;
mod progress;
#[cfg(test)]
mod proptests;
mod report;
mod run;
mod source;
mod spend;
mod stop;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use fitview_engine::{Engine, EngineConfig, OutputFormat};
use serde_json::json;

use crate::cli::BatchArgs;
use crate::output::write_atomic;
use crate::stdout::outln;
use plan::Item;
use progress::{Mode, Progress};

/// Most bytes of results the engine keeps in memory during a batch. Every result goes to disk
/// and is asked for again only by a duplicate pair (two SKUs with the same photo), so a memory
/// layer sized for a server would only grow with the catalog.
const MEMORY_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// Runs `fitview batch`.
pub async fn run(mut config: EngineConfig, args: BatchArgs) -> anyhow::Result<()> {
    config.cache.memory_bytes = config.cache.memory_bytes.min(MEMORY_CACHE_BYTES);
    crate::config::apply_provider_args(
        &mut config,
        &args.provider,
        crate::config::ProviderRole::TryOn,
    );
    let manifest = manifest::load(&args.manifest, config.limits.max_input_bytes)
        .await
        .map_err(|e| fitview_engine::Error::invalid_input(e.to_string()))?;
    let manifest = Arc::new(manifest);
    let output = super::output_options(&args.output, OutputFormat::Webp);
    let mock_latency = (config.provider == "mock")
        .then_some(config.provider_settings.mock_latency_ms)
        .flatten();
    config.provider_calls = Some(run::provider_calls(usize::from(args.concurrency), args.rpm));
    let engine = Engine::builder().config(config).build()?;
    let provider = engine.provider().clone();
    let quality = args.mode.mode();
    let provider_label = format!(
        "{} ({}, {} mode)",
        provider.name(),
        provider.offer(quality).model,
        quality
    );
    let variations = manifest.generate.variations.clone();
    let pace = pace_of(&engine, &args, !variations.is_empty());
    let settings_text = format!(
        "provider={provider_label} output={} variations={}",
        serde_json::to_string(&output)?,
        variations
            .iter()
            .map(|v| v.slug())
            .collect::<Vec<_>>()
            .join(",")
    );
    let plan = plan::plan(&manifest, &settings_text);

    // Held until the run ends; taken before the journal is read so no other run is writing it.
    let _lock = if args.dry_run {
        None
    } else {
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        let lock = lock::lock(&args.out)?;
        // Files a killed run was writing; no other run writes here while the lock is held.
        let partial = crate::output::remove_partial_writes(&args.out)
            .with_context(|| format!("cannot clean up {}", args.out.display()))?;
        if partial > 0 {
            tracing::info!(files = partial, "removed partial writes of an earlier run");
        }
        Some(lock)
    };
    let journal_path = args.out.join(journal::FILE_NAME);
    let mut earlier = journal::load(&journal_path)?;
    let missing_outputs = earlier.forget_missing_outputs(&args.out);
    let is_done = |item: &Item| {
        earlier.latest.get(&item.label(&manifest)).is_some_and(|r| {
            r.fingerprint == item.fingerprint && r.outcome == journal::Outcome::Done
        })
    };
    let todo: Vec<&Item> = plan.iter().filter(|item| !is_done(item)).collect();
    // Priced at the model the quality mode picks.
    let offer = provider.offer(quality);
    let style_price = if variations.is_empty() {
        0.0
    } else {
        engine
            .style_provider()
            .map_or(0.0, |s| s.capabilities().cost_per_image_usd)
    };
    let cost_per_item = offer.usd_per_image + style_price * variations.len() as f64;
    let inputs = estimate::Inputs {
        items: plan.len(),
        done: plan.len() - todo.len(),
        calls_per_item: 1 + variations.len(),
        cost_per_call: cost_per_item / (1 + variations.len()) as f64,
        limit: args.limit,
        max_cost: args.max_cost,
        spent_usd: earlier.spent_usd,
        concurrency: pace.concurrency,
        rpm: pace.rpm,
        latency: mock_latency.map_or(
            Duration::from_secs_f64(args.assume_latency.max(0.0)),
            Duration::from_millis,
        ),
    };
    let estimate = estimate::estimate(inputs);
    if args.dry_run {
        let to_run = &todo[..estimate.to_generate];
        return print_dry_run(&manifest, &estimate, &pace, to_run, &provider_label, &args);
    }
    // A real run is capped by what its calls really cost, as they finish (`spend`), not by
    // the estimate: cache hits cost nothing.
    let uncapped = estimate::estimate(estimate::Inputs {
        max_cost: None,
        ..inputs
    });
    let to_run = &todo[..uncapped.to_generate];

    let journal = journal::Journal::open(&journal_path)?;
    let mode = Mode::detect(args.output.json);
    if earlier.unreadable > 0 {
        tracing::warn!(
            lines = earlier.unreadable,
            "skipped unreadable journal lines (torn by a kill?)"
        );
    }
    let progress = Arc::new(Progress::start(
        mode,
        to_run.len(),
        estimate.cache_hits_expected,
    ));
    for line in &pace.lowered_by {
        progress.note("pace", line);
    }
    if missing_outputs > 0 {
        progress.note(
            "resume",
            &format!(
                "{missing_outputs} items finished by earlier runs have images missing from {}; they are made again",
                args.out.display()
            ),
        );
    }
    let stop = stop::StopFlag::default();
    stop::listen_for_ctrl_c(stop.clone(), journal.clone(), progress.clone());
    let started_at = unix_now();
    let settings = run::Settings {
        concurrency: pace.concurrency,
        output,
        quality,
        variations,
        out: args.out.clone(),
        max_cost: args.max_cost,
        spent_before: earlier.spent_usd,
        cost_per_item,
    };
    let outcome = run::run(
        &engine, &manifest, to_run, &settings, &journal, &progress, &stop,
    )
    .await?;
    progress.finish();

    let (items, counts) = report::build(&manifest, &plan, &outcome.records, &earlier);
    let report = report::Report {
        manifest: args.manifest.display().to_string(),
        catalog: manifest.name.clone(),
        provider: provider_label,
        started_at,
        finished_at: unix_now(),
        counts,
        stopped: match &outcome.stopped {
            Some((reason, error)) => Some(format!("{reason}: {error}")),
            None if outcome.interrupted => Some("interrupted (Ctrl-C)".to_owned()),
            None => None,
        },
        items,
    };
    let report_path = args.out.join(report::FILE_NAME);
    write_atomic(&report_path, &serde_json::to_vec_pretty(&report)?)?;
    let gallery_path = args.out.join(gallery::FILE_NAME);
    write_atomic(
        &gallery_path,
        gallery::render(&manifest, &report).as_bytes(),
    )?;

    let c = &report.counts;
    if mode == Mode::Json {
        progress::event(&json!({
            "event": "done",
            "counts": c,
            "report": report_path,
            "gallery": gallery_path,
            "stopped": report.stopped,
            "interrupted": outcome.interrupted,
        }));
    } else {
        eprintln!(
            "batch: {} items: {} generated, {} cached, {} from earlier runs, {} flagged by quality checks, {} failed, {} not run",
            c.items, c.generated, c.cached, c.reused, c.flagged, c.failed, c.not_run
        );
        if c.flagged > 0 {
            eprintln!(
                "batch: flagged images are kept for review (see the gallery); the same command makes them again"
            );
        }
        eprintln!(
            "batch: report {} · gallery {}",
            report_path.display(),
            gallery_path.display()
        );
    }
    if let Some((reason, error)) = outcome.stopped {
        let left = c.not_run + c.failed + c.flagged;
        let next = if matches!(error, fitview_engine::Error::BudgetExceeded { .. }) {
            "raise --max-cost and run again to resume"
        } else {
            "fix the cause and run the same command to resume"
        };
        return Err(
            anyhow::Error::new(error).context(format!("{reason}; {left} items left: {next}"))
        );
    }
    if outcome.interrupted {
        eprintln!(
            "batch: interrupted with {} items left; {}",
            c.not_run + c.failed + c.flagged,
            stop::resume_hint()
        );
        return Err(crate::exit::Interrupted.into());
    }
    if c.failed + c.flagged > 0 {
        return Err(crate::exit::ItemsFailed {
            failed: c.failed,
            flagged: c.flagged,
        }
        .into());
    }
    Ok(())
}

/// The pace the run gets from its providers: the try-on provider's limits, and the style
/// provider's when the manifest asks for variations. (The engine's `provider_calls` bound is
/// the asked pace; a provider's own throttle enforces a lower one by itself, so this is what
/// the estimate, the items kept in flight and the user's notes go by.)
fn pace_of(engine: &Engine, args: &BatchArgs, variations: bool) -> pace::Pace {
    let try_on = engine.provider();
    let mut providers = Vec::new();
    if let Some(limits) = try_on.request_limits() {
        providers.push(pace::ProviderLimits {
            name: try_on.name(),
            section: "provider_settings",
            limits,
        });
    }
    if variations
        && let Some(style) = engine.style_provider()
        && let Some(limits) = style.request_limits()
    {
        providers.push(pace::ProviderLimits {
            name: style.name(),
            section: "style_provider_settings",
            limits,
        });
    }
    pace::pace(usize::from(args.concurrency), args.rpm, &providers)
}

fn print_dry_run(
    manifest: &manifest::Manifest,
    estimate: &estimate::Estimate,
    pace: &pace::Pace,
    to_run: &[&Item],
    provider: &str,
    args: &BatchArgs,
) -> anyhow::Result<()> {
    let labels: Vec<String> = to_run.iter().map(|item| item.label(manifest)).collect();
    if args.output.json {
        progress::event(&json!({
            "event": "dry_run",
            "provider": provider,
            "estimate": estimate,
            "concurrency": pace.concurrency,
            "rpm": pace.rpm,
            "pace_lowered_by": pace.lowered_by,
            "items": labels,
        }));
        return Ok(());
    }
    let e = estimate;
    outln!(
        "dry run of {} with {provider} (nothing is called)",
        args.manifest.display()
    )?;
    outln!("  items in the plan:          {}", e.items)?;
    outln!(
        "  done by earlier runs:       {} (expected cache hits, no provider call)",
        e.cache_hits_expected
    )?;
    outln!("  to generate now:            {}", e.to_generate)?;
    if e.capped > 0 {
        outln!("  left for later (--limit / --max-cost): {}", e.capped)?;
    }
    outln!("  provider calls:             {}", e.provider_calls)?;
    outln!("  estimated cost:             ${:.2}", e.cost_usd)?;
    if e.spent_usd > 0.0 {
        outln!("  spent by earlier runs:      ${:.2}", e.spent_usd)?;
    }
    outln!(
        "  estimated time:             {} (concurrency {}{})",
        human_duration(e.seconds),
        pace.concurrency,
        pace.rpm
            .map(|r| format!(", {r} calls/min"))
            .unwrap_or_default()
    )?;
    for line in &pace.lowered_by {
        outln!("  note: {line}")?;
    }
    let shown = 20;
    for label in labels.iter().take(shown) {
        outln!("  would generate {label}")?;
    }
    if labels.len() > shown {
        outln!("  … and {} more", labels.len() - shown)?;
    }
    Ok(())
}

fn human_duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
