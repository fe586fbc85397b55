//! The `fitview` binary as a user runs it: files in, files out, messages and exit codes.

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

/// `fitview ARGS` with stdout a pipe whose reader has gone, as in `fitview providers | head -1`
/// once `head` has its line.
fn with_closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_fitview"))
        .args(args)
        .env_remove("FITVIEW_PROVIDER")
        .env_remove("FITVIEW_CONFIG")
        .env_remove("FITVIEW_REDIS_URL")
        .env("FITVIEW_STORE", "memory://")
        .stdout(writer)
        .output()
        .unwrap()
}

#[test]
fn every_subcommand_ends_quietly_when_its_stdout_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let person = first("persons", "jpg");
    let garment = first("garments", "jpg");
    let (person, garment) = (person.to_str().unwrap(), garment.to_str().unwrap());
    let look = d("look.webp");
    assert!(
        fitview(&[
            "tryon",
            "--person",
            person,
            "--garment",
            garment,
            "--out",
            &look
        ])
        .status
        .success()
    );
    let manifest = fixtures().join("catalog/catalog.toml");
    let manifest = manifest.to_str().unwrap();
    let hash = "0".repeat(64);
    let (out, batch_out) = (d("again.webp"), d("batch"));
    let tryon = [
        "tryon",
        "--person",
        person,
        "--garment",
        garment,
        "--out",
        &out,
    ];
    let variations = [
        "variations",
        "--input",
        &look,
        "--style",
        "party",
        "--out",
        &batch_out,
    ];
    let batch = [
        "batch",
        manifest,
        "--out",
        &batch_out,
        "--provider",
        "mock",
        "--size",
        "128",
    ];
    let commands: Vec<Vec<&str>> = vec![
        vec!["providers"],
        vec!["providers", "--json"],
        tryon.to_vec(),
        [&tryon[..], &["--json"]].concat(),
        variations.to_vec(),
        [&variations[..], &["--json"]].concat(),
        vec!["gc", "--older-than", "0"],
        vec!["gc", "--older-than", "0", "--json"],
        vec!["forget", "--hash", &hash],
        vec!["forget", "--hash", &hash, "--json"],
        [&batch[..], &["--dry-run"]].concat(),
        [&batch[..], &["--dry-run", "--json"]].concat(),
        [&batch[..], &["--json"]].concat(),
        vec!["serve", "--help"],
        vec!["--version"],
    ];
    for args in commands {
        let run = with_closed_stdout(&args);
        let message = stderr(&run);
        assert!(!message.contains("panicked"), "{args:?}: {message}");
        assert_eq!(run.status.code(), Some(0), "{args:?}: {message}");
        assert!(
            message.is_empty() || !message.contains("Broken pipe"),
            "{args:?}: {message}"
        );
    }
}

#[test]
fn numbers_that_cannot_be_used_are_usage_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = fixtures().join("catalog/catalog.toml");
    let manifest = manifest.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let cases: [&[&str]; 8] = [
        &[
            "batch",
            manifest,
            "--out",
            out,
            "--dry-run",
            "--assume-latency",
            "inf",
        ],
        &[
            "batch",
            manifest,
            "--out",
            out,
            "--dry-run",
            "--assume-latency",
            "1e300",
        ],
        &["batch", manifest, "--out", out, "--dry-run", "--rpm", "0"],
        &[
            "batch",
            manifest,
            "--out",
            out,
            "--dry-run",
            "--max-cost",
            "nan",
        ],
        &["batch", manifest, "--out", out, "--quality", "101"],
        &["gc", "--older-than", "100000000d"],
        &["gc", "--older-than", "99999999999999999999w"],
        &[
            "tryon",
            "--person",
            "p.jpg",
            "--garment",
            "g.jpg",
            "--quality",
            "0",
        ],
    ];
    for args in cases {
        let run = fitview(args);
        let message = stderr(&run);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{args:?}: {message}");
    }
    assert!(
        !dir.path().join("out").exists(),
        "refused before anything is written"
    );
}

#[test]
fn devices_fifos_and_directories_are_refused_at_once_wherever_a_path_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo = fifo.to_str().unwrap();
    let garment = first("garments", "jpg");
    let garment = garment.to_str().unwrap();
    let folder = dir.path().to_str().unwrap();
    let out = dir.path().join("x.webp");
    let out = out.to_str().unwrap();
    // A reader without bounds would read /dev/zero for ever and block on the FIFO.
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "tryon",
                "--person",
                "/dev/zero",
                "--garment",
                garment,
                "--out",
                out,
            ],
            "--person /dev/zero: is a device",
        ),
        (
            &[
                "tryon",
                "--person",
                garment,
                "--garment",
                fifo,
                "--out",
                out,
            ],
            "FIFO",
        ),
        (
            &[
                "tryon",
                "--person",
                garment,
                "--garment",
                garment,
                "--landmarks",
                "/dev/zero",
                "--out",
                out,
            ],
            "--landmarks /dev/zero: is a device",
        ),
        (
            &["variations", "--input", folder, "--style", "party"],
            "is a directory",
        ),
        (
            &["forget", "--photo", "/dev/zero"],
            "--photo /dev/zero: is a device",
        ),
        (&["forget", "--photo", fifo], "FIFO"),
    ];
    for (args, expected) in cases {
        let run = fitview(args);
        let message = stderr(&run);
        assert_eq!(run.status.code(), Some(3), "{args:?}: {message}");
        assert!(message.contains(expected), "{args:?}: {message}");
    }
    let run = Command::new(env!("CARGO_BIN_EXE_fitview"))
        .args(["providers"])
        .env("FITVIEW_CONFIG", "/dev/zero")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(6), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("config file /dev/zero: is a device"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn a_photo_over_the_byte_limit_is_refused_from_its_size_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: 3 GiB that take no disk and would take seconds and gigabytes to read.
    let big = dir.path().join("big.jpg");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let garment = first("garments", "jpg");
    let run = tryon(&big, &garment, &dir.path().join("x.webp"), &[]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("3221225472 bytes, larger than the 26214400-byte limit"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn config_files_that_do_not_parse_are_configuration_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("syntax.toml", "provider = \n", "provider"),
        ("unknown.toml", "[limits]\nmax_widht = 10\n", "max_widht"),
        ("type.toml", "[limits]\nmax_width = \"big\"\n", "max_width"),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let run = fitview(&["--config", path.to_str().unwrap(), "providers"]);
        let message = stderr(&run);
        assert_eq!(run.status.code(), Some(6), "{name}: {message}");
        assert!(message.contains(name), "{name}: {message}");
        assert!(message.contains(expected), "{name}: {message}");
    }
}

#[test]
fn out_must_name_an_image_file_fitview_can_write() {
    let dir = tempfile::tempdir().unwrap();
    let person = first("persons", "jpg");
    let garment = first("garments", "jpg");
    let cases = [
        (dir.path().to_owned(), "is a directory"),
        (PathBuf::from("/dev/full"), "is not a regular file"),
        (dir.path().join("x.gif"), "not .gif"),
    ];
    for (out, expected) in cases {
        let run = tryon(&person, &garment, &out, &[]);
        let message = stderr(&run);
        assert_eq!(run.status.code(), Some(3), "{}: {message}", out.display());
        assert!(message.contains(expected), "{}: {message}", out.display());
    }
    assert!(!dir.path().join("x.webp").exists());
    let gif = dir.path().join("x.gif");
    let run = tryon(&person, &garment, &gif, &["--format", "png"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        dir.path().join("x.png").is_file(),
        "--format says what to write"
    );
}
