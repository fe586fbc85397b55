//! `index.html`: a self-contained gallery of the batch (inline CSS and JS, images by relative path
//! to their thumbnails): products × models, filters, click to zoom, failures and flagged images
//! with reasons.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use super::manifest::Manifest;
use super::report::{Report, ReportItem};

/// The gallery's file name in the output directory.
pub const FILE_NAME: &str = "index.html";

const TEMPLATE: &str = include_str!("gallery.html");

/// Renders the gallery page for a report.
pub fn render(manifest: &Manifest, report: &Report) -> String {
    let by_slot: HashMap<(&str, &str), &ReportItem> = report
        .items
        .iter()
        .map(|i| ((i.model.as_str(), i.sku.as_str()), i))
        .collect();
    let skus: BTreeSet<&str> = report.items.iter().map(|i| i.sku.as_str()).collect();
    let model_ids: BTreeSet<&str> = report.items.iter().map(|i| i.model.as_str()).collect();
    let models: Vec<_> = manifest
        .models
        .iter()
        .filter(|m| model_ids.contains(m.id.as_str()))
        .collect();
    let products: Vec<_> = manifest
        .products
        .iter()
        .filter(|p| skus.contains(p.sku.as_str()))
        .collect();

    let mut headers = String::new();
    let mut model_options = String::new();
    for model in &models {
        let facts: Vec<String> = model
            .facts
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let id = escape(&model.id);
        let _ = write!(
            headers,
            "<th data-model=\"{id}\">{id}<small>{}</small></th>",
            escape(&facts.join(" · "))
        );
        let _ = write!(model_options, "<option value=\"{id}\">{id}</option>");
    }
    let categories: BTreeSet<&str> = products.iter().map(|p| p.category.as_str()).collect();
    let category_options: String = categories
        .iter()
        .map(|c| format!("<option value=\"{0}\">{0}</option>", escape(c)))
        .collect();

    let mut rows = String::new();
    for product in &products {
        let mut meta = Vec::new();
        if let Some(colour) = &product.colour {
            meta.push(escape(colour));
        }
        if !product.sizes.is_empty() {
            meta.push(escape(&product.sizes.join(" ")));
        }
        if let Some(price) = product.price {
            meta.push(format!("{price:.2}"));
        }
        let _ = write!(
            rows,
            "<tr data-category=\"{}\"><td class=\"product\"><b>{}</b><div class=\"sku\">{} · {}</div><div class=\"meta\">{}</div></td>",
            product.category.as_str(),
            escape(&product.name),
            escape(&product.sku),
            product.category.as_str(),
            meta.join(" · ")
        );
        for model in &models {
            rows.push_str(&cell(
                by_slot
                    .get(&(model.id.as_str(), product.sku.as_str()))
                    .copied(),
                &model.id,
            ));
        }
        rows.push_str("</tr>\n");
    }

    TEMPLATE
        .replace("{{TITLE}}", &escape(&manifest.name))
        .replace("{{SUMMARY}}", &summary(report))
        .replace("{{MODEL_OPTIONS}}", &model_options)
        .replace("{{CATEGORY_OPTIONS}}", &category_options)
        .replace("{{MODEL_HEADERS}}", &headers)
        .replace("{{ROWS}}", &rows)
        .replace("{{FAILURES}}", &failures(report))
}

fn cell(item: Option<&ReportItem>, model: &str) -> String {
    let model = escape(model);
    let Some(item) = item else {
        return format!("<td data-model=\"{model}\"></td>");
    };
    let shown = matches!(item.status, "generated" | "cached" | "reused" | "flagged");
    let file = item.result.as_ref().and_then(|r| r.files.first());
    match (shown, file) {
        (true, Some(file)) => {
            let record = item.result.as_ref();
            let thumb = record.and_then(|r| r.thumbnail.as_ref()).unwrap_or(file);
            let mut title = format!("{} wearing {} ({})", item.model, item.name, item.sku);
            let (status, badge) = match record.and_then(|r| r.reason()) {
                Some(reason) if item.status == "flagged" => {
                    let _ = write!(title, " — flagged, {reason}");
                    ("flagged", "<span class=\"badge\">flagged</span>")
                }
                _ => ("done", ""),
            };
            let title = escape(&title);
            format!(
                "<td data-model=\"{model}\" data-status=\"{status}\"><button class=\"cell {status}\" title=\"{title}\" data-full=\"{}\"><img class=\"thumb\" src=\"{}\" alt=\"{title}\" loading=\"lazy\">{badge}</button></td>",
                escape(file),
                escape(thumb)
            )
        }
        _ if item.status == "failed" => {
            let why = item
                .result
                .as_ref()
                .and_then(|r| r.error.as_ref())
                .map_or("", |e| e.code.as_str());
            format!(
                "<td data-model=\"{model}\" data-status=\"failed\"><div class=\"cell failed\">failed<br>{}</div></td>",
                escape(why)
            )
        }
        _ => format!(
            "<td data-model=\"{model}\" data-status=\"not_run\"><div class=\"cell pending\">not run</div></td>"
        ),
    }
}

