//! A retailer's products: details, stock, size chart and garment photo.

use sqlx::AnyPool;

use super::search::{self, Dialect, SearchQuery, SearchSql};
use super::{Arg, Conditions};

/// A product record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    /// Id.
    pub id: String,
    /// Owning retailer.
    pub retailer_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Shop category (free text, e.g. `shirts`).
    pub category: String,
    /// Garment category for the engine (`top`, `bottom`, ...).
    pub garment_category: String,
    /// Sizes on sale, as a JSON array of strings.
    pub sizes: String,
    /// Colour.
    pub colour: Option<String>,
    /// Price in minor units.
    pub price_cents: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// Units in stock.
    pub stock: i64,
    /// Size chart as JSON.
    pub size_chart: Option<String>,
    /// Stored garment photo's file name, once uploaded.
    pub image_file: Option<String>,
    /// Photo width.
    pub image_width: Option<i64>,
    /// Photo height.
    pub image_height: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

const COLUMNS: &str = "id, retailer_id, name, description, category, garment_category, sizes, \
                       colour, price_cents, currency, stock, size_chart, image_file, image_width, \
                       image_height, created_at, updated_at";

/// Filters of a product listing.
#[derive(Debug, Default, Clone)]
pub struct ProductFilter {
    /// Only this retailer's products.
    pub retailer_id: Option<String>,
    /// Only this shop category.
    pub category: Option<String>,
    /// Only products sold in this size.
    pub size: Option<String>,
    /// Only this colour (case-insensitive).
    pub colour: Option<String>,
    /// Lowest price, minor units.
    pub min_price_cents: Option<i64>,
    /// Highest price, minor units.
    pub max_price_cents: Option<i64>,
    /// Words searched in name and description (ranked full-text search, best match first).
    pub query: Option<String>,
}

