//! A retailer's model photos and their metadata.

use sqlx::AnyPool;

use super::{Arg, Conditions};

/// A model record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ModelRow {
    /// Id.
    pub id: String,
    /// Owning retailer.
    pub retailer_id: String,
    /// Name shown to shoppers.
    pub name: String,
    /// Body type (free text, e.g. `slim`, `curvy`).
    pub body_type: Option<String>,
    /// Clothing size worn (e.g. `M`).
    pub size: Option<String>,
    /// Height in centimetres.
    pub height_cm: Option<f64>,
    /// Measurements as a JSON object.
    pub measurements: Option<String>,
    /// Skin tone (free text).
    pub skin_tone: Option<String>,
    /// Body landmarks as JSON.
    pub landmarks: Option<String>,
    /// Stored photo's file name under the uploads directory.
    pub image_file: String,
    /// Photo width.
    pub image_width: i64,
    /// Photo height.
    pub image_height: i64,
    /// Try-ons made with this model.
    pub tryon_count: i64,
    /// Creation time.
    pub created_at: i64,
}

const COLUMNS: &str = "id, retailer_id, name, body_type, size, height_cm, measurements, skin_tone, \
                       landmarks, image_file, image_width, image_height, tryon_count, created_at";

/// Filters of a model listing.
#[derive(Debug, Default)]
pub struct ModelFilter {
    /// Only this retailer's models.
    pub retailer_id: Option<String>,
    /// Only this body type.
    pub body_type: Option<String>,
    /// Only this size.
    pub size: Option<String>,
    /// Most tried-on first instead of newest first.
    pub by_popularity: bool,
}

/// Inserts a model.
pub async fn insert(pool: &AnyPool, m: &ModelRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO models ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(m.id.clone())
    .bind(m.retailer_id.clone())
    .bind(m.name.clone())
    .bind(m.body_type.clone())
    .bind(m.size.clone())
    .bind(m.height_cm)
    .bind(m.measurements.clone())
    .bind(m.skin_tone.clone())
    .bind(m.landmarks.clone())
    .bind(m.image_file.clone())
    .bind(m.image_width)
    .bind(m.image_height)
    .bind(m.tryon_count)
    .bind(m.created_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The model with this id, if it is in `scope` (a retailer id; `None` for any retailer).
pub async fn get(
    pool: &AnyPool,
    id: &str,
    scope: Option<&str>,
) -> Result<Option<ModelRow>, sqlx::Error> {
    let mut c = Conditions::default();
    c.push("id = {}", Arg::Text(id.to_owned()));
    c.push_opt("retailer_id = {}", scope.map(|s| Arg::Text(s.to_owned())));
    let sql = c.sql(&format!("SELECT {COLUMNS} FROM models"), "", None);
    c.bind(sqlx::query_as(&sql)).fetch_optional(pool).await
}

/// A page of models matching the filter.
pub async fn list(
    pool: &AnyPool,
    filter: &ModelFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ModelRow>, sqlx::Error> {
    let mut c = Conditions::default();
    c.push_opt(
        "retailer_id = {}",
        filter.retailer_id.clone().map(Arg::Text),
    );
    c.push_opt("body_type = {}", filter.body_type.clone().map(Arg::Text));
    c.push_opt("size = {}", filter.size.clone().map(Arg::Text));
    let order = if filter.by_popularity {
        "ORDER BY tryon_count DESC, created_at DESC, id"
    } else {
        "ORDER BY created_at DESC, id"
    };
    let sql = c.sql(
        &format!("SELECT {COLUMNS} FROM models"),
        order,
        Some((limit, offset)),
    );
    c.bind(sqlx::query_as(&sql)).fetch_all(pool).await
}

/// Replaces a model's details and photo (its id, owner, popularity and creation time stay);
/// false when this retailer has no such model.
pub async fn update(pool: &AnyPool, m: &ModelRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE models SET name = $1, body_type = $2, size = $3, height_cm = $4, \
         measurements = $5, skin_tone = $6, landmarks = $7, image_file = $8, image_width = $9, \
         image_height = $10 WHERE id = $11 AND retailer_id = $12",
    )
    .bind(m.name.clone())
    .bind(m.body_type.clone())
    .bind(m.size.clone())
    .bind(m.height_cm)
    .bind(m.measurements.clone())
    .bind(m.skin_tone.clone())
    .bind(m.landmarks.clone())
    .bind(m.image_file.clone())
    .bind(m.image_width)
    .bind(m.image_height)
    .bind(m.id.clone())
    .bind(m.retailer_id.clone())
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a model of this retailer; false when there is none.
pub async fn delete(pool: &AnyPool, id: &str, retailer_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM models WHERE id = $1 AND retailer_id = $2")
        .bind(id.to_owned())
        .bind(retailer_id.to_owned())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Counts one more try-on of a model (its popularity).
pub async fn count_tryon(pool: &AnyPool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE models SET tryon_count = tryon_count + 1 WHERE id = $1")
        .bind(id.to_owned())
        .execute(pool)
        .await?;
    Ok(())
}
