//! The product list as CSV (retailers keep it in a spreadsheet) → located product tables.
//!
//! One header row names the columns; `sizes` holds several sizes separated by `|`; `price` is a
//! number. Cells left empty count as absent.

use super::node::{Lines, Node, Value};

/// Columns a product row may have.
pub const COLUMNS: [&str; 7] = [
    "sku", "name", "category", "image", "sizes", "colour", "price",
];

/// Parses CSV `text` into one product table per readable row, and every problem as `(line, message)`.
pub fn parse(text: &str) -> (Vec<Node>, Vec<(usize, String)>) {
    let lines = Lines::new(text);
    // A record's byte position is where the reader started looking for it, before any blank
    // lines it skipped; the record itself starts after them.
    let line_of = |position: Option<&csv::Position>| {
        let start = position.map_or(0, |p| p.byte() as usize);
        let skipped = text.get(start..).map_or(0, |rest| {
            rest.len() - rest.trim_start_matches(['\r', '\n']).len()
        });
        lines.line_of(start + skipped)
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
        Err(e) => return (Vec::new(), vec![(line_of(e.position()), e.to_string())]),
    };
    if headers.iter().all(|h| h.is_empty()) {
        return (
            Vec::new(),
            vec![(1, "empty: the first line must name the columns".to_owned())],
        );
    }
    for (i, header) in headers.iter().enumerate() {
        if headers[..i].contains(header) {
            // Which of two cells would count is a guess; make the retailer choose.
            problems.push((1, format!("column `{header}` appears twice")));
        } else if !COLUMNS.contains(&header.as_str()) {
            problems.push((
                1,
                format!(
                    "unknown column `{header}` (expected: {})",
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                problems.push((line_of(e.position()), csv_message(&e)));
                continue;
            }
        };
        // From the byte offset: the reader's own line count skips blank lines.
        let line = line_of(record.position());
        let entries = headers
            .iter()
            .zip(record.iter())
            .filter(|(header, cell)| !cell.is_empty() && COLUMNS.contains(&header.as_str()))
            .map(|(header, cell)| {
                (
                    header.clone(),
                    line,
                    Node {
                        line,
                        value: cell_value(header, cell),
                    },
                )
            })
            .collect();
        rows.push(Node {
            line,
            value: Value::Table(entries),
        });
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push((1, "no products: only the header row".to_owned()));
    }
    (rows, problems)
}

fn cell_value(header: &str, cell: &str) -> Value {
    match header {
        "sizes" => Value::Array(
            cell.split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Node {
                    line: 0,
                    value: Value::Str(s.to_owned()),
                })
                .collect(),
        ),
        "price" => cell
            .parse::<f64>()
            .map_or_else(|_| Value::Str(cell.to_owned()), Value::Float),
        _ => Value::Str(cell.to_owned()),
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("row has {len} fields, the header has {expected_len}")
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_tables_with_their_lines() {
        let text = "sku,name,category,image,sizes,price\nA1,Tee,top,a.jpg,S|M|L,19.5\n\nB2,Jeans,bottom,b.jpg,,\n";
        let (rows, problems) = parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].line, 4);
        let Value::Table(first) = &rows[0].value else {
            panic!("table expected")
        };
        let sizes = &first.iter().find(|(k, _, _)| k == "sizes").unwrap().2;
        assert!(matches!(&sizes.value, Value::Array(items) if items.len() == 3));
        let Value::Table(second) = &rows[1].value else {
            panic!("table expected")
        };
        assert_eq!(second.len(), 4, "empty cells are absent");
    }

    #[test]
    fn empty_header_only_and_duplicate_column_files_are_refused() {
        for text in ["", "\n\n", "sku,name,category,image\n"] {
            let (rows, problems) = parse(text);
            assert!(rows.is_empty());
            assert_eq!(problems.len(), 1, "{text:?}: {problems:?}");
            assert_eq!(problems[0].0, 1);
        }
        let (_, problems) = parse("sku,image,category,image\nA,a.jpg,top,b.jpg\n");
        assert!(
            problems
                .iter()
                .any(|(line, m)| *line == 1 && m.contains("`image` appears twice")),
            "{problems:?}"
        );
    }

    #[test]
    fn ragged_rows_and_unknown_columns_are_reported_with_lines() {
        let (_, problems) = parse("sku,colour,weight\nA1,red\nB2,blue,3\n");
        assert!(
            problems
                .iter()
                .any(|(line, m)| *line == 1 && m.contains("weight")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|(line, m)| *line == 2 && m.contains("fields")),
            "{problems:?}"
        );
    }
}
