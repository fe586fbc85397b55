//! Property tests of the batch's readers (bounded: 256 cases each, so they run in CI): the
//! product CSV and JSON manifest parsers, and the journal reader. Arbitrary input never panics
//! and always gives rows or problems at lines inside the file; well-formed input reads back
//! exactly; a journal never loses a complete line, whatever damaged lines surround it.

use proptest::prelude::*;

use super::journal::{self, ItemError, Outcome, Record};
use super::manifest::{csv_file, json_file};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text with the characters parsers trip on: quotes, separators, brackets, line ends, a BOM,
/// multi-byte characters; sometimes deeply nested brackets.
fn tricky_text() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(
        prop_oneof![
            Just(",".to_owned()),
            Just("\"".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(":".to_owned()),
            Just("\\".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("sku".to_owned()),
            Just("é—ü".to_owned()),
            any::<String>(),
            (1usize..3000).prop_map(|n| "[".repeat(n)),
        ],
        0..40,
    );
    pieces.prop_map(|p| p.concat())
}

fn line_count(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// A cell as a spreadsheet may write it: any text, separators, quotes and line breaks included,
/// but not empty and without surrounding spaces (the reader trims cells; empty ones are absent).
fn cell() -> impl Strategy<Value = String> {
    any::<String>().prop_map(|s| {
        let s = s.trim().replace('\u{feff}', "");
        if s.is_empty() { "x".to_owned() } else { s }
    })
}

fn record() -> impl Strategy<Value = Record> {
    (
        prop::sample::select(vec!["A", "B", "C"]),
        prop::sample::select(vec![Outcome::Done, Outcome::Failed, Outcome::Flagged]),
        any::<String>(),
        any::<u64>(),
    )
        .prop_map(|(sku, outcome, message, elapsed_ms)| Record {
            model: "ava".into(),
            sku: sku.into(),
            fingerprint: "f".into(),
            outcome,
            cache: None,
            key: None,
            provider: None,
            attempts: 1,
            timings: None,
            elapsed_ms,
            cost_usd: 0.0,
            files: Vec::new(),
            thumbnail: None,
            flagged: Vec::new(),
            error: (outcome == Outcome::Failed).then(|| ItemError {
                code: "content_policy".into(),
                message,
            }),
            finished_at: 0,
        })
}

/// A line that is not a whole record: arbitrary bytes, or a record cut short (a torn write),
/// or a record with one byte replaced by an invalid UTF-8 byte. Never holds a newline.
fn damaged_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80),
        (record(), any::<prop::sample::Index>()).prop_map(|(r, at)| {
            let line = serde_json::to_vec(&r).unwrap_or_default();
            line[..at.index(line.len())].to_vec()
        }),
        (record(), any::<prop::sample::Index>()).prop_map(|(r, at)| {
            let mut line = serde_json::to_vec(&r).unwrap_or_default();
            let at = at.index(line.len());
            line[at] = 0xff;
            line
        }),
    ]
    .prop_map(|mut line| {
        line.retain(|&b| b != b'\n');
        line
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_csv_gives_rows_or_problems_at_lines_inside_it(text in tricky_text()) {
        let (rows, problems) = csv_file::parse(&text);
        let lines = line_count(&text);
        for (line, message) in &problems {
            prop_assert!((1..=lines).contains(line), "line {line} of {lines}: {message}");
            prop_assert!(!message.is_empty());
        }
        for row in &rows {
            prop_assert!((1..=lines).contains(&row.line), "row at line {} of {lines}", row.line);
        }
    }

    #[test]
    fn well_formed_csv_rows_read_back_with_their_lines(
        rows in prop::collection::vec((cell(), cell(), cell()), 1..20),
    ) {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["sku", "name", "colour"]).unwrap();
        let mut starts = Vec::new();
        for (sku, name, colour) in &rows {
            writer.flush().unwrap();
            starts.push(line_count(&String::from_utf8_lossy(writer.get_ref())));
            writer.write_record([sku, name, colour]).unwrap();
        }
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        let (parsed, problems) = csv_file::parse(&text);
        prop_assert!(problems.is_empty(), "{problems:?}\n{text}");
        prop_assert_eq!(parsed.len(), rows.len());
        for ((node, (sku, name, colour)), line) in parsed.iter().zip(&rows).zip(&starts) {
            prop_assert_eq!(node.line, *line);
            let super::manifest::node::Value::Table(entries) = &node.value else {
                panic!("a row is a table")
            };
            let cells: Vec<(&str, String)> = entries
                .iter()
                .map(|(k, _, v)| match &v.value {
                    super::manifest::node::Value::Str(s) => (k.as_str(), s.clone()),
                    other => (k.as_str(), format!("{other:?}")),
                })
                .collect();
            prop_assert_eq!(
                cells,
                vec![("sku", sku.clone()), ("name", name.clone()), ("colour", colour.clone())]
            );
        }
    }

    #[test]
    fn any_json_gives_a_tree_or_problems_at_lines_inside_it(text in tricky_text()) {
        if let Err(problems) = json_file::parse(&text) {
            let lines = line_count(&text);
            prop_assert!(!problems.is_empty());
            for (line, message) in &problems {
                prop_assert!((1..=lines).contains(line), "line {line} of {lines}: {message}");
            }
        }
    }

    #[test]
    fn well_formed_json_manifests_read_back_exactly(
        products in prop::collection::vec((any::<String>(), any::<i64>(), any::<bool>()), 0..12),
    ) {
        let value = serde_json::json!({
            "products": products
                .iter()
                .map(|(sku, price, sale)| serde_json::json!({"sku": sku, "price": price, "sale": sale}))
                .collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&value).unwrap();
        let root = json_file::parse(&text).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(to_json(&root), value);
    }

    #[test]
    fn any_journal_bytes_are_read_without_failing(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let loaded = journal::parse(&bytes);
        let lines = bytes.split(|&b| b == b'\n').filter(|l| !l.trim_ascii().is_empty()).count();
        prop_assert!(loaded.latest.len() + loaded.unreadable <= lines);
    }

    #[test]
    fn a_journal_never_loses_a_complete_line_among_damaged_ones(
        lines in prop::collection::vec(
            prop_oneof![record().prop_map(Ok), damaged_line().prop_map(Err)],
            0..30,
        ),
        torn_tail in damaged_line(),
    ) {
        let mut bytes = Vec::new();
        let mut expected = std::collections::HashMap::new();
        let mut damaged = 0;
        for line in &lines {
            match line {
                Ok(record) => {
                    bytes.extend_from_slice(&serde_json::to_vec(record).unwrap());
                    expected.insert(record.sku.clone(), record.clone());
                }
                Err(garbage) => {
                    bytes.extend_from_slice(garbage);
                    damaged += usize::from(!garbage.trim_ascii().is_empty());
                }
            }
            bytes.push(b'\n');
        }
        // A kill during the last write leaves a line without its end.
        bytes.extend_from_slice(&torn_tail);
        damaged += usize::from(!torn_tail.trim_ascii().is_empty());
        let loaded = journal::parse(&bytes);
        prop_assert_eq!(loaded.unreadable, damaged);
        prop_assert_eq!(loaded.latest.len(), expected.len());
        for record in expected.values() {
            prop_assert_eq!(&loaded.latest[&format!("ava/{}", record.sku)], record);
        }
    }
}

/// The located tree as plain JSON, to compare with what was written.
fn to_json(node: &super::manifest::node::Node) -> serde_json::Value {
    use super::manifest::node::Value;
    match &node.value {
        Value::Str(s) => s.clone().into(),
        Value::Int(n) => (*n).into(),
        Value::Float(x) => (*x).into(),
        Value::Bool(b) => (*b).into(),
        Value::Array(items) => items.iter().map(to_json).collect(),
        Value::Table(entries) => entries
            .iter()
            .map(|(k, _, v)| (k.clone(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Other(_) => serde_json::Value::Null,
    }
}
