//! Mutated manifests (TOML, JSON, CSV) and journals through their parsers, a bounded fuzz run in
//! CI: every case parses or gives problems at lines inside the file, never a panic.

use super::journal;
use super::manifest::{csv_file, json_file, toml_file};

/// Cases per seed file.
const CASES: u64 = 1500;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../fixtures/catalog/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs `parse` on mutations of `seed`, checking that each problem's line is in the text.
fn check_lines(seed: &[u8], salt: u64, parse: impl Fn(&str) -> Vec<(usize, String)>) -> usize {
    let mut mutator = fitview_fixtures::Mutator::new(salt);
    let mut with_problems = 0;
    for case in 0..CASES {
        let bytes = mutator.mutate(seed);
        let text = String::from_utf8_lossy(&bytes);
        let lines = text.lines().count().max(1);
        let problems = parse(&text);
        for (line, message) in &problems {
            assert!(
                (1..=lines + 1).contains(line),
                "case {case}: line {line} of {lines}: {message}\n{text}"
            );
            assert!(!message.is_empty(), "case {case}");
        }
        with_problems += usize::from(!problems.is_empty());
    }
    with_problems
}

#[test]
fn mutated_manifests_parse_or_report_problems_at_real_lines() {
    let toml = check_lines(&fixture("catalog.toml"), 1, |t| {
        toml_file::parse(t).err().unwrap_or_default()
    });
    let json = check_lines(&fixture("catalog.json"), 2, |t| {
        json_file::parse(t).err().unwrap_or_default()
    });
    let csv = check_lines(&fixture("products.csv"), 3, |t| csv_file::parse(t).1);
    // Mutations break the files often enough to reach the error paths.
    for (what, n) in [("toml", toml), ("json", json), ("csv", csv)] {
        assert!(n > 0, "{what}: no mutation gave a problem");
    }
}

#[test]
fn mutated_journals_keep_every_intact_line() {
    let record = |sku: &str| {
        format!(
            "{{\"model\":\"ava\",\"sku\":\"{sku}\",\"fingerprint\":\"f\",\"outcome\":\"done\",\
             \"elapsed_ms\":5,\"finished_at\":0,\"error\":{{\"code\":\"x\",\"message\":\"é—ü\"}}}}\n"
        )
    };
    let lines: Vec<String> = (0..6).map(|i| record(&format!("S{i}"))).collect();
    let seed = lines.concat().into_bytes();
    assert_eq!(journal::parse(&seed).latest.len(), 6);
    let mut mutator = fitview_fixtures::Mutator::new(4);
    for case in 0..CASES {
        let bytes = mutator.mutate(&seed);
        let loaded = journal::parse(&bytes);
        // Every line the mutation left whole is still read.
        let text = String::from_utf8_lossy(&bytes);
        let intact = lines
            .iter()
            .filter(|l| text.split_inclusive('\n').any(|t| t == l.as_str()))
            .count();
        assert!(
            loaded.latest.len() >= intact,
            "case {case}: {} read, {intact} intact",
            loaded.latest.len()
        );
    }
}
