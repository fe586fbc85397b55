//! The retailer's report as a PDF, and its dashboard page: a shop with a known truth gives its
//! figures in the PDF's text (poppler's `pdftotext`, as a reader would copy them), its pages
//! render (`pdftoppm`), and nobody but the retailer gets either.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use super::shop::{Shop, Truth, flush};
use super::truth::tweak;
use crate::common::{Db, TestServer, email, on_both_databases, start};
use crate::storefront::shopper::Shopper;

const PASSWORD: &str = "a good password";
const SHOP_NAME: &str = "Maison Été";

/// A retailer named [`SHOP_NAME`] whose shop ran 24 shoppers: (shop, email, truth).
async fn shop_with_truth(server: &TestServer) -> (Shop, String, Truth) {
    let login = email("retailer");
    let (status, body) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": login, "password": PASSWORD, "role": "retailer", "display_name": SHOP_NAME}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let mut shop = Shop::open_as(server, token).await;
    let truth = shop.run(server, 24).await;
    flush(server).await;
    (shop, login, truth)
}

async fn get(server: &TestServer, path: &str, token: Option<&str>) -> reqwest::Response {
    let request = server.client.get(format!("{}{path}", server.base));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

/// The PDF's text laid out as on the page, or `None` without poppler-utils.
fn pdf_text(pdf: &Path) -> Option<String> {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .ok()?;
    assert!(out.status.success(), "pdftotext: {out:?}");
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Each page rendered as a picture: none is blank.
fn assert_pages_render(pdf: &Path, pages: usize) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("pdftoppm")
        .args(["-r", "30", "-png"])
        .arg(pdf)
        .arg(dir.path().join("page"))
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftoppm: {out:?}");
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), pages, "{files:?}");
    for file in files {
        let picture = image::open(&file).unwrap().to_rgb8();
        let inked = picture.pixels().filter(|p| p.0 != [255, 255, 255]).count();
        let share = inked as f64 / (picture.width() * picture.height()) as f64;
        assert!(
            share > 0.01,
            "{}: {share} of the page is inked",
            file.display()
        );
    }
}

