//! `fitview batch` validates the whole manifest first: every problem, with its file and line,
//! and no provider call.

use crate::batch_support::*;

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

#[test]
fn devices_and_fifos_named_by_a_manifest_are_refused_at_once_even_in_a_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("garment.jpg");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let person = fixtures().join("persons/slim-light-full.jpg");
    let manifest = dir.path().join("shop.toml");
    std::fs::write(
        &manifest,
        format!(
            "products_csv = \"/dev/zero\"\n\
             [[models]]\nid = \"ava\"\nimage = \"/dev/zero\"\n\
             [[models]]\nid = \"bea\"\nimage = {person:?}\nlandmarks = \"/dev/zero\"\n\
             [[products]]\nsku = \"TS\"\ncategory = \"top\"\nimage = {fifo:?}\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = batch(&manifest, &out, &["--dry-run"]);
    assert_eq!(run.status.code(), Some(3), "{}", outputs(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    for expected in [
        "/dev/zero:1: cannot read the product CSV: is a device",
        "shop.toml:4: model `ava`: image /dev/zero: is a device",
        "shop.toml:8: model `bea`: landmarks /dev/zero: is a device",
        "is a FIFO (named pipe)",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    let run = batch(std::path::Path::new("/dev/zero"), &out, &["--dry-run"]);
    assert_eq!(run.status.code(), Some(3), "{}", outputs(&run));
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot read the manifest: is a device"));
}

#[test]
fn ids_that_would_share_output_files_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("shop.toml");
    write_manifest(
        &manifest,
        &["ava", "AVA"],
        &[
            ("ts-white", "top", "garments/tshirt-plain.jpg"),
            ("TS-White", "top", "garments/shirt-striped.jpg"),
        ],
    );
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text = text.replacen(
        "name = \"Test shop\"\n",
        "name = \"Test shop\"\n[generate]\nvariations = [\"color:Navy Blue\", \"color:navy-blue\"]\n",
        1,
    );
    std::fs::write(&manifest, text).unwrap();
    let run = batch(&manifest, &dir.path().join("out"), &["--dry-run"]);
    assert_eq!(run.status.code(), Some(3), "{}", outputs(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    for expected in [
        "model id `AVA` differs from `ava`",
        "SKU `TS-White` differs from `ts-white`",
        "would both be written as `color-navy-blue`",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}

#[test]
fn a_products_csv_without_products_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("shop.toml");
    write_manifest(&manifest, &["ava"], &[]);
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.insert_str(0, "products_csv = \"products.csv\"\n");
    std::fs::write(&manifest, text).unwrap();
    for csv in ["", "sku,name,category,image\n"] {
        std::fs::write(dir.path().join("products.csv"), csv).unwrap();
        let run = batch(&manifest, &dir.path().join("out"), &["--dry-run"]);
        assert_eq!(run.status.code(), Some(3), "{csv:?}: {}", outputs(&run));
        assert!(String::from_utf8_lossy(&run.stderr).contains("products.csv:1:"));
    }
}
