//! The `fitview` binary as a user runs it: files in, files out, messages and exit codes.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn first(dir: &str, ext: &str) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no .{ext} fixture in {dir}"))
}

fn fitview(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fitview"))
        .args(args)
        .env_remove("FITVIEW_PROVIDER")
        .env_remove("FITVIEW_CONFIG")
        .env_remove("FITVIEW_REDIS_URL")
        // No durable store: every run starts cold and nothing is written under the crate.
        .env("FITVIEW_STORE", "memory://")
        .output()
        .unwrap()
}

fn tryon(person: &Path, garment: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "tryon",
        "--person",
        person.to_str().unwrap(),
        "--garment",
        garment.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    fitview(&args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn tryon_writes_an_image_and_thumbnails_and_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("look.webp");
    let run = tryon(
        &first("persons", "jpg"),
        &first("garments", "jpg"),
        &out,
        &["--category", "top"],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let image = image::open(&out).unwrap();
    assert_eq!(image.height(), 1024);
    for width in [256, 512] {
        let thumb = image::open(dir.path().join(format!("look.{width}.webp"))).unwrap();
        assert_eq!(thumb.width(), width);
    }
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("look.webp"), "{stdout}");
    assert!(
        stdout.contains("preprocess") && stdout.contains("total"),
        "{stdout}"
    );
}

#[test]
fn tryon_json_reports_provider_key_timings_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("look.png");
    let run = tryon(
        &first("persons", "jpg"),
        &first("garments", "jpg"),
        &out,
        &["--json", "--size", "400", "--thumbnails", "100"],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["key"].as_str().unwrap().len(), 64);
    assert!(json["timings"]["total"].as_f64().unwrap() > 0.0);
    assert_eq!(json["cache"], "miss");
    assert_eq!(json["files"][0]["height"], 400);
    assert_eq!(json["images"][0]["format"], "png");
    let png = std::fs::read(&out).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

#[test]
fn bad_inputs_get_a_clear_message_and_an_input_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.webp");
    let garment = first("garments", "jpg");
    let cases = [
        ("missing.jpg", "no such file"),
        ("bad/empty.jpg", "empty"),
        ("bad/text.jpg", "person photo"),
        ("bad/truncated.jpg", "person photo"),
        ("bad/bomb.png", "too large"),
    ];
    for (file, expected) in cases {
        let run = tryon(&fixtures().join(file), &garment, &out, &[]);
        assert_eq!(run.status.code(), Some(3), "{file}: {}", stderr(&run));
        let msg = stderr(&run);
        assert!(msg.contains(expected), "{file}: {msg}");
        assert!(!msg.contains("panicked"), "{file}: {msg}");
    }
    assert!(!out.exists(), "nothing is written on failure");
}

#[test]
fn an_unknown_provider_names_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let run = tryon(
        &first("persons", "jpg"),
        &first("garments", "jpg"),
        &dir.path().join("x.webp"),
        &["--provider", "nano-bananna"],
    );
    assert_eq!(run.status.code(), Some(6), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("unknown provider `nano-bananna`"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn variations_write_one_file_per_style() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("look.webp");
    assert!(
        tryon(
            &first("persons", "jpg"),
            &first("garments", "jpg"),
            &input,
            &[]
        )
        .status
        .success()
    );
    let out = dir.path().join("vars");
    let run = fitview(&[
        "variations",
        "--input",
        input.to_str().unwrap(),
        "--style",
        "party",
        "--color",
        "navy",
        "--out",
        out.to_str().unwrap(),
        "--thumbnails",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    for name in ["party-1.webp", "color-navy-1.webp"] {
        assert!(image::open(out.join(name)).is_ok(), "{name} missing");
    }
}

#[test]
fn providers_lists_capabilities() {
    let run = fitview(&["providers", "--json"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"mock"), "{names:?}");
}
