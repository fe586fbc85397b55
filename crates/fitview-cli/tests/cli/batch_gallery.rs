//! The batch gallery (`index.html`) as a retailer sees it: loaded in headless Chromium, it shows
//! one image per finished pair, lists the failures, and logs no console error.
//!
//! Needs Debian's `chromium` (`.ci/services/chromium.sh` installs it); skipped with a message
//! when it is absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::batch_support::*;

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("FITVIEW_CHROMIUM").unwrap_or_default(),
        "chromium".into(),
        "chromium-browser".into(),
    ];
    candidates
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(PathBuf::from)
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

fn headless(chromium: &Path, profile: &Path, extra: &[&str], page: &Path) -> std::process::Output {
    Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

#[test]
fn the_gallery_loads_without_console_errors_and_shows_every_finished_image() {
    let Some(chromium) = chromium() else {
        eprintln!("SKIPPED: chromium not found (run .ci/services/chromium.sh to install it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    write_manifest(
        &manifest,
        &["ava", "bea", "cai"],
        &[
            PRODUCTS[0],
            PRODUCTS[3],
            ("BROKEN", "top", "bad/truncated.jpg"),
            PRODUCTS[5],
        ],
    );
    let run = batch(&manifest, &out, &[]);
    // The BROKEN items fail, so the run exits 8 (items failed); the gallery is written anyway.
    assert_eq!(run.status.code(), Some(8), "{}", outputs(&run));
    let page = out.join("index.html");

    let profile = tempfile::tempdir().unwrap();
    let dump = headless(&chromium, profile.path(), &["--dump-dom"], &page);
    assert!(dump.status.success(), "{}", outputs(&dump));
    let dom = String::from_utf8_lossy(&dump.stdout);
    assert_eq!(
        dom.matches("class=\"thumb\"").count(),
        9,
        "3 models × 3 good products"
    );
    assert_eq!(dom.matches("class=\"cell failed\"").count(), 3);
    assert!(dom.contains("Failures and flagged images (3)"), "{dom}");
    assert!(dom.contains("unsupported_format"));
    let log = String::from_utf8_lossy(&dump.stderr);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("ERR_FILE_NOT_FOUND")
        })
        .collect();
    assert!(
        console.is_empty(),
        "console errors:\n{}",
        console.join("\n")
    );

    // Every image the page points at exists.
    for src in dom
        .split("src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
    {
        assert!(out.join(src).is_file(), "missing {src}");
    }

    // A screenshot, kept beside the gallery for a human look.
    let shot = out.join("gallery.png");
    let profile = tempfile::tempdir().unwrap();
    let screenshot = headless(
        &chromium,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1000",
            "--hide-scrollbars",
        ],
        &page,
    );
    assert!(screenshot.status.success(), "{}", outputs(&screenshot));
    let png = image::open(&shot).unwrap();
    assert_eq!(png.width(), 1280);
    if let Ok(keep) = std::env::var("FITVIEW_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}
