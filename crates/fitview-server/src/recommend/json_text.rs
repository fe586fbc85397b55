//! A JSON value kept as text in the order it was sent. `serde_json::Value` sorts object keys,
//! and a size chart's sizes are ordered by their place in the object (smallest first), so a
//! product's chart is read into this instead and validated and stored as sent.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The text of one JSON value, keys in the order sent (whitespace normalised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(pub String);

struct TextVisitor;

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

impl<'de> Visitor<'de> for TextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(serde_json::Value::from(v).to_string())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(quoted(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok("null".to_owned())
    }

    fn visit_none<E: de::Error>(self) -> Result<String, E> {
        Ok("null".to_owned())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(TextVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<String, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonText(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(format!("[{}]", items.join(",")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let JsonText(value) = map.next_value()?;
            fields.push(format!("{}:{value}", quoted(&key)));
        }
        Ok(format!("{{{}}}", fields.join(",")))
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor).map(JsonText)
    }
}

#[cfg(test)]
mod tests {
    use super::JsonText;

    #[test]
    fn keeps_the_order_sent() {
        let text: JsonText =
            serde_json::from_str(r#"{"sizes": {"S": [1, 2.5], "M": {"a\"b": null, "t": true}}}"#)
                .unwrap();
        assert_eq!(
            text.0,
            r#"{"sizes":{"S":[1,2.5],"M":{"a\"b":null,"t":true}}}"#
        );
    }
}
