//! `report.json`: every planned item with its status and, when it ran, its journal record.

use serde::Serialize;

use super::journal::{Loaded, Outcome, Record};
use super::manifest::Manifest;
use super::plan::Item;
use super::progress::status_word;

/// The report file's name in the output directory.
pub const FILE_NAME: &str = "report.json";

/// The whole batch as it stands after a run.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The manifest file.
    pub manifest: String,
    /// The catalog's name.
    pub catalog: String,
    /// Provider and model of this run.
    pub provider: String,
    /// When this run started and finished (seconds since the Unix epoch).
    pub started_at: u64,
    /// See `started_at`.
    pub finished_at: u64,
    /// Totals by status.
    pub counts: ReportCounts,
    /// Why this run stopped before the end, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Every planned item, in plan order.
    pub items: Vec<ReportItem>,
}

/// Totals by status.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct ReportCounts {
    /// Planned items.
    pub items: usize,
    /// Made by the provider in this run.
    pub generated: usize,
    /// Served from the engine's cache in this run.
    pub cached: usize,
    /// Done by an earlier run (from the journal).
    pub reused: usize,
    /// Made, but failing quality checks (in this run, or in an earlier one and not made again
    /// since): the images are there for review.
    pub flagged: usize,
    /// Failed (in this run, or in an earlier one and not retried since).
    pub failed: usize,
    /// Not run (stopped early, or beyond `--limit` / `--max-cost`).
    pub not_run: usize,
}

/// One planned item.
#[derive(Debug, Serialize)]
pub struct ReportItem {
    /// Model id.
    pub model: String,
    /// Product SKU.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// Garment category.
    pub category: String,
    /// `generated`, `cached`, `reused`, `flagged`, `failed` or `not_run`.
    pub status: &'static str,
    /// The item's plan fingerprint.
    pub fingerprint: String,
    /// The journal record of the run that finished it (absent when not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Record>,
}

/// Builds the report from the plan, this run's records and the journal as it was before the run.
pub fn build(
    manifest: &Manifest,
    plan: &[Item],
    this_run: &std::collections::HashMap<String, Record>,
    earlier: &Loaded,
) -> (Vec<ReportItem>, ReportCounts) {
    let mut counts = ReportCounts {
        items: plan.len(),
        ..ReportCounts::default()
    };
    let items = plan
        .iter()
        .map(|item| {
            let label = item.label(manifest);
            let (model, product) = item.parts(manifest);
            let earlier = earlier
                .latest
                .get(&label)
                .filter(|r| r.fingerprint == item.fingerprint);
            let (status, result) = match (this_run.get(&label), earlier) {
                (Some(record), _) => (status_word(record), Some(record.clone())),
                (None, Some(record)) => (
                    match record.outcome {
                        Outcome::Done => "reused",
                        Outcome::Flagged => "flagged",
                        Outcome::Failed => "failed",
                    },
                    Some(record.clone()),
                ),
                (None, None) => ("not_run", None),
            };
            match status {
                "generated" => counts.generated += 1,
                "cached" => counts.cached += 1,
                "reused" => counts.reused += 1,
                "flagged" => counts.flagged += 1,
                "failed" => counts.failed += 1,
                _ => counts.not_run += 1,
            }
            ReportItem {
                model: model.id.clone(),
                sku: product.sku.clone(),
                name: product.name.clone(),
                category: product.category.as_str().to_owned(),
                status,
                fingerprint: item.fingerprint.clone(),
                result,
            }
        })
        .collect();
    (items, counts)
}
