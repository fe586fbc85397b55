//! A shopper's saved body measurements, `{"chest": 96, "waist": 82, "hip": 100, "height": 180}` in
//! centimetres, as `PUT /api/v1/me/measurements` receives them: every name a known
//! [`Measurement`], every value a number in `(0, 300]` cm, at least one given.

use serde_json::Value;

use crate::recommend::size::{Measurement, Measurements};

/// The largest plausible body measurement, in centimetres (taller than anyone, wider than most
/// charts go): larger values are typing mistakes.
const MAX_CM: f64 = 300.0;

/// Why saved measurements were refused; `path` names the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MeasurementsError {
    /// Not a JSON object.
    #[error("measurements must be a JSON object of centimetres: {0}")]
    Malformed(String),
    /// The object is empty.
    #[error("no measurements given")]
    Empty,
    /// A name the schema does not know.
    #[error("{path}: unknown measurement; expected one of chest, waist, hip, height, inseam")]
    UnknownMeasurement {
        /// Where.
        path: String,
    },
    /// A value that is not a number of centimetres in range.
    #[error("{path}: expected a number of centimetres in (0, 300]")]
    OutOfRange {
        /// Where.
        path: String,
    },
}

/// Parses and validates saved measurements from JSON text.
///
/// # Errors
/// A [`MeasurementsError`] naming the first field at fault.
pub fn measurements_from_json(text: &str) -> Result<Measurements, MeasurementsError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| MeasurementsError::Malformed(e.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(MeasurementsError::Malformed("not an object".into()));
    };
    if fields.is_empty() {
        return Err(MeasurementsError::Empty);
    }
    let mut out = Measurements::new();
    for (name, value) in fields {
        let measurement = Measurement::from_name(&name)
            .ok_or(MeasurementsError::UnknownMeasurement { path: name.clone() })?;
        match value.as_f64() {
            Some(cm) if cm > 0.0 && cm <= MAX_CM => {
                out.insert(measurement, cm);
            }
            _ => return Err(MeasurementsError::OutOfRange { path: name }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_known_measurements_in_centimetres() {
        let m = measurements_from_json(r#"{"bust": 96, "waist": 81.5, "height": 180}"#).unwrap();
        assert_eq!(m[&Measurement::Chest], 96.0);
        assert_eq!(m[&Measurement::Waist], 81.5);
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn names_the_field_at_fault() {
        let unknown = |path: &str| MeasurementsError::UnknownMeasurement { path: path.into() };
        let range = |path: &str| MeasurementsError::OutOfRange { path: path.into() };
        assert_eq!(
            measurements_from_json(r#"{"shoe": 42}"#),
            Err(unknown("shoe"))
        );
        assert_eq!(
            measurements_from_json(r#"{"chest": -1}"#),
            Err(range("chest"))
        );
        assert_eq!(
            measurements_from_json(r#"{"chest": 9600}"#),
            Err(range("chest"))
        );
        assert_eq!(
            measurements_from_json(r#"{"hip": "100"}"#),
            Err(range("hip"))
        );
        assert_eq!(measurements_from_json("{}"), Err(MeasurementsError::Empty));
        assert!(matches!(
            measurements_from_json("[96]"),
            Err(MeasurementsError::Malformed(_))
        ));
    }
}