fn summary(report: &Report) -> String {
    let c = &report.counts;
    let mut text = format!(
        "<b>{}</b> items · <b>{}</b> generated · <b>{}</b> cached · <b>{}</b> from earlier runs · <span class=\"{}\"><b>{}</b> flagged</span> · <span class=\"{}\"><b>{}</b> failed</span> · <b>{}</b> not run · {}",
        c.items,
        c.generated,
        c.cached,
        c.reused,
        if c.flagged > 0 { "bad" } else { "" },
        c.flagged,
        if c.failed > 0 { "bad" } else { "" },
        c.failed,
        c.not_run,
        escape(&report.provider)
    );
    if let Some(stopped) = &report.stopped {
        let _ = write!(text, "<br><span class=\"bad\">{}</span>", escape(stopped));
    }
    text
}

/// The table of items that need a look: failures with their error, flagged images with the
/// quality checks they failed.
fn failures(report: &Report) -> String {
    let listed: Vec<_> = report
        .items
        .iter()
        .filter(|i| matches!(i.status, "failed" | "flagged"))
        .collect();
    if listed.is_empty() {
        return String::new();
    }
    let mut html = format!(
        "<section class=\"failures\"><h2>Failures and flagged images ({})</h2><table><thead><tr><th>Model</th><th>SKU</th><th>Status</th><th>Reason</th></tr></thead><tbody>",
        listed.len()
    );
    for item in listed {
        let reason = item.result.as_ref().and_then(|r| r.reason());
        let _ = write!(
            html,
            "<tr data-model=\"{0}\"><td>{0}</td><td>{1}</td><td><code>{2}</code></td><td>{3}</td></tr>",
            escape(&item.model),
            escape(&item.sku),
            item.status,
            escape(reason.as_deref().unwrap_or(""))
        );
    }
    html.push_str("</tbody></table></section>");
    html
}

/// Escapes text for HTML content and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use fitview_engine::{Check, CheckName};

    use super::super::journal::{FlaggedFile, Loaded, Outcome, Record};
    use super::super::{manifest, plan, report};
    use super::*;

    #[tokio::test]
    async fn a_flagged_image_is_shown_marked_and_listed_with_its_failed_checks() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/catalog/catalog.toml");
        let manifest = manifest::load(&path, 25 << 20).await.unwrap();
        let items = plan::plan(&manifest, "test");
        let (model, product) = items[0].parts(&manifest);
        let file = format!("images/{}/{}/tryon.webp", model.id, product.sku);
        let check: Check = serde_json::from_value(serde_json::json!({
            "name": "not_blank", "image": 0, "value": 0.0, "threshold": 4.0, "bound": "at_least"
        }))
        .unwrap();
        assert_eq!(check.name, CheckName::NotBlank);
        let record = Record {
            model: model.id.clone(),
            sku: product.sku.clone(),
            fingerprint: items[0].fingerprint.clone(),
            outcome: Outcome::Flagged,
            cache: None,
            key: None,
            provider: None,
            attempts: 2,
            timings: None,
            elapsed_ms: 10,
            cost_usd: 0.0,
            files: vec![file.clone()],
            thumbnail: None,
            flagged: vec![FlaggedFile {
                file: file.clone(),
                failed_checks: vec![check],
            }],
            error: None,
            finished_at: 0,
        };
        let this_run = HashMap::from([(items[0].label(&manifest), record)]);
        let (items, counts) = report::build(&manifest, &items, &this_run, &Loaded::default());
        assert_eq!(counts.flagged, 1);
        let report = Report {
            manifest: "catalog.toml".into(),
            catalog: manifest.name.clone(),
            provider: "mock".into(),
            started_at: 0,
            finished_at: 0,
            counts,
            stopped: None,
            items,
        };
        let html = render(&manifest, &report);
        assert_eq!(html.matches("data-status=\"flagged\"").count(), 1);
        assert!(
            html.contains(&format!("data-full=\"{file}\"")),
            "the image is shown"
        );
        assert!(html.contains("<span class=\"badge\">flagged</span>"));
        assert!(html.contains("Failures and flagged images (1)"));
        assert!(html.contains("failed quality checks: not_blank"));
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">Tom's & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; co&lt;/a&gt;"
        );
    }
}
