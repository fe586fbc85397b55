//! `fitview batch` end to end: the fixture catalog, layout, report, resume after kill -9, and
//! regeneration of only what a manifest edit changed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::batch_support::*;

#[test]
fn the_fixture_catalog_generates_every_pair_with_images_thumbnails_report_and_gallery() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = fixtures().join("catalog/catalog.toml");
    let run = batch(&manifest, &out, &["--concurrency", "4"]);
    assert!(run.status.success(), "{}", outputs(&run));

    let report = report(&out);
    // 4 models × (2 inline + 4 CSV products).
    assert_eq!(count(&report, "items"), 24, "{report:#}");
    assert_eq!(count(&report, "generated"), 24);
    assert_eq!(count(&report, "failed"), 0);
    let items = report["items"].as_array().unwrap();
    for item in items {
        assert_eq!(item["status"], "generated", "{item:#}");
        let result = &item["result"];
        assert_eq!(result["key"].as_str().unwrap().len(), 64);
        assert!(result["provider"].as_str().unwrap().starts_with("mock"));
        assert!(result["timings"]["total"].as_f64().is_some(), "{item:#}");
        assert!(result["cost_usd"].as_f64().is_some());
        let file = out.join(result["files"][0].as_str().unwrap());
        let expected = format!(
            "images/{}/{}/tryon.webp",
            item["model"].as_str().unwrap(),
            item["sku"].as_str().unwrap()
        );
        assert_eq!(result["files"][0], expected.as_str());
        let image = image::open(&file).unwrap();
        assert_eq!(image.height(), 256);
        let thumb = image::open(out.join(result["thumbnail"].as_str().unwrap())).unwrap();
        assert_eq!(thumb.width(), 128);
    }
    assert!(out.join("images/dee/SK-CHECK/tryon.webp").is_file());
    assert!(out.join("images/ava/LS-LOGO/tryon.128.webp").is_file());
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(html.matches("class=\"thumb\"").count(), 24);
    assert_eq!(journal(&out).len(), 24);

    // The same command again: everything is done, nothing is generated twice.
    let again = batch(&manifest, &out, &["--json"]);
    assert!(again.status.success(), "{}", outputs(&again));
    let report = crate::batch_support::report(&out);
    assert_eq!(
        (count(&report, "reused"), count(&report, "generated")),
        (24, 0)
    );
    assert_eq!(journal(&out).len(), 24);
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&again.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.first().unwrap()["event"], "start");
    assert_eq!(events.last().unwrap()["event"], "done");
}

#[test]
fn the_json_manifest_applies_filters_and_variations() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = batch(&fixtures().join("catalog/catalog.json"), &out, &[]);
    assert!(run.status.success(), "{}", outputs(&run));
    let report = report(&out);
    // Models ava and bea (not eli) × the three tops.
    assert_eq!(count(&report, "generated"), 6, "{report:#}");
    for item in report["items"].as_array().unwrap() {
        assert_eq!(item["category"], "top");
        let files = item["result"]["files"].as_array().unwrap();
        assert_eq!(files.len(), 2, "try-on + casual variation: {item:#}");
        assert!(out.join(files[1].as_str().unwrap()).is_file());
        assert!(files[1].as_str().unwrap().ends_with("/casual.webp"));
    }
    assert!(!out.join("images/eli").exists());
}

#[test]
fn dry_run_counts_calls_and_calls_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = batch(
        &fixtures().join("catalog/catalog.toml"),
        &out,
        &["--dry-run", "--json", "--limit", "10"],
    );
    assert!(run.status.success(), "{}", outputs(&run));
    let event: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let estimate = &event["estimate"];
    assert_eq!(estimate["items"], 24);
    assert_eq!(estimate["to_generate"], 10);
    assert_eq!(estimate["capped"], 14);
    assert_eq!(estimate["provider_calls"], 10);
    assert_eq!(event["items"].as_array().unwrap().len(), 10);
    assert!(!out.exists(), "a dry run writes nothing");
}