/// Inserts a product (and indexes it for search).
pub async fn insert(pool: &AnyPool, p: &ProductRow) -> Result<(), sqlx::Error> {
    let dialect = Dialect::of(pool);
    let mut tx = pool.begin().await?;
    sqlx::query(&format!(
        "INSERT INTO products ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    ))
    .bind(p.id.clone())
    .bind(p.retailer_id.clone())
    .bind(p.name.clone())
    .bind(p.description.clone())
    .bind(p.category.clone())
    .bind(p.garment_category.clone())
    .bind(p.sizes.clone())
    .bind(p.colour.clone())
    .bind(p.price_cents)
    .bind(p.currency.clone())
    .bind(p.stock)
    .bind(p.size_chart.clone())
    .bind(p.image_file.clone())
    .bind(p.image_width)
    .bind(p.image_height)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(&mut *tx)
    .await?;
    search::index(&mut tx, dialect, &p.id, &p.name, &p.description).await?;
    tx.commit().await
}

/// Replaces a product's details (not its image), re-indexing it for search; false when this
/// retailer has no such product.
pub async fn update(pool: &AnyPool, p: &ProductRow) -> Result<bool, sqlx::Error> {
    let dialect = Dialect::of(pool);
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE products SET name = $1, description = $2, category = $3, garment_category = $4, \
         sizes = $5, colour = $6, price_cents = $7, currency = $8, stock = $9, size_chart = $10, \
         updated_at = $11 WHERE id = $12 AND retailer_id = $13",
    )
    .bind(p.name.clone())
    .bind(p.description.clone())
    .bind(p.category.clone())
    .bind(p.garment_category.clone())
    .bind(p.sizes.clone())
    .bind(p.colour.clone())
    .bind(p.price_cents)
    .bind(p.currency.clone())
    .bind(p.stock)
    .bind(p.size_chart.clone())
    .bind(p.updated_at)
    .bind(p.id.clone())
    .bind(p.retailer_id.clone())
    .execute(&mut *tx)
    .await?;
    let updated = done.rows_affected() > 0;
    if updated {
        search::index(&mut tx, dialect, &p.id, &p.name, &p.description).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Records a product's garment photo.
pub async fn set_image(
    pool: &AnyPool,
    id: &str,
    retailer_id: &str,
    file: &str,
    size: (u32, u32),
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE products SET image_file = $1, image_width = $2, image_height = $3, updated_at = $4 \
         WHERE id = $5 AND retailer_id = $6",
    )
    .bind(file.to_owned())
    .bind(i64::from(size.0))
    .bind(i64::from(size.1))
    .bind(super::now())
    .bind(id.to_owned())
    .bind(retailer_id.to_owned())
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The product with this id, if it is in `scope` (a retailer id; `None` for any retailer).
pub async fn get(
    pool: &AnyPool,
    id: &str,
    scope: Option<&str>,
) -> Result<Option<ProductRow>, sqlx::Error> {
    let mut c = Conditions::default();
    c.push("id = {}", Arg::Text(id.to_owned()));
    c.push_opt("retailer_id = {}", scope.map(|s| Arg::Text(s.to_owned())));
    let sql = c.sql(&format!("SELECT {COLUMNS} FROM products"), "", None);
    c.bind(sqlx::query_as(&sql)).fetch_optional(pool).await
}

/// A page of products matching the filter: best search match first when the filter has a
/// query, else newest first.
pub async fn list(
    pool: &AnyPool,
    filter: &ProductFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ProductRow>, sqlx::Error> {
    let mut c = Conditions::default();
    let mut from = "FROM products".to_owned();
    let mut order = "ORDER BY products.created_at DESC, products.id".to_owned();
    if let Some(query) = filter.query.as_deref().and_then(SearchQuery::parse) {
        let dialect = Dialect::of(pool);
        let sql = SearchSql::of(dialect);
        let placeholder = c.push_arg(Arg::Text(query.expression(dialect)));
        c.push_clause(sql.condition.replace("{}", &placeholder));
        from = format!("{from} {}", sql.join);
        order = format!(
            "ORDER BY {}, products.created_at DESC, products.id",
            sql.order.replace("{}", &placeholder)
        );
    }
    c.push_opt(
        "retailer_id = {}",
        filter.retailer_id.clone().map(Arg::Text),
    );
    c.push_opt("category = {}", filter.category.clone().map(Arg::Text));
    // Sizes are a JSON array of strings: match the quoted element.
    c.push_opt(
        "sizes LIKE {} ESCAPE '\\'",
        filter
            .size
            .as_deref()
            .map(|s| Arg::Text(json_element_pattern(s))),
    );
    c.push_opt(
        "LOWER(colour) = {}",
        filter
            .colour
            .as_deref()
            .map(|s| Arg::Text(s.to_lowercase())),
    );
    c.push_opt("price_cents >= {}", filter.min_price_cents.map(Arg::Int));
    c.push_opt("price_cents <= {}", filter.max_price_cents.map(Arg::Int));
    let columns = qualified_columns();
    let sql = c.sql(
        &format!("SELECT {columns} {from}"),
        &order,
        Some((limit, offset)),
    );
    c.bind(sqlx::query_as(&sql)).fetch_all(pool).await
}

/// The columns, each prefixed with `products.` (for statements that join the search index).
fn qualified_columns() -> String {
    COLUMNS
        .split(',')
        .map(|c| format!("products.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Deletes a product of this retailer (and its search entry); false when there is none.
pub async fn delete(pool: &AnyPool, id: &str, retailer_id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query("DELETE FROM products WHERE id = $1 AND retailer_id = $2")
        .bind(id.to_owned())
        .bind(retailer_id.to_owned())
        .execute(&mut *tx)
        .await?;
    let deleted = done.rows_affected() > 0;
    if deleted {
        search::remove(&mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

/// The shop categories in use, with their product counts.
pub async fn categories(
    pool: &AnyPool,
    scope: Option<&str>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let mut c = Conditions::default();
    c.push_opt("retailer_id = {}", scope.map(|s| Arg::Text(s.to_owned())));
    let sql = c.sql(
        "SELECT category, COUNT(*) AS n FROM products",
        "GROUP BY category ORDER BY category",
        None,
    );
    c.bind(sqlx::query_as::<_, (String, i64)>(&sql))
        .fetch_all(pool)
        .await
}

/// `LIKE` pattern matching `"value"` inside a JSON array of strings.
fn json_element_pattern(value: &str) -> String {
    let quoted = serde_json::Value::String(value.to_owned()).to_string();
    let mut pattern = String::from("%");
    for c in quoted.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
