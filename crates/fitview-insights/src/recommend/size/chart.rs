//! The size chart schema: `{"unit": "cm" | "in", "sizes": {"M": {"chest": [90, 96], ...}, ...}}`,
//! parsed and validated into ranges in centimetres, sizes kept in the order the chart lists them
//! (smallest first).
//!
//! Validation: the unit is `cm` or `in` (inches are converted, 1 in = 2.54 cm); every measurement
//! name is known ([`Measurement`]); every range is `[min, max]` with `0 < min <= max`; there is at
//! least one size, each with at least one measurement, no size twice; and sizes grow: for every
//! measurement, a size's range centre is larger than that of the previous size that has it.
//! Errors name the field at fault as a path (`sizes.M.chest`).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

/// Centimetres per inch.
const CM_PER_INCH: f64 = 2.54;

/// A body measurement a chart or a shopper can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measurement {
    /// Chest or bust girth.
    Chest,
    /// Waist girth.
    Waist,
    /// Hip girth.
    Hip,
    /// Body height.
    Height,
    /// Inside leg length.
    Inseam,
}

impl Measurement {
    /// Every measurement, in the order error messages list them.
    pub const ALL: [Measurement; 5] = [
        Measurement::Chest,
        Measurement::Waist,
        Measurement::Hip,
        Measurement::Height,
        Measurement::Inseam,
    ];

    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Measurement::Chest => "chest",
            Measurement::Waist => "waist",
            Measurement::Hip => "hip",
            Measurement::Height => "height",
            Measurement::Inseam => "inseam",
        }
    }

    /// The measurement called `name` in JSON (`bust` is accepted for `chest`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "bust" => Some(Measurement::Chest),
            _ => Self::ALL.into_iter().find(|m| m.name() == name),
        }
    }
}

/// A shopper's body measurements in centimetres.
pub type Measurements = BTreeMap<Measurement, f64>;

/// One size of a chart: its label and the body range it is made for, in centimetres.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSize {
    /// The label (`M`, `40`, ...).
    pub label: String,
    /// `[min, max]` per measurement, in centimetres.
    pub ranges: BTreeMap<Measurement, [f64; 2]>,
}

/// A validated size chart in centimetres, smallest size first.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeChart {
    /// The sizes in the chart's order.
    pub sizes: Vec<ChartSize>,
}

/// Why a size chart was refused; `path` names the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// Not JSON, or not an object of the expected shape.
    #[error("size chart is not of the form {{\"unit\": ..., \"sizes\": {{...}}}}: {0}")]
    Malformed(String),
    /// A required field is absent.
    #[error("{path}: missing")]
    Missing {
        /// The absent field.
        path: String,
    },
    /// The unit is neither `cm` nor `in`.
    #[error("{path}: unknown unit {unit}; expected \"cm\" or \"in\"")]
    UnknownUnit {
        /// Where.
        path: String,
        /// The unit given, as JSON.
        unit: String,
    },
    /// A measurement name the schema does not know.
    #[error("{path}: unknown measurement; expected one of chest, waist, hip, height, inseam")]
    UnknownMeasurement {
        /// Where.
        path: String,
    },
    /// A value that is not `[min, max]`.
    #[error("{path}: expected [min, max], two numbers")]
    NotARange {
        /// Where.
        path: String,
    },
    /// A range that is not positive and ordered.
    #[error("{path}: [{min}, {max}] is not a range with 0 < min <= max")]
    BadRange {
        /// Where.
        path: String,
        /// The minimum given.
        min: f64,
        /// The maximum given.
        max: f64,
    },
    /// No sizes at all.
    #[error("{path}: the chart has no sizes")]
    NoSizes {
        /// Where.
        path: String,
    },
    /// A size without measurements.
    #[error("{path}: a size needs at least one measurement")]
    EmptySize {
        /// Where.
        path: String,
    },
    /// The same size label twice.
    #[error("{path}: size listed twice")]
    DuplicateSize {
        /// Where.
        path: String,
    },
    /// A size that is not larger than the one listed before it.
    #[error("{path}: not larger than size {previous}; list sizes smallest first")]
    SizesOutOfOrder {
        /// Where.
        path: String,
        /// The size listed before it.
        previous: String,
    },
}

