//! How `fitview` reports wrong settings (the config file, `FITVIEW_LOG`) and writes its logs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(dir: &str, ext: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files.remove(0)
}

fn fitview() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fitview"));
    command
        .env_remove("FITVIEW_PROVIDER")
        .env_remove("FITVIEW_CONFIG")
        .env_remove("FITVIEW_REDIS_URL")
        .env_remove("FITVIEW_LOG")
        .env("FITVIEW_STORE", "memory://");
    command
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_unknown_key_of_a_config_file_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typos.toml");
    std::fs::write(
        &path,
        "provider = \"mock\"\nprovidr = \"mock\"\n[limits]\nmax_widht = 10\nmax_heigth = 10\n",
    )
    .unwrap();
    let run = fitview()
        .args(["--config", path.to_str().unwrap(), "providers"])
        .output()
        .unwrap();
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(6), "{message}");
    for typo in [
        "line 2: unknown key `providr`",
        "line 4: unknown key `limits.max_widht`",
        "line 5: unknown key `limits.max_heigth`",
    ] {
        assert!(message.contains(typo), "{typo}: {message}");
    }
}

#[test]
fn an_invalid_log_filter_is_a_configuration_error_naming_the_variable() {
    let run = fitview()
        .arg("providers")
        .env("FITVIEW_LOG", "fitview=loud")
        .output()
        .unwrap();
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(6), "{message}");
    assert!(
        message.contains("FITVIEW_LOG=\"fitview=loud\" is not a valid log filter"),
        "{message}"
    );
    assert!(run.stdout.is_empty(), "nothing runs with a wrong filter");
    let run = fitview()
        .arg("providers")
        .env("FITVIEW_LOG", "fitview=debug")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
}

#[test]
fn logs_written_to_a_file_or_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("fitview.log");
    let (person, garment) = (fixture("persons", "jpg"), fixture("garments", "jpg"));
    let tryon = |out: &str| {
        let mut command = fitview();
        command.args([
            "-vv",
            "tryon",
            "--person",
            person.to_str().unwrap(),
            "--garment",
            garment.to_str().unwrap(),
            "--out",
            dir.path().join(out).to_str().unwrap(),
        ]);
        command
    };
    let to_file = tryon("a.webp")
        .stderr(std::fs::File::create(&log).unwrap())
        .status()
        .unwrap();
    assert!(to_file.success());
    let to_pipe = tryon("b.webp").output().unwrap();
    assert!(to_pipe.status.success(), "{}", stderr(&to_pipe));
    for (what, text) in [
        ("file", std::fs::read_to_string(&log).unwrap()),
        ("pipe", stderr(&to_pipe)),
    ] {
        assert!(
            text.contains("DEBUG"),
            "{what}: debug lines expected: {text}"
        );
        assert!(!text.contains('\u{1b}'), "{what}: escape codes: {text:?}");
    }
}
