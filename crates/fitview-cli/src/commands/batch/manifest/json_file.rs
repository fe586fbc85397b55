//! JSON manifests → the located tree.
//!
//! serde_json checks the syntax (and gives the line of a syntax error); a small scanner then walks
//! the same, now known-valid, text to record the line where each value starts, which serde_json's
//! `Value` forgets.

use super::node::{Lines, Node, Value};

/// Parses `text`; on a syntax error returns its line and message.
pub fn parse(text: &str) -> Result<Node, Vec<(usize, String)>> {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let message = e.to_string();
        // serde_json appends " at line L column C"; the line is reported separately.
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        return Err(vec![(e.line().max(1), message)]);
    }
    let mut scanner = Scanner {
        text,
        pos: 0,
        lines: Lines::new(text),
    };
    scanner
        .value()
        .map_err(|message| vec![(scanner.line(), message)])
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    lines: Lines,
}

impl Scanner<'_> {
    fn line(&self) -> usize {
        self.lines.line_of(self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected `{}`", byte as char))
        }
    }

    fn value(&mut self) -> Result<Node, String> {
        self.skip_ws();
        let line = self.line();
        let value = match self.peek() {
            Some(b'{') => self.object()?,
            Some(b'[') => self.array()?,
            Some(b'"') => Value::Str(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Other("null"))?,
            _ => self.number()?,
        };
        Ok(Node { line, value })
    }

    fn object(&mut self) -> Result<Value, String> {
        self.expect(b'{')?;
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Table(entries));
        }
        loop {
            self.skip_ws();
            let key_line = self.line();
            let key = self.string()?;
            self.expect(b':')?;
            entries.push((key, key_line, self.value()?));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Table(entries));
                }
                _ => return Err("expected `,` or `}`".to_owned()),
            }
        }
    }

    fn array(&mut self) -> Result<Value, String> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err("expected `,` or `]`".to_owned()),
            }
        }
    }

    /// A string token, decoded by serde_json so escapes are handled exactly as it does.
    fn string(&mut self) -> Result<String, String> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() != Some(b'"') {
            return Err("expected a string".to_owned());
        }
        self.pos += 1;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'"' => break,
                _ => {}
            }
        }
        let token = self
            .text
            .get(start..self.pos)
            .ok_or("unterminated string")?;
        serde_json::from_str(token).map_err(|e| e.to_string())
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self
            .text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word))
        {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(format!("expected `{word}`"))
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.pos += 1;
        }
        let token = self.text.get(start..self.pos).unwrap_or_default();
        if let Ok(n) = token.parse::<i64>() {
            Ok(Value::Int(n))
        } else {
            token
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| format!("expected a value, found `{token}`"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_know_their_lines() {
        let text = "{\n  \"models\": [\n    {\"id\": \"ava\",\n     \"height_cm\": 172.5},\n    {\"id\": \"b\\\"e\"}\n  ]\n}\n";
        let root = parse(text).unwrap();
        let Value::Table(entries) = &root.value else {
            panic!("table expected")
        };
        assert_eq!(entries[0].1, 2);
        let Value::Array(models) = &entries[0].2.value else {
            panic!("array expected")
        };
        assert_eq!(models[0].line, 3);
        let Value::Table(first) = &models[0].value else {
            panic!("table expected")
        };
        assert_eq!(
            first[1],
            (
                "height_cm".to_owned(),
                4,
                Node {
                    line: 4,
                    value: Value::Float(172.5)
                }
            )
        );
        let Value::Table(second) = &models[1].value else {
            panic!("table expected")
        };
        assert_eq!(second[0].2.value, Value::Str("b\"e".to_owned()));
    }

    #[test]
    fn syntax_errors_carry_lines() {
        let errors = parse("{\n  \"a\": 1,\n  \"b\": \n}\n").unwrap_err();
        assert_eq!(errors[0].0, 4, "{errors:?}");
    }
}
