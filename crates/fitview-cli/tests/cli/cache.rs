//! Caching as a user of the binary sees it: a second process reuses the first one's result from
//! the store (even from a re-encoded copy of the photo), `gc` and `forget` delete what they say,
//! two processes sharing Redis make one provider call, and a missing Redis is only a warning.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use image::ImageFormat;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn fitview(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fitview"));
    command
        .args(args)
        .env_remove("FITVIEW_PROVIDER")
        .env_remove("FITVIEW_CONFIG")
        .env_remove("FITVIEW_STORE")
        .env_remove("FITVIEW_REDIS_URL")
        .env_remove("FITVIEW_LOG")
        .stdin(Stdio::null());
    command
}

fn run(args: &[&str]) -> Output {
    fitview(args).output().unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The person fixture's pixels written losslessly as PNG and as WebP (same pixels, other bytes).
fn person_copies(dir: &Path) -> (PathBuf, PathBuf) {
    let pixels = image::open(fixtures().join("persons/average-medium-full.jpg"))
        .unwrap()
        .to_rgb8();
    let (png, webp) = (dir.join("person.png"), dir.join("person.webp"));
    pixels.save_with_format(&png, ImageFormat::Png).unwrap();
    pixels.save_with_format(&webp, ImageFormat::WebP).unwrap();
    assert_ne!(std::fs::read(&png).unwrap(), std::fs::read(&webp).unwrap());
    (png, webp)
}

fn tryon(person: &Path, out: &Path, extra: &[&str]) -> Output {
    let garment = fixtures().join("garments/shirt-striped.jpg");
    let mut args = vec![
        "tryon",
        "--person",
        person.to_str().unwrap(),
        "--garment",
        garment.to_str().unwrap(),
        "--category",
        "top",
        "--size",
        "512",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn a_second_process_reuses_the_stored_result_even_from_a_re_encoded_photo() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_arg = store.to_str().unwrap();
    let (png, webp) = person_copies(dir.path());

    let first = json(&tryon(
        &png,
        &dir.path().join("a.webp"),
        &["--store", store_arg],
    ));
    assert_eq!(first["cache"], "miss");
    assert_eq!(first["cache_stats"]["store"]["stored"], 1);
    assert_eq!(first["cache_stats"]["hit_rate"], 0.0);

    let second = json(&tryon(
        &webp,
        &dir.path().join("b.webp"),
        &["--store", store_arg],
    ));
    assert_eq!(second["cache"], "hit-store");
    assert_eq!(second["key"], first["key"]);
    assert_eq!(second["attempts"], 0);
    assert_eq!(second["cache_stats"]["store"]["hits"], 1);
    assert_eq!(second["cache_stats"]["hit_rate"], 1.0);
    assert_eq!(
        std::fs::read(dir.path().join("a.webp")).unwrap(),
        std::fs::read(dir.path().join("b.webp")).unwrap()
    );
    assert!(
        store
            .join("results")
            .join(first["key"].as_str().unwrap())
            .join("sidecar.json")
            .is_file()
    );
}

#[test]
fn gc_reports_with_a_dry_run_then_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_arg = store.to_str().unwrap();
    let (png, _) = person_copies(dir.path());
    let made = json(&tryon(
        &png,
        &dir.path().join("a.webp"),
        &["--store", store_arg],
    ));

    let kept = json(&run(&[
        "gc",
        "--older-than",
        "90d",
        "--store",
        store_arg,
        "--json",
    ]));
    assert_eq!(kept["results"].as_array().unwrap().len(), 0);

    std::thread::sleep(std::time::Duration::from_millis(20));
    let dry = json(&run(&[
        "gc",
        "--older-than",
        "0s",
        "--dry-run",
        "--store",
        store_arg,
        "--json",
    ]));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["results"][0], made["key"]);
    assert!(dry["bytes"].as_u64().unwrap() > 0);
    assert!(
        store
            .join("results")
            .join(made["key"].as_str().unwrap())
            .exists(),
        "a dry run deletes nothing"
    );

    let done = run(&["gc", "--older-than", "0s", "--store", store_arg]);
    assert!(done.status.success());
    assert!(
        String::from_utf8_lossy(&done.stdout).contains("deleted 1 results"),
        "{}",
        String::from_utf8_lossy(&done.stdout)
    );
    assert_eq!(
        json(&tryon(
            &png,
            &dir.path().join("c.webp"),
            &["--store", store_arg]
        ))["cache"],
        "miss"
    );

    let bad = run(&["gc", "--older-than", "90", "--store", store_arg]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an age without a unit is a usage error"
    );
}