/// A JSON object's entries in document order (a map would sort or shuffle the size labels).
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, T>()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChart {
    unit: Option<serde_json::Value>,
    sizes: Option<Ordered<Ordered<serde_json::Value>>>,
}

impl SizeChart {
    /// Parses and validates a chart from its JSON text.
    ///
    /// # Errors
    /// A [`ChartError`] naming the first field at fault.
    pub fn from_json(text: &str) -> Result<Self, ChartError> {
        let raw: RawChart =
            serde_json::from_str(text).map_err(|e| ChartError::Malformed(e.to_string()))?;
        let scale = match &raw.unit {
            None => {
                return Err(ChartError::Missing {
                    path: "unit".into(),
                });
            }
            Some(serde_json::Value::String(u)) if u == "cm" => 1.0,
            Some(serde_json::Value::String(u)) if u == "in" => CM_PER_INCH,
            Some(other) => {
                return Err(ChartError::UnknownUnit {
                    path: "unit".into(),
                    unit: other.to_string(),
                });
            }
        };
        let Some(Ordered(raw_sizes)) = raw.sizes else {
            return Err(ChartError::Missing {
                path: "sizes".into(),
            });
        };
        if raw_sizes.is_empty() {
            return Err(ChartError::NoSizes {
                path: "sizes".into(),
            });
        }
        let mut sizes: Vec<ChartSize> = Vec::with_capacity(raw_sizes.len());
        for (label, Ordered(entries)) in raw_sizes {
            let path = format!("sizes.{label}");
            if sizes.iter().any(|s| s.label == label) {
                return Err(ChartError::DuplicateSize { path });
            }
            if entries.is_empty() {
                return Err(ChartError::EmptySize { path });
            }
            let mut ranges = BTreeMap::new();
            for (name, value) in entries {
                let path = format!("{path}.{name}");
                let measurement = Measurement::from_name(&name)
                    .ok_or(ChartError::UnknownMeasurement { path: path.clone() })?;
                ranges.insert(measurement, range_in_cm(&value, scale, &path)?);
            }
            check_larger_than_previous(&sizes, &label, &ranges)?;
            sizes.push(ChartSize { label, ranges });
        }
        Ok(SizeChart { sizes })
    }

    /// The size labelled `label`, if the chart has it.
    pub fn size(&self, label: &str) -> Option<&ChartSize> {
        self.sizes.iter().find(|s| s.label == label)
    }
}

fn range_in_cm(value: &serde_json::Value, scale: f64, path: &str) -> Result<[f64; 2], ChartError> {
    let not_a_range = || ChartError::NotARange { path: path.into() };
    let items = value.as_array().ok_or_else(not_a_range)?;
    let [min, max] = items.as_slice() else {
        return Err(not_a_range());
    };
    let (min, max) = (
        min.as_f64().ok_or_else(not_a_range)?,
        max.as_f64().ok_or_else(not_a_range)?,
    );
    if !(min > 0.0 && min <= max) {
        return Err(ChartError::BadRange {
            path: path.into(),
            min,
            max,
        });
    }
    Ok([min * scale, max * scale])
}

