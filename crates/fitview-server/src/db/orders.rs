//! Orders: a checked-out cart, handed to each retailer as its own order. FitView takes no
//! payment; the retailer reads the order and deals with the shopper.

use std::collections::BTreeMap;

use sqlx::AnyPool;

use super::cart::{self, CartLine};

/// An order as a shopper or retailer sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    /// Id.
    pub id: String,
    /// The shopper.
    pub user_id: String,
    /// The retailer it is for.
    pub retailer_id: String,
    /// Sum of the lines, minor units.
    pub total_cents: i64,
    /// Currency.
    pub currency: String,
    /// When it was placed.
    pub created_at: i64,
}

/// Why a cart could not be checked out.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// The cart has no lines.
    #[error("the cart is empty")]
    Empty,
    /// A line asks for more units than are in stock.
    #[error("only {available} of {name} left in stock")]
    OutOfStock {
        /// The product's name.
        name: String,
        /// Units left.
        available: i64,
    },
    /// The lines of one retailer are priced in different currencies.
    #[error("the cart mixes currencies for one shop")]
    MixedCurrencies,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Turns the user's cart into one order per retailer, takes the units out of stock and empties
/// the cart, all at once or not at all.
pub async fn checkout(pool: &AnyPool, user_id: &str) -> Result<Vec<OrderRow>, CheckoutError> {
    let lines = cart::lines(pool, user_id).await?;
    if lines.is_empty() {
        return Err(CheckoutError::Empty);
    }
    let mut by_retailer: BTreeMap<&str, Vec<&CartLine>> = BTreeMap::new();
    for line in &lines {
        by_retailer
            .entry(line.retailer_id.as_str())
            .or_default()
            .push(line);
    }
    let now = super::now();
    let mut tx = pool.begin().await?;
    // The cart is taken first, inside the transaction: a second checkout of the same cart at
    // the same moment (a double click, two tabs) waits for this one and then finds it gone, so
    // one cart makes one set of orders.
    let taken = sqlx::query("DELETE FROM cart_lines WHERE user_id = $1")
        .bind(user_id.to_owned())
        .execute(&mut *tx)
        .await?;
    if taken.rows_affected() != lines.len() as u64 {
        return Err(CheckoutError::Empty);
    }
    let mut orders = Vec::new();
    for (retailer_id, lines) in by_retailer {
        let currency = lines[0].currency.clone();
        if lines.iter().any(|l| l.currency != currency) {
            return Err(CheckoutError::MixedCurrencies);
        }
        let order = OrderRow {
            id: super::new_id(),
            user_id: user_id.to_owned(),
            retailer_id: retailer_id.to_owned(),
            total_cents: lines.iter().map(|l| l.price_cents * l.quantity).sum(),
            currency,
            created_at: now,
        };
        sqlx::query(
            "INSERT INTO orders (id, user_id, retailer_id, total_cents, currency, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(order.id.clone())
        .bind(order.user_id.clone())
        .bind(order.retailer_id.clone())
        .bind(order.total_cents)
        .bind(order.currency.clone())
        .bind(order.created_at)
        .execute(&mut *tx)
        .await?;
        for line in lines {
            let taken =
                sqlx::query("UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1")
                    .bind(line.quantity)
                    .bind(line.product_id.clone())
                    .execute(&mut *tx)
                    .await?;
            if taken.rows_affected() == 0 {
                return Err(CheckoutError::OutOfStock {
                    name: line.name.clone(),
                    available: line.stock,
                });
            }
            sqlx::query(
                "INSERT INTO order_lines (id, order_id, product_id, name, size, quantity, \
                 price_cents, tryon_image) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(super::new_id())
            .bind(order.id.clone())
            .bind(line.product_id.clone())
            .bind(line.name.clone())
            .bind(line.size.clone())
            .bind(line.quantity)
            .bind(line.price_cents)
            .bind(line.tryon_image.clone())
            .execute(&mut *tx)
            .await?;
        }
        orders.push(order);
    }
    tx.commit().await?;
    Ok(orders)
}

/// A retailer's orders, newest first.
pub async fn for_retailer(
    pool: &AnyPool,
    retailer_id: &str,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, retailer_id, total_cents, currency, created_at FROM orders \
         WHERE retailer_id = $1 ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(retailer_id.to_owned())
    .bind(limit)
    .fetch_all(pool)
    .await
}
