//! Shoppers' carts: one line per product and size, with the try-on image the shopper saw.

use sqlx::AnyPool;

/// A cart line with what the cart page shows of its product.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CartLine {
    /// Line id.
    pub id: String,
    /// The product.
    pub product_id: String,
    /// The product's retailer.
    pub retailer_id: String,
    /// The product's name.
    pub name: String,
    /// Size chosen.
    pub size: String,
    /// Units.
    pub quantity: i64,
    /// Unit price in minor units.
    pub price_cents: i64,
    /// Currency of the price.
    pub currency: String,
    /// Units in stock.
    pub stock: i64,
    /// URL of the try-on image added with the line.
    pub tryon_image: Option<String>,
}

/// Adds one unit of a product in a size (a new line, or one more on the existing line, whose
/// try-on image is replaced when a new one comes with it).
pub async fn add(
    pool: &AnyPool,
    user_id: &str,
    product_id: &str,
    size: &str,
    tryon_image: Option<&str>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let bumped = sqlx::query(
        "UPDATE cart_lines SET quantity = quantity + 1, \
         tryon_image = COALESCE($1, tryon_image) \
         WHERE user_id = $2 AND product_id = $3 AND size = $4",
    )
    .bind(tryon_image.map(str::to_owned))
    .bind(user_id.to_owned())
    .bind(product_id.to_owned())
    .bind(size.to_owned())
    .execute(&mut *tx)
    .await?;
    if bumped.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO cart_lines (id, user_id, product_id, size, quantity, tryon_image, \
             created_at) VALUES ($1, $2, $3, $4, 1, $5, $6)",
        )
        .bind(super::new_id())
        .bind(user_id.to_owned())
        .bind(product_id.to_owned())
        .bind(size.to_owned())
        .bind(tryon_image.map(str::to_owned))
        .bind(super::now())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Sets a line's quantity (removing it at zero); false when the user has no such line.
pub async fn set_quantity(
    pool: &AnyPool,
    user_id: &str,
    line_id: &str,
    quantity: i64,
) -> Result<bool, sqlx::Error> {
    if quantity <= 0 {
        return remove(pool, user_id, line_id).await;
    }
    let done = sqlx::query("UPDATE cart_lines SET quantity = $1 WHERE id = $2 AND user_id = $3")
        .bind(quantity)
        .bind(line_id.to_owned())
        .bind(user_id.to_owned())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes a line; false when the user has no such line.
pub async fn remove(pool: &AnyPool, user_id: &str, line_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM cart_lines WHERE id = $1 AND user_id = $2")
        .bind(line_id.to_owned())
        .bind(user_id.to_owned())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The user's cart, oldest line first.
pub async fn lines(pool: &AnyPool, user_id: &str) -> Result<Vec<CartLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT cart_lines.id, cart_lines.product_id, products.retailer_id, products.name, \
         cart_lines.size, cart_lines.quantity, products.price_cents, products.currency, \
         products.stock, cart_lines.tryon_image \
         FROM cart_lines JOIN products ON products.id = cart_lines.product_id \
         WHERE cart_lines.user_id = $1 ORDER BY cart_lines.created_at, cart_lines.id",
    )
    .bind(user_id.to_owned())
    .fetch_all(pool)
    .await
}

/// Units in the user's cart.
pub async fn count(pool: &AnyPool, user_id: &str) -> Result<i64, sqlx::Error> {
    let (n,): (Option<i64>,) =
        sqlx::query_as("SELECT CAST(SUM(quantity) AS BIGINT) FROM cart_lines WHERE user_id = $1")
            .bind(user_id.to_owned())
            .fetch_one(pool)
            .await?;
    Ok(n.unwrap_or(0))
}
