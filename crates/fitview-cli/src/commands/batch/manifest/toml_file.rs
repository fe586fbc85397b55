//! TOML manifests → the located tree, with every syntax error and its line.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::node::{Lines, Node, Value};

/// Parses `text`; on failure returns every syntax error found as `(line, message)`.
pub fn parse(text: &str) -> Result<Node, Vec<(usize, String)>> {
    let lines = Lines::new(text);
    let (table, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(errors
            .iter()
            .map(|e| {
                let line = e.span().map_or(1, |span| lines.line_of(span.start));
                (line, e.message().trim().to_owned())
            })
            .collect());
    }
    let line = lines.line_of(table.span().start);
    Ok(Node {
        line,
        value: table_value(table.get_ref(), &lines),
    })
}

fn table_value(table: &DeTable<'_>, lines: &Lines) -> Value {
    Value::Table(
        table
            .iter()
            .map(|(key, value)| {
                (
                    key.get_ref().to_string(),
                    lines.line_of(key.span().start),
                    node(value, lines),
                )
            })
            .collect(),
    )
}

fn node(value: &Spanned<DeValue<'_>>, lines: &Lines) -> Node {
    let line = lines.line_of(value.span().start);
    let value = match value.get_ref() {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match i64::from_str_radix(digits.trim_start_matches('+'), i.radix()) {
                Ok(n) => Value::Int(n),
                Err(_) => Value::Other("an integer out of range"),
            }
        }
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(x) => Value::Float(x),
            Err(_) => Value::Other("a special float"),
        },
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(_) => Value::Other("a date"),
        DeValue::Array(items) => Value::Array(items.iter().map(|item| node(item, lines)).collect()),
        DeValue::Table(table) => table_value(table, lines),
    };
    Node { line, value }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(node: &'a Node, key: &str) -> &'a Node {
        let Value::Table(entries) = &node.value else {
            panic!("table expected")
        };
        &entries.iter().find(|(k, _, _)| k == key).unwrap().2
    }

    #[test]
    fn values_know_their_lines_even_in_arrays_of_tables() {
        let text = "name = \"shop\"\n\n[[models]]\nid = \"ava\"\nheight_cm = 172\n\n[[models]]\nid = \"bea\"\n";
        let root = parse(text).unwrap();
        assert_eq!(get(&root, "name").line, 1);
        let Value::Array(models) = &get(&root, "models").value else {
            panic!("array expected")
        };
        assert_eq!(get(&models[0], "id").line, 4);
        assert_eq!(get(&models[0], "height_cm").value, Value::Int(172));
        assert_eq!(get(&models[1], "id").line, 8);
    }

    #[test]
    fn syntax_errors_carry_lines() {
        let errors = parse("a = 1\nb = \n").unwrap_err();
        assert!(errors.iter().any(|(line, _)| *line == 2), "{errors:?}");
    }
}