#[test]
fn a_dry_run_with_an_http_provider_plans_for_its_throttle_and_names_the_setting_to_raise() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("fitview.toml");
    std::fs::write(
        &config,
        "[provider_settings.throttle]\nmax_concurrency = 3\nrequests_per_minute = 30\n",
    )
    .unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_fitview"))
        .arg("batch")
        .arg(fixtures().join("catalog/catalog.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--config")
        .arg(&config)
        .args([
            "--provider",
            "nano-banana",
            "--concurrency",
            "64",
            "--dry-run",
        ])
        // Building the provider needs a key; a dry run never sends it.
        .env("GEMINI_API_KEY", "unused-by-a-dry-run")
        .env_remove("FITVIEW_PROVIDER")
        .env_remove("FITVIEW_CONFIG")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", outputs(&run));
    let stdout = String::from_utf8_lossy(&run.stdout);
    // 24 items, 3 at a time, 10 s each (the assumed latency): 8 rounds, 80 s; the 30 per
    // minute would allow 48 s.
    assert!(
        stdout.contains("estimated time:             1m 20s (concurrency 3, 30 calls/min)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "note: nano-banana keeps at most 3 requests in flight, below the 64 asked \
             (raise provider_settings.throttle.max_concurrency to allow more)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: nano-banana starts at most 30 requests per minute"),
        "{stdout}"
    );
}

#[test]
fn kill_9_mid_run_then_the_same_command_finishes_without_repeating_work_and_edits_redo_only_changes()
 {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    write_manifest(&manifest, &["ava", "bea"], &PRODUCTS);
    let config = mock_config(dir.path(), 400);
    let config = config.to_str().unwrap();
    let args = ["--concurrency", "2", "--config", config];

    let mut child = spawn_batch(&manifest, &out, &args);
    let deadline = Instant::now() + Duration::from_secs(120);
    while journal(&out).len() < 3 {
        assert!(Instant::now() < deadline, "the batch journaled nothing");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the batch finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = journal(&out);
    assert!(
        before.len() < 12,
        "killed mid-run: {} items journaled",
        before.len()
    );

    let resumed = batch(&manifest, &out, &args);
    assert!(resumed.status.success(), "{}", outputs(&resumed));
    let report = report(&out);
    assert_eq!(count(&report, "items"), 12);
    assert_eq!(
        count(&report, "reused") as usize,
        before.len(),
        "finished items are not generated again"
    );
    assert_eq!(count(&report, "generated") as usize, 12 - before.len());
    let records = journal(&out);
    let mut done: HashMap<String, usize> = HashMap::new();
    for record in &records {
        assert_eq!(record["outcome"], "done", "{record:#}");
        *done
            .entry(format!("{}/{}", record["model"], record["sku"]))
            .or_default() += 1;
    }
    assert_eq!(done.len(), 12);
    assert!(
        done.values().all(|&n| n == 1),
        "every item done exactly once: {done:?}"
    );
    for item in report["items"].as_array().unwrap() {
        assert!(
            out.join(item["result"]["files"][0].as_str().unwrap())
                .is_file()
        );
    }

    // Edit one product (new garment photo) and one category: only those pairs are redone.
    let mut edited = PRODUCTS;
    edited[1].2 = "garments/trousers-chino.jpg";
    edited[5].1 = "top";
    write_manifest(&manifest, &["ava", "bea"], &edited);
    let rerun = batch(&manifest, &out, &args);
    assert!(rerun.status.success(), "{}", outputs(&rerun));
    let report = crate::batch_support::report(&out);
    assert_eq!(
        (count(&report, "generated"), count(&report, "reused")),
        (4, 8),
        "{report:#}"
    );
    let regenerated: Vec<String> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "generated")
        .map(|i| {
            format!(
                "{}/{}",
                i["model"].as_str().unwrap(),
                i["sku"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        regenerated,
        [
            "ava/SH-STRIPE",
            "bea/SH-STRIPE",
            "ava/DR-DOTS",
            "bea/DR-DOTS"
        ]
    );
    assert_eq!(journal(&out).len(), 16);
}

#[test]
fn failures_are_reported_and_do_not_stop_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    // A truncated JPEG passes the manifest's format check but cannot be decoded.
    write_manifest(
        &manifest,
        &["ava", "bea"],
        &[
            PRODUCTS[0],
            ("BROKEN", "top", "bad/truncated.jpg"),
            PRODUCTS[3],
        ],
    );
    let run = batch(&manifest, &out, &[]);
    assert_eq!(run.status.code(), Some(8), "{}", outputs(&run));
    let report = report(&out);
    assert_eq!(
        (count(&report, "generated"), count(&report, "failed")),
        (4, 2),
        "{report:#}"
    );
    let failed = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["status"] == "failed")
        .unwrap();
    assert_eq!(failed["sku"], "BROKEN");
    assert_eq!(failed["result"]["error"]["code"], "unsupported_format");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("BROKEN failed"), "{stderr}");
    assert!(stderr.contains("2 items failed"), "{stderr}");
    // A rerun retries the failures only.
    let rerun = batch(&manifest, &out, &[]);
    let report = crate::batch_support::report(&out);
    assert_eq!(rerun.status.code(), Some(8), "{}", outputs(&rerun));
    assert_eq!(
        (
            count(&report, "reused"),
            count(&report, "failed"),
            count(&report, "generated")
        ),
        (4, 2, 0)
    );
}

#[test]
fn a_sku_named_like_another_skus_thumbnail_gets_files_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    // `TS`'s 128-pixel thumbnail and the product `TS.128` once were both `TS.128.webp`.
    write_manifest(
        &manifest,
        &["ava"],
        &[
            ("TS", "top", "garments/tshirt-plain.jpg"),
            ("TS.128", "top", "garments/shirt-striped.jpg"),
        ],
    );
    let run = batch(&manifest, &out, &[]);
    assert!(run.status.success(), "{}", outputs(&run));
    let report = report(&out);
    let mut files = Vec::new();
    for item in report["items"].as_array().unwrap() {
        let result = &item["result"];
        let image = image::open(out.join(result["files"][0].as_str().unwrap())).unwrap();
        assert_eq!(image.height(), 256, "{item:#}");
        let thumb = image::open(out.join(result["thumbnail"].as_str().unwrap())).unwrap();
        assert_eq!(thumb.width(), 128, "{item:#}");
        files.push(result["files"][0].as_str().unwrap().to_owned());
        files.push(result["thumbnail"].as_str().unwrap().to_owned());
    }
    files.sort();
    files.dedup();
    assert_eq!(files.len(), 4, "{files:?}");
}

