//! A format-neutral manifest tree where every value knows its line, so validation reports
//! `file:line` the same way for TOML, JSON and CSV.

/// A value and the line (1-based) where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line in the source file.
    pub line: usize,
    /// The value.
    pub value: Value,
}

/// The shapes a manifest value can take.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// True or false.
    Bool(bool),
    /// A list.
    Array(Vec<Node>),
    /// Keys and values, in source order; each key has its own line.
    Table(Vec<(String, usize, Node)>),
    /// Something a manifest never uses (e.g. a TOML date); the name of its type.
    Other(&'static str),
}

impl Value {
    /// The type's name as a user reads it in a message.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Array(_) => "a list",
            Value::Table(_) => "a table",
            Value::Other(name) => name,
        }
    }
}

/// Converts byte offsets to 1-based line numbers.
#[derive(Debug)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines() {
        let lines = Lines::new("a\nbc\n\nd");
        assert_eq!(lines.line_of(0), 1);
        assert_eq!(lines.line_of(1), 1);
        assert_eq!(lines.line_of(2), 2);
        assert_eq!(lines.line_of(5), 3);
        assert_eq!(lines.line_of(6), 4);
    }
}
