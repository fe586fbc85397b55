//! `fitview gc` and `fitview forget`: retention and erasure in the result store (and the shared
//! cache). Neither calls a provider.

use fitview_engine::provider::mock::MockProvider;
use fitview_engine::{DeleteReport, Engine, EngineConfig, InputHash};

use crate::cli::{ForgetArgs, GcArgs};
use crate::input_file::read_bounded;
use crate::output::human_bytes;
use crate::stdout::outln;

/// An engine for store maintenance: the configured store and Redis; the provider is never called,
/// so a configuration that names one without credentials still works here.
fn engine(config: EngineConfig) -> anyhow::Result<Engine> {
    Ok(Engine::builder()
        .config(config)
        .provider(MockProvider::new())
        .build()?)
}

pub async fn gc(config: EngineConfig, args: GcArgs) -> anyhow::Result<()> {
    let engine = engine(config)?;
    let report = engine.gc(args.older_than, args.dry_run).await?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        let verb = if report.dry_run {
            "would delete"
        } else {
            "deleted"
        };
        outln!(
            "{verb} {} results, {} partial writes and {} kept uploads older than {}: {} objects, {}",
            report.results.len(),
            report.incomplete,
            report.inputs,
            age(report.older_than_secs),
            report.objects,
            human_bytes(usize::try_from(report.bytes).unwrap_or(usize::MAX)),
        )?;
    }
    Ok(())
}

pub async fn forget(config: EngineConfig, args: ForgetArgs) -> anyhow::Result<()> {
    let max_bytes = config.limits.max_input_bytes;
    let engine = engine(config)?;
    let mut hashes: Vec<InputHash> = args
        .hash
        .iter()
        .map(|h| h.parse())
        .collect::<Result<_, _>>()?;
    for path in &args.photo {
        let bytes = read_bounded("--photo", path, max_bytes)?;
        hashes.push(engine.input_hash(bytes.into()).await?);
    }
    let mut total = DeleteReport {
        dry_run: args.dry_run,
        ..DeleteReport::default()
    };
    let mut per_input = Vec::new();
    for hash in &hashes {
        let report = engine.delete_derived_from(hash, args.dry_run).await?;
        per_input.push(report.clone());
        total.merge(report);
    }
    if args.json {
        let json = serde_json::json!({
            "dry_run": args.dry_run,
            "inputs": per_input,
            "results": total.results,
            "objects": total.objects,
        });
        outln!("{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        let verb = if args.dry_run {
            "would delete"
        } else {
            "deleted"
        };
        for report in &per_input {
            let input = report
                .input
                .as_ref()
                .map(|h| &h.as_str()[..12])
                .unwrap_or("?");
            outln!(
                "input {input}: {verb} {} results{}",
                report.results.len(),
                if report.input_deleted {
                    " and the kept photo"
                } else {
                    ""
                }
            )?;
        }
        if !args.dry_run {
            outln!("try-ons of these photos still running elsewhere will not keep their results")?;
        }
    }
    Ok(())
}

fn age(secs: u64) -> String {
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{s}s"),
    }
}