/// The cells after `name` on the table's line that starts with it (five counts follow the
/// name, unlike the chart's label).
fn row_after(text: &str, name: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(name))
        .map(|rest| {
            rest.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .find(|cells| cells.len() >= 5 && cells[..5].iter().all(|c| c.parse::<i64>().is_ok()))
        .unwrap_or_else(|| panic!("no row {name} in\n{text}"))
}

async fn the_report_says_what_the_shop_did(db: Db) {
    let server = start(db, tweak).await;
    let (shop, _, truth) = shop_with_truth(&server).await;

    let response = get(
        &server,
        "/api/v1/analytics/report.pdf",
        Some(&shop.retailer),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Days::new(29);
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"fitview-report-{from}-{today}.pdf\"").as_str()
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let Some(text) = pdf_text(&file) else {
        eprintln!("SKIPPED: pdftotext not found (.ci/debian-packages.sh installs poppler-utils)");
        return;
    };
    assert!(
        text.contains(&format!("{SHOP_NAME}: try-on report")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{from} to {today}, whole catalog")),
        "{text}"
    );
    // The funnel's bars: 24 viewed, 16 tried on, 8 carted, 4 bought (as shares of the first).
    let [viewed, tried, carted, bought] = truth.funnel;
    assert_eq!([viewed, tried, carted, bought], [24, 16, 8, 4]);
    for words in ["Shoppers at each step", "16 (67%)", "8 (33%)", "4 (17%)"] {
        assert!(text.contains(words), "{words} in\n{text}");
    }
    // The top-products table: each product's viewed, tried on, carted, bought, returned.
    for (id, name) in shop.products.iter().zip(["Striped shirt", "Linen dress"]) {
        let row = row_after(&text, name);
        let counts: Vec<String> = truth.products[id].iter().map(|n| n.to_string()).collect();
        assert_eq!(row[..5], counts[..], "{name} in\n{text}");
    }
    // Sizes, try-ons and the forecasts of the best sellers follow on later pages.
    for words in [
        "Units bought and returned by size",
        "Try-ons per day",
        "16 finished, 0 failed (0%)",
        "Demand forecast: Striped shirt",
    ] {
        assert!(text.contains(words), "{words} in\n{text}");
    }
    let pages = text.matches(&format!("{SHOP_NAME} · page ")).count();
    assert!(pages >= 2, "{text}");
    assert!(text.contains(&format!("page {pages} of {pages}")));
    assert_pages_render(&file, pages);

    // One product's report says which.
    let one = get(
        &server,
        &format!(
            "/api/v1/analytics/report.pdf?product_id={}",
            shop.products[1]
        ),
        Some(&shop.retailer),
    )
    .await;
    assert_eq!(one.status(), StatusCode::OK);
    std::fs::write(&file, one.bytes().await.unwrap()).unwrap();
    let text = pdf_text(&file).unwrap();
    assert!(text.contains("product: Linen dress"), "{text}");
    assert!(!text.contains("Striped shirt"), "{text}");

    // Nobody else: another retailer, a shopper, no one; and a bad date says why.
    let (other, _, _) = server.register("retailer").await;
    let (shopper, _, _) = server.register("customer").await;
    let path = "/api/v1/analytics/report.pdf";
    assert_eq!(get(&server, path, Some(&shopper)).await.status(), 404);
    assert_eq!(get(&server, path, None).await.status(), 401);
    let theirs = format!("{path}?product_id={}", shop.products[0]);
    assert_eq!(get(&server, &theirs, Some(&other)).await.status(), 404);
    let bad = get(
        &server,
        &format!("{path}?from=yesterday"),
        Some(&shop.retailer),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

async fn the_dashboard_shows_the_retailer_its_figures(db: Db) {
    let server = start(db, tweak).await;
    let (shop, login, truth) = shop_with_truth(&server).await;
    let mut retailer = Shopper::new(&server.base);
    retailer.sign_in(&login, PASSWORD).await;
    let home = retailer.get("/").await;
    assert!(home.body.contains(r#"href="/dashboard""#), "linked");

    let page = retailer.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let html = &page.body;
    assert!(
        html.contains(&format!("{SHOP_NAME}: what try-ons do")),
        "{html}"
    );
    // The report's charts, inline, each named for screen readers.
    assert_eq!(html.matches("<svg ").count(), 5 + 2, "{html}");
    for name in [
        "Shoppers at each step",
        "Best sellers: units bought",
        "Try-ons by model",
        "Units bought and returned by size",
        "Try-ons per day",
        "Demand forecast: Striped shirt",
        "Demand forecast: Linen dress",
    ] {
        assert!(html.contains(&format!(r#"aria-label="{name}""#)), "{name}");
    }
    let bought: i64 = truth.products.values().map(|c| c[3]).sum();
    assert!(
        html.contains(&format!(
            r#"<span class="label">Units bought</span> <span class="value">{bought}</span>"#
        )),
        "{html}"
    );
    for (id, name) in shop.products.iter().zip(["Striped shirt", "Linen dress"]) {
        let c = truth.products[id];
        let row = format!(
            "{name}</a></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            c[0], c[1], c[3], c[4]
        );
        assert!(html.contains(&row), "{row} in {html}");
    }
    // Its links: the PDF and the CSV of the same period.
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Days::new(29);
    let period = format!("from={from}&#38;to={today}");
    assert!(
        html.contains(&format!(r#"href="/dashboard/report.pdf?{period}""#)),
        "{html}"
    );
    let pdf = retailer
        .get(&format!("/dashboard/report.pdf?from={from}&to={today}"))
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    let csv = retailer.get("/dashboard/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("day,product_id,views"), "{}", csv.body);

    // A period that cannot be shown gets the form back saying why, over the last 30 days.
    for (asked, why) in [
        ("from=2026-13-01", "from: expected a date YYYY-MM-DD"),
        (
            &*format!("from={today}&to={from}"),
            "from must not be after to",
        ),
    ] {
        let page = retailer.get(&format!("/dashboard?{asked}")).await;
        assert!(page.status.is_client_error(), "{asked}: {}", page.status);
        assert!(
            page.body.contains(&format!(
                "That period cannot be shown ({why}); here are the last 30 days instead."
            )),
            "{asked}: {}",
            page.body
        );
        assert!(page.body.contains(&format!(r#"value="{from}""#)), "{asked}");
        assert_eq!(page.body.matches("<svg ").count(), 5 + 2, "{asked}");
    }

    // A shopper has no dashboard; a visitor signs in first; another retailer sees none of it.
    let mut shopper = Shopper::new(&server.base);
    shopper.sign_up("mia").await;
    assert!(!shopper.get("/").await.body.contains(r#"href="/dashboard""#));
    assert_eq!(
        shopper.get("/dashboard").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        shopper.get("/dashboard/report.pdf").await.status,
        StatusCode::NOT_FOUND
    );
    let visitor = Shopper::new(&server.base).get("/dashboard").await;
    assert_eq!(visitor.status, StatusCode::SEE_OTHER);
    assert_eq!(visitor.location(), "/signin?next=/dashboard");
    let mut other = Shopper::new(&server.base);
    let other_login = email("retailer");
    let (status, _) = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": other_login, "password": PASSWORD, "role": "retailer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    other.sign_in(&other_login, PASSWORD).await;
    let theirs = other
        .get(&format!("/dashboard?product_id={}", shop.products[0]))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let own = other.get("/dashboard").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!own.body.contains("Striped shirt"));
    assert!(own.body.contains("No shopper has viewed"));
}

on_both_databases!(
    the_report_says_what_the_shop_did,
    the_dashboard_shows_the_retailer_its_figures
);
