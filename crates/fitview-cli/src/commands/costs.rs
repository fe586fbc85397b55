//! `fitview costs`: what provider calls cost, from the spend ledger in the result store (every
//! process that used the store recorded its calls there), per day, provider and model.

use std::collections::BTreeMap;

use fitview_engine::{EngineConfig, ResultStore, SpendEntry, SpendLedger};
use serde::Serialize;

use crate::cli::CostsArgs;
use crate::stdout::outln;

/// Totals of some entries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
struct Totals {
    usd: f64,
    calls: u64,
    images: u64,
}

impl Totals {
    fn add(&mut self, entry: &SpendEntry) {
        self.usd += entry.usd;
        self.calls += entry.calls;
        self.images += entry.images;
    }
}

/// The `--json` document.
#[derive(Debug, Serialize)]
struct Report<'a> {
    store: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
    /// One line per day, provider and model, oldest day first.
    entries: Vec<SpendEntry>,
    by_day: BTreeMap<String, Totals>,
    by_provider: BTreeMap<String, Totals>,
    by_model: BTreeMap<String, Totals>,
    total: Totals,
}

pub async fn run(config: EngineConfig, args: CostsArgs) -> anyhow::Result<()> {
    let store =
        ResultStore::from_config(&config.store)?.ok_or_else(|| fitview_engine::Error::Config {
            problems: vec![
                "fitview costs reads the spend ledger of a result store, and none is set (--store)"
                    .to_owned(),
            ],
        })?;
    let entries: Vec<SpendEntry> = SpendLedger::read(&store)
        .await?
        .into_iter()
        .filter(|e| {
            args.from
                .as_deref()
                .is_none_or(|from| e.day.as_str() >= from)
        })
        .filter(|e| args.to.as_deref().is_none_or(|to| e.day.as_str() <= to))
        .collect();
    let mut report = Report {
        store: store.location(),
        from: args.from.as_deref(),
        to: args.to.as_deref(),
        entries: Vec::new(),
        by_day: BTreeMap::new(),
        by_provider: BTreeMap::new(),
        by_model: BTreeMap::new(),
        total: Totals::default(),
    };
    for entry in &entries {
        report
            .by_day
            .entry(entry.day.clone())
            .or_default()
            .add(entry);
        report
            .by_provider
            .entry(entry.provider.clone())
            .or_default()
            .add(entry);
        report
            .by_model
            .entry(format!("{} {}", entry.provider, entry.model))
            .or_default()
            .add(entry);
        report.total.add(entry);
    }
    report.entries = entries;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    if report.entries.is_empty() {
        outln!(
            "no provider spend recorded in {}{}",
            report.store,
            range(&args)
        )?;
        return Ok(());
    }
    outln!(
        "{:<10}  {:<12}  {:<30}  {:>10}  {:>6}  {:>6}",
        "day",
        "provider",
        "model",
        "usd",
        "calls",
        "images"
    )?;
    for e in &report.entries {
        outln!(
            "{:<10}  {:<12}  {:<30}  {:>10.4}  {:>6}  {:>6}",
            e.day,
            e.provider,
            e.model,
            e.usd,
            e.calls,
            e.images
        )?;
    }
    for (day, t) in &report.by_day {
        outln!(
            "day {day}: ${:.4} in {} calls, {} images",
            t.usd,
            t.calls,
            t.images
        )?;
    }
    for (provider, t) in &report.by_provider {
        outln!(
            "provider {provider}: ${:.4} in {} calls, {} images",
            t.usd,
            t.calls,
            t.images
        )?;
    }
    let t = report.total;
    outln!(
        "total{}: ${:.4} in {} calls, {} images",
        range(&args),
        t.usd,
        t.calls,
        t.images
    )?;
    Ok(())
}

fn range(args: &CostsArgs) -> String {
    match (&args.from, &args.to) {
        (None, None) => String::new(),
        (from, to) => format!(
            " from {} to {}",
            from.as_deref().unwrap_or("the start"),
            to.as_deref().unwrap_or("today")
        ),
    }
}
