//! A shopper's saved body measurements (`shopper_measurements`, one JSON object of centimetres
//! per account): validated by fitview-insights before they are stored, read for each size
//! recommendation, exported with the account and deleted with it.

use fitview_insights::recommend::size::{Measurements, measurements_from_json};
use serde_json::{Map, Value};
use sqlx::AnyPool;

/// Measurements as JSON, `{"chest": 96.0, ...}` (the names fitview-insights reads back).
pub fn to_json(measurements: &Measurements) -> Value {
    let mut out = Map::new();
    for (measurement, cm) in measurements {
        out.insert(measurement.name().to_owned(), Value::from(*cm));
    }
    Value::Object(out)
}

/// Stores (or replaces) a shopper's measurements.
pub async fn save(
    db: &AnyPool,
    user_id: &str,
    measurements: &Measurements,
) -> Result<(), sqlx::Error> {
    let text = to_json(measurements).to_string();
    let now = crate::db::now();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM shopper_measurements WHERE user_id = $1")
        .bind(user_id.to_owned())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO shopper_measurements (user_id, measurements, updated_at) VALUES ($1, $2, $3)",
    )
    .bind(user_id.to_owned())
    .bind(text)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A shopper's saved measurements, if any (a stored row that no longer validates counts as
/// none).
pub async fn load(db: &AnyPool, user_id: &str) -> Result<Option<Measurements>, sqlx::Error> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT measurements FROM shopper_measurements WHERE user_id = $1")
            .bind(user_id.to_owned())
            .fetch_optional(db)
            .await?;
    Ok(text.and_then(|t| measurements_from_json(&t).ok()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_round_trips_through_the_validator() {
        let m = super::measurements_from_json(r#"{"bust": 96, "waist": 81.5}"#).unwrap();
        let json = super::to_json(&m);
        assert_eq!(json, serde_json::json!({"chest": 96.0, "waist": 81.5}));
        assert_eq!(super::measurements_from_json(&json.to_string()).unwrap(), m);
    }
}
