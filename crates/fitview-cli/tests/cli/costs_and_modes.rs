//! Quality modes, spend and its caps, and mock faults from configuration, as a user meets them:
//! `fitview providers` prices every mode, a dry run prices `--best` at the best model,
//! `fitview costs` reads back what try-ons against the xAI fake really cost, a batch stops at
//! `--max-cost` and resumes when it is raised, and `[provider_settings] faults` rehearses a
//! failure without code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use fitview_fakes::xai::{FakeXai, XaiScenario};

use crate::batch_support::{batch, fixtures, journal, report, write_manifest};

fn fitview(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fitview"));
    command
        .args(args)
        .env_remove("FITVIEW_PROVIDER")
        .env_remove("FITVIEW_CONFIG")
        .env_remove("FITVIEW_STORE")
        .env_remove("FITVIEW_LOG")
        .env_remove("XAI_BASE_URL")
        .env_remove("GEMINI_BASE_URL")
        .stdin(Stdio::null());
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn photo(path: &str) -> String {
    fixtures().join(path).display().to_string()
}

#[test]
fn providers_price_every_mode_at_the_model_it_picks() {
    let out = fitview(
        &["providers", "--json"],
        &[("GEMINI_API_KEY", "k"), ("XAI_API_KEY", "k")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = json(&out);
    let gemini = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "nano-banana")
        .unwrap();
    let modes = gemini["modes"].as_array().unwrap();
    let models: Vec<&str> = modes.iter().map(|m| m["model"].as_str().unwrap()).collect();
    assert_eq!(
        models,
        [
            "gemini-3.1-flash-lite-image",
            "gemini-3.1-flash-image",
            "gemini-3-pro-image"
        ]
    );
    let price = |i: usize| modes[i]["usd_per_image"].as_f64().unwrap();
    assert!(price(0) < price(1) && price(1) < price(2), "{modes:?}");
    let grok = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "grok" && p["kind"] == "try-on")
        .unwrap();
    assert_eq!(grok["modes"][2]["setting"], "quality=high");

    let text = fitview(&["providers"], &[("GEMINI_API_KEY", "k")]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("best      gemini-3-pro-image (imageSize=2K)"),
        "{text}"
    );
}

#[test]
fn a_dry_run_prices_best_at_the_best_model() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("catalog.toml");
    write_manifest(
        &manifest,
        &["m1"],
        &[
            ("S1", "top", "garments/shirt-striped.jpg"),
            ("S2", "top", "garments/tshirt-plain.jpg"),
        ],
    );
    let cost = |extra: &[&str]| {
        let out = dir.path().join("out");
        let mut args = vec![
            "batch",
            manifest.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--provider",
            "nano-banana",
            "--dry-run",
            "--json",
        ];
        args.extend_from_slice(extra);
        let run = fitview(&args, &[("GEMINI_API_KEY", "k")]);
        assert!(run.status.success(), "{}", stderr(&run));
        let line = String::from_utf8_lossy(&run.stderr)
            .lines()
            .chain(String::from_utf8_lossy(&run.stdout).lines())
            .find(|l| l.contains("\"dry_run\""))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no dry_run event: {}", stderr(&run)));
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        (
            event["estimate"]["cost_usd"].as_f64().unwrap(),
            event["provider"].as_str().unwrap().to_owned(),
        )
    };
    let (fast, fast_label) = cost(&[]);
    let (best, best_label) = cost(&["--best"]);
    let (balanced, _) = cost(&["--mode", "balanced"]);
    assert!(
        fast_label.contains("gemini-3.1-flash-lite-image"),
        "{fast_label}"
    );
    assert!(best_label.contains("gemini-3-pro-image"), "{best_label}");
    assert!(
        fast < balanced && balanced < best,
        "{fast} {balanced} {best}"
    );
    // Two items at Nano Banana Pro's estimate: 1420 input tokens at $2/M, 1120 at $120/M.
    let pro = (1420.0 * 2.0 + 1120.0 * 120.0) / 1e6;
    assert!((best - 2.0 * pro).abs() < 1e-9, "{best} vs {}", 2.0 * pro);
    // `quality`, the earlier name of best, still works.
    assert!((cost(&["--mode", "quality"]).0 - best).abs() < 1e-12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn costs_reads_back_what_try_ons_against_the_xai_fake_cost() {
    let fake = FakeXai::start(XaiScenario::Success).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let base = fake.base_url();
    let run = |garment: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "tryon".to_owned(),
            "--person".into(),
            photo("persons/average-medium-full.jpg"),
            "--garment".into(),
            photo(garment),
            "--category".into(),
            "top".into(),
            "--out".into(),
            dir.path().join(out).display().to_string(),
            "--provider".into(),
            "grok".into(),
            "--base-url".into(),
            base.clone(),
            "--store".into(),
            store.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let store = store.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let _ = &store;
                fitview(&args, &[("XAI_API_KEY", fitview_fakes::TEST_KEY)])
            })
            .await
            .unwrap()
        }
    };
    let fast = run("garments/shirt-striped.jpg", "a.webp", &[]).await;
    assert!(fast.status.success(), "{}", stderr(&fast));
    let best = run("garments/tshirt-plain.jpg", "b.webp", &["--best"]).await;
    assert!(best.status.success(), "{}", stderr(&best));
    // A cache hit costs nothing.
    let again = run("garments/tshirt-plain.jpg", "c.webp", &["--best"]).await;
    assert!(again.status.success(), "{}", stderr(&again));

    let costs = fitview(
        &["costs", "--json", "--store", store.to_str().unwrap()],
        &[],
    );
    assert!(costs.status.success(), "{}", stderr(&costs));
    let report = json(&costs);
    // $0.02 at quality low, $0.07 at high: the fake bills what FitView prices.
    let total = report["total"]["usd"].as_f64().unwrap();
    assert!((total - 0.09).abs() < 1e-9, "{report:#}");
    assert_eq!(report["total"]["calls"], 2);
    let entries = report["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["provider"], "grok");
    assert_eq!(entries[0]["model"], "grok-imagine-image-2.0");
    let day = entries[0]["day"].as_str().unwrap().to_owned();
    assert!((report["by_day"][&day]["usd"].as_f64().unwrap() - 0.09).abs() < 1e-9);

    // A range without that day shows nothing; the table names the totals.
    let none = fitview(
        &[
            "costs",
            "--json",
            "--from",
            "2000-01-01",
            "--to",
            "2000-01-02",
            "--store",
            store.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(json(&none)["total"]["calls"], 0);
    let table = fitview(&["costs", "--store", store.to_str().unwrap()], &[]);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(
        table.contains("grok-imagine-image-2.0") && table.contains("total: $0.0900"),
        "{table}"
    );
    let bad = fitview(&["costs", "--from", "yesterday"], &[]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

fn priced_mock_config(dir: &Path, usd: f64) -> PathBuf {
    let path = dir.join("priced.toml");
    std::fs::write(
        &path,
        format!("[provider_settings]\nmock_usd_per_image = {usd}\n"),
    )
    .unwrap();
    path
}

#[test]
fn a_batch_stops_at_max_cost_and_resumes_where_it_stopped_when_the_cap_is_raised() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("catalog.toml");
    let garments = [
        ("S1", "top", "garments/shirt-striped.jpg"),
        ("S2", "top", "garments/tshirt-plain.jpg"),
        ("S3", "bottom", "garments/jeans-blue.jpg"),
    ];
    write_manifest(&manifest, &["m1", "m2"], &garments);
    let config = priced_mock_config(dir.path(), 0.25);
    let out = dir.path().join("out");
    let args = |cap: &str| {
        vec![
            "--config".to_owned(),
            config.display().to_string(),
            "--max-cost".to_owned(),
            cap.to_owned(),
            "--concurrency".to_owned(),
            "2".to_owned(),
        ]
    };
    let first = args("1.0");
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let run = batch(&manifest, &out, &first);
    assert_eq!(
        run.status.code(),
        Some(9),
        "budget_exceeded: {}",
        stderr(&run)
    );
    assert!(
        stderr(&run).contains("raise --max-cost"),
        "{}",
        stderr(&run)
    );
    let spent: f64 = journal(&out)
        .iter()
        .map(|r| r["cost_usd"].as_f64().unwrap())
        .sum();
    assert!((spent - 1.0).abs() < 1e-9, "stopped at the cap: {spent}");
    assert_eq!(report(&out)["counts"]["generated"], 4);
    assert_eq!(report(&out)["counts"]["not_run"], 2);

    // The same cap again: nothing more is spent.
    let run = batch(&manifest, &out, &first);
    assert_eq!(run.status.code(), Some(9), "{}", stderr(&run));
    assert_eq!(journal(&out).len(), 4);

    // Raised: the two left are made, the four done are not made again.
    let raised = args("1.5");
    let raised: Vec<&str> = raised.iter().map(String::as_str).collect();
    let run = batch(&manifest, &out, &raised);
    assert!(run.status.success(), "{}", stderr(&run));
    let lines = journal(&out);
    assert_eq!(lines.len(), 6, "only the two left ran");
    let spent: f64 = lines.iter().map(|r| r["cost_usd"].as_f64().unwrap()).sum();
    assert!((spent - 1.5).abs() < 1e-9, "{spent}");
    assert_eq!(report(&out)["counts"]["reused"], 4);
    assert_eq!(report(&out)["counts"]["generated"], 2);
}

#[test]
fn mock_faults_from_the_config_file_rehearse_a_refusal_and_unknown_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("faults.toml");
    std::fs::write(
        &config,
        "provider = \"mock\"\n[provider_settings]\nfaults = [\"refusal\"]\n",
    )
    .unwrap();
    let out = dir.path().join("out.webp");
    let args = |config: &Path| {
        vec![
            "--config".to_owned(),
            config.display().to_string(),
            "--store".to_owned(),
            "none".to_owned(),
            "tryon".to_owned(),
            "--person".to_owned(),
            photo("persons/average-medium-full.jpg"),
            "--garment".to_owned(),
            photo("garments/shirt-striped.jpg"),
            "--out".to_owned(),
            out.display().to_string(),
        ]
    };
    let refused = args(&config);
    let refused: Vec<&str> = refused.iter().map(String::as_str).collect();
    let run = fitview(&refused, &[]);
    assert_eq!(
        run.status.code(),
        Some(4),
        "content_policy: {}",
        stderr(&run)
    );
    assert!(stderr(&run).contains("mock refusal"), "{}", stderr(&run));
    assert!(!out.exists());

    let typo = dir.path().join("typo.toml");
    std::fs::write(
        &typo,
        "provider = \"mock\"\n[provider_settings]\nfaults = [\"rate-limited\"]\n",
    )
    .unwrap();
    let typo = args(&typo);
    let typo: Vec<&str> = typo.iter().map(String::as_str).collect();
    let run = fitview(&typo, &[]);
    assert_eq!(run.status.code(), Some(6), "config: {}", stderr(&run));
    let message = stderr(&run);
    assert!(
        message.contains("unknown mock fault `rate-limited`") && message.contains("rate_limited"),
        "{message}"
    );
}