#[test]
fn images_deleted_after_a_run_are_made_again_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    write_manifest(&manifest, &["ava"], &PRODUCTS[..3]);
    assert!(batch(&manifest, &out, &[]).status.success());
    let first = report(&out);
    let gone = first["items"][1]["result"]["files"][0]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::remove_file(out.join(&gone)).unwrap();

    let rerun = batch(&manifest, &out, &[]);
    assert!(rerun.status.success(), "{}", outputs(&rerun));
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert!(
        stderr.contains("1 items finished by earlier runs have images missing"),
        "{stderr}"
    );
    let report = report(&out);
    assert_eq!(
        (count(&report, "reused"), count(&report, "generated")),
        (2, 1),
        "{report:#}"
    );
    assert!(image::open(out.join(&gone)).is_ok(), "{gone} made again");
}

#[test]
fn a_journal_line_that_is_not_utf8_is_skipped_and_the_run_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    write_manifest(&manifest, &["ava"], &PRODUCTS[..2]);
    assert!(batch(&manifest, &out, &[]).status.success());
    // A damaged line, then a line torn inside a two-byte character, as a kill can leave it.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(out.join("journal.jsonl"))
        .unwrap();
    std::io::Write::write_all(
        &mut file,
        b"{\"model\":\"ava\",\"sku\":\"\xff\"}\n{\"model\":\"caf\xc3",
    )
    .unwrap();
    drop(file);
    let rerun = batch(&manifest, &out, &[]);
    assert!(rerun.status.success(), "{}", outputs(&rerun));
    let report = report(&out);
    assert_eq!(count(&report, "reused"), 2, "{report:#}");
}

#[test]
fn a_second_batch_on_the_same_out_is_refused_while_the_first_runs_and_a_killed_ones_lock_is_taken_over()
 {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    write_manifest(&manifest, &["ava", "bea"], &PRODUCTS);
    let config = mock_config(dir.path(), 300);
    let config = config.to_str().unwrap();
    let args = ["--concurrency", "1", "--config", config];
    let mut first = spawn_batch(&manifest, &out, &args);
    let deadline = Instant::now() + Duration::from_secs(120);
    while journal(&out).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first batch journaled nothing"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first batch ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = batch(&manifest, &out, &args);
    assert_eq!(second.status.code(), Some(7), "{}", outputs(&second));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(&format!(
            "in use by another `fitview batch` (pid {})",
            first.id()
        )),
        "{stderr}"
    );
    first.kill().unwrap(); // SIGKILL: the lock file stays, the OS lock goes.
    first.wait().unwrap();
    // A partial write the kill may leave; the next run removes it.
    let partial = out.join("images/ava/TS-WHITE/tryon.tmp-999999");
    std::fs::create_dir_all(partial.parent().unwrap()).unwrap();
    std::fs::write(&partial, b"half").unwrap();
    let third = batch(&manifest, &out, &["--config", config, "--concurrency", "8"]);
    assert!(third.status.success(), "{}", outputs(&third));
    assert!(!partial.exists(), "partial writes are cleaned on resume");
    assert_eq!(journal_is_consistent(&out).len(), 12);
}