#[test]
fn forget_deletes_everything_derived_from_a_photo() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_arg = store.to_str().unwrap();
    let (png, webp) = person_copies(dir.path());
    let made = json(&tryon(
        &png,
        &dir.path().join("a.webp"),
        &["--store", store_arg],
    ));

    // Named by a re-encoded copy: the same pixels are the same input.
    let report = json(&run(&[
        "forget",
        "--photo",
        webp.to_str().unwrap(),
        "--store",
        store_arg,
        "--json",
    ]));
    assert_eq!(report["results"][0], made["key"]);
    assert_eq!(report["inputs"][0]["input_deleted"], true);
    assert!(
        !store
            .join("results")
            .join(made["key"].as_str().unwrap())
            .join("sidecar.json")
            .exists()
    );
    assert_eq!(
        json(&tryon(
            &png,
            &dir.path().join("b.webp"),
            &["--store", store_arg]
        ))["cache"],
        "miss"
    );
}

#[test]
fn an_unreachable_redis_is_a_warning_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (png, _) = person_copies(dir.path());
    let out = tryon(
        &png,
        &dir.path().join("a.webp"),
        &["--store", "memory://", "--redis", "redis://127.0.0.1:1/"],
    );
    let result = json(&out);
    assert_eq!(result["cache"], "miss");
    assert_eq!(result["cache_stats"]["shared_available"], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("shared cache (Redis) unavailable"),
        "{stderr}"
    );
}

#[test]
fn two_processes_sharing_redis_make_one_provider_call() {
    let Some(url) = std::env::var("FITVIEW_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "FITVIEW_TEST_REDIS_URL is not set in CI"
        );
        eprintln!("skipped: FITVIEW_TEST_REDIS_URL is not set (bash .ci/services/redis.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (png, _) = person_copies(dir.path());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let config = dir.path().join("fitview.toml");
    std::fs::write(
        &config,
        format!(
            "provider = \"mock\"\n\n[provider_settings]\nmock_latency_ms = 1500\n\n[cache]\nkey_prefix = \"fitview-cli-test-{}-{nanos}\"\npoll_interval = 0.05\n",
            std::process::id()
        ),
    )
    .unwrap();
    let garment = fixtures().join("garments/shirt-striped.jpg");
    let children: Vec<_> = ["a.webp", "b.webp"]
        .iter()
        .map(|out| {
            fitview(&[
                "tryon",
                "--person",
                png.to_str().unwrap(),
                "--garment",
                garment.to_str().unwrap(),
                "--out",
                dir.path().join(out).to_str().unwrap(),
                "--size",
                "512",
                "--json",
                "--store",
                "memory://",
                "--redis",
                &url,
                "--config",
                config.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let results: Vec<serde_json::Value> = children
        .into_iter()
        .map(|c| json(&c.wait_with_output().unwrap()))
        .collect();
    let mut statuses: Vec<&str> = results
        .iter()
        .map(|r| r["cache"].as_str().unwrap())
        .collect();
    statuses.sort();
    assert!(
        statuses == ["coalesced", "miss"] || statuses == ["hit-shared", "miss"],
        "{statuses:?}"
    );
    let attempts: u64 = results
        .iter()
        .map(|r| r["attempts"].as_u64().unwrap())
        .sum();
    assert_eq!(attempts, 1, "one provider call between the two processes");
    assert_eq!(results[0]["key"], results[1]["key"]);
}
