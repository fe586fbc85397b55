//! `fitview batch` validates the whole manifest first: every problem, with its file and line,
//! and no provider call.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod batch_support;

use batch_support::*;

#[test]
fn a_broken_manifest_lists_every_problem_with_its_line_and_generates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = batch(&fixtures().join("catalog/broken.toml"), &out, &[]);
    assert_eq!(
        run.status.code(),
        Some(3),
        "input error exit code\n{}",
        outputs(&run)
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    let expected = [
        ("broken.toml:5:", "unknown key `colour_profile`"),
        ("broken.toml:8:", "no model with id `zed`"),
        ("broken.toml:9:", "unknown variation `sepia`"),
        ("broken.toml:14:", "`height_cm` must be a number"),
        ("broken.toml:16:", "`id` is missing"),
        ("broken.toml:21:", "no such file"),
        ("broken.toml:29:", "duplicate SKU `TS-WHITE`"),
        ("broken.toml:35:", "unknown garment category `hat`"),
        ("broken.toml:36:", "unknown scheme `https`"),
        ("broken-products.csv:3:", "row has 3 fields"),
        ("broken-products.csv:4:", "`price` must be a number"),
        ("broken-products.csv:4:", "not a JPEG, PNG or WebP image"),
    ];
    for (place, message) in expected {
        assert!(
            stderr
                .lines()
                .any(|line| line.contains(place) && line.contains(message)),
            "missing `{place} … {message}` in:\n{stderr}"
        );
    }
    assert!(
        stderr.contains(&format!("{} problems in the manifest", expected.len())),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is generated or written");
}

#[test]
fn the_example_manifests_are_valid() {
    for name in ["catalog.toml", "catalog.json"] {
        let dir = tempfile::tempdir().unwrap();
        let run = batch(
            &fixtures().join("catalog").join(name),
            &dir.path().join("out"),
            &["--dry-run"],
        );
        assert!(run.status.success(), "{name}: {}", outputs(&run));
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(stdout.contains("provider calls"), "{stdout}");
    }
}