/// Each measurement's range centre must grow from the last earlier size that has it.
fn check_larger_than_previous(
    earlier: &[ChartSize],
    label: &str,
    ranges: &BTreeMap<Measurement, [f64; 2]>,
) -> Result<(), ChartError> {
    for (measurement, [min, max]) in ranges {
        let previous = earlier
            .iter()
            .rev()
            .find_map(|s| s.ranges.get(measurement).map(|r| (s, r)));
        if let Some((previous, [pmin, pmax])) = previous
            && min + max <= pmin + pmax
        {
            return Err(ChartError::SizesOutOfOrder {
                path: format!("sizes.{label}.{}", measurement.name()),
                previous: previous.label.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHART: &str = r#"{"unit": "cm", "sizes": {
        "S": {"chest": [84, 90], "waist": [70, 76]},
        "M": {"chest": [90, 96], "waist": [76, 82], "hip": [94, 100]},
        "L": {"bust": [96, 102], "waist": [82, 88]}}}"#;

    #[test]
    fn keeps_the_charts_order_and_values() {
        let chart = SizeChart::from_json(CHART).unwrap();
        let labels: Vec<_> = chart.sizes.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["S", "M", "L"]);
        assert_eq!(
            chart.size("M").unwrap().ranges[&Measurement::Hip],
            [94.0, 100.0]
        );
        assert_eq!(
            chart.size("L").unwrap().ranges[&Measurement::Chest],
            [96.0, 102.0]
        );
    }

    #[test]
    fn converts_inches_to_centimetres() {
        let chart =
            SizeChart::from_json(r#"{"unit": "in", "sizes": {"M": {"chest": [36, 38]}}}"#).unwrap();
        let [min, max] = chart.sizes[0].ranges[&Measurement::Chest];
        assert!((min - 91.44).abs() < 1e-9 && (max - 96.52).abs() < 1e-9);
    }

    fn error(text: &str) -> ChartError {
        SizeChart::from_json(text).unwrap_err()
    }

    #[test]
    fn names_the_field_at_fault() {
        let path = |e: ChartError| match e {
            ChartError::Missing { path }
            | ChartError::UnknownUnit { path, .. }
            | ChartError::UnknownMeasurement { path }
            | ChartError::NotARange { path }
            | ChartError::BadRange { path, .. }
            | ChartError::NoSizes { path }
            | ChartError::EmptySize { path }
            | ChartError::DuplicateSize { path }
            | ChartError::SizesOutOfOrder { path, .. } => path,
            ChartError::Malformed(m) => panic!("malformed: {m}"),
        };
        let cases = [
            (r#"{"sizes": {"M": {"chest": [1, 2]}}}"#, "unit"),
            (
                r#"{"unit": "mm", "sizes": {"M": {"chest": [1, 2]}}}"#,
                "unit",
            ),
            (r#"{"unit": "cm"}"#, "sizes"),
            (r#"{"unit": "cm", "sizes": {}}"#, "sizes"),
            (r#"{"unit": "cm", "sizes": {"M": {}}}"#, "sizes.M"),
            (
                r#"{"unit": "cm", "sizes": {"M": {"neckk": [1, 2]}}}"#,
                "sizes.M.neckk",
            ),
            (
                r#"{"unit": "cm", "sizes": {"M": {"chest": [1]}}}"#,
                "sizes.M.chest",
            ),
            (
                r#"{"unit": "cm", "sizes": {"M": {"chest": "90-96"}}}"#,
                "sizes.M.chest",
            ),
            (
                r#"{"unit": "cm", "sizes": {"M": {"chest": [96, 90]}}}"#,
                "sizes.M.chest",
            ),
            (
                r#"{"unit": "cm", "sizes": {"M": {"chest": [0, 90]}}}"#,
                "sizes.M.chest",
            ),
            (
                r#"{"unit": "cm", "sizes": {"M": {"chest": [90, 96]}, "M": {"chest": [96, 99]}}}"#,
                "sizes.M",
            ),
            (
                r#"{"unit": "cm", "sizes": {"L": {"chest": [96, 102]}, "M": {"chest": [90, 96]}}}"#,
                "sizes.M.chest",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(path(error(text)), expected, "{text}");
        }
    }

    #[test]
    fn refuses_other_shapes() {
        assert!(matches!(error("[1, 2]"), ChartError::Malformed(_)));
        assert!(matches!(
            error(r#"{"unit": "cm", "sizes": {}, "x": 1}"#),
            ChartError::Malformed(_)
        ));
        assert!(matches!(
            error(r#"{"unit": "cm", "sizes": []}"#),
            ChartError::Malformed(_)
        ));
        assert!(matches!(
            error(r#"{"unit": "in", "sizes": {"S": {"chest": [34, 36]}, "M": {"chest": [34, 36]}}}"#),
            ChartError::SizesOutOfOrder { previous, .. } if previous == "S"
        ));
    }
}
