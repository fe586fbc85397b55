//! `index.html`: a self-contained gallery of the batch (inline CSS and JS, images by relative path
//! to their thumbnails): products × models, filters, click to zoom, failures with reasons.

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
    let done = matches!(item.status, "generated" | "cached" | "reused");
    let file = item.result.as_ref().and_then(|r| r.files.first());
    match (done, file) {
        (true, Some(file)) => {
            let record = item.result.as_ref();
            let thumb = record.and_then(|r| r.thumbnail.as_ref()).unwrap_or(file);
            let title = escape(&format!(
                "{} wearing {} ({})",
                item.model, item.name, item.sku
            ));
            format!(
                "<td data-model=\"{model}\" data-status=\"done\"><button class=\"cell\" title=\"{title}\" data-full=\"{}\"><img class=\"thumb\" src=\"{}\" alt=\"{title}\" loading=\"lazy\"></button></td>",
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
        "<b>{}</b> items · <b>{}</b> generated · <b>{}</b> cached · <b>{}</b> from earlier runs · <span class=\"{}\"><b>{}</b> failed</span> · <b>{}</b> not run · {}",
        c.items,
        c.generated,
        c.cached,
        c.reused,
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

fn failures(report: &Report) -> String {
    let failed: Vec<_> = report
        .items
        .iter()
        .filter(|i| i.status == "failed")
        .collect();
    if failed.is_empty() {
        return String::new();
    }
    let mut html = format!(
        "<section class=\"failures\"><h2>Failures ({})</h2><table><thead><tr><th>Model</th><th>SKU</th><th>Error</th><th>Reason</th></tr></thead><tbody>",
        failed.len()
    );
    for item in failed {
        let error = item.result.as_ref().and_then(|r| r.error.as_ref());
        let _ = write!(
            html,
            "<tr data-model=\"{0}\"><td>{0}</td><td>{1}</td><td><code>{2}</code></td><td>{3}</td></tr>",
            escape(&item.model),
            escape(&item.sku),
            escape(error.map_or("", |e| e.code.as_str())),
            escape(error.map_or("", |e| e.message.as_str()))
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
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">Tom's & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; co&lt;/a&gt;"
        );
    }
}
