//! How shoppers follow size recommendations, for the retailer: of the carts and purchases a
//! shopper made of a product after being shown a size for it, the share in the recommended size,
//! and the return rate of purchases in the recommended size against those in another size.
//!
//! Each cart add and purchase is judged against the latest `size_recommended` shown to the same
//! shopper for the same product before it; a return, against the size recommended when that
//! shopper bought that size (whatever their order in time: a shop may report a purchase and its
//! return in one batch). Events of shoppers never shown a size do not count.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{AnyPool, Row};
use utoipa::ToSchema;

/// One stored event, as the figures read it.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptanceRow {
    /// `size_recommended`, `recommendation_shown`, `cart_added`, `purchased` or `returned`.
    pub kind: String,
    /// The shopper.
    pub user_id: String,
    /// The product.
    pub product_id: String,
    /// The size (the recommended one for `size_recommended`).
    pub size: Option<String>,
    /// Units.
    pub quantity: i64,
}

/// Units after a recommendation, and how many were in the recommended size.
#[derive(Debug, Default, Clone, PartialEq, Serialize, ToSchema)]
pub struct Followed {
    /// Units carted or bought after a size was shown.
    pub after_recommendation: i64,
    /// Of those, units in the recommended size.
    pub in_recommended_size: i64,
    /// `in_recommended_size / after_recommendation` (0 without any).
    pub share: f64,
}

/// Purchases and their returns.
#[derive(Debug, Default, Clone, PartialEq, Serialize, ToSchema)]
pub struct Returns {
    /// Units bought.
    pub purchased: i64,
    /// Units returned, for any reason.
    pub returned: i64,
    /// `returned / purchased` (0 without purchases).
    pub rate: f64,
}

/// The acceptance figures.
#[derive(Debug, Default, Clone, PartialEq, Serialize, ToSchema)]
pub struct Acceptance {
    /// Size recommendations shown.
    pub sizes_shown: i64,
    /// Products suggested ("for you", "you may also like").
    pub products_shown: i64,
    /// Carts after a size was shown.
    pub carts: Followed,
    /// Purchases after a size was shown.
    pub purchases: Followed,
    /// Purchases in the recommended size, and their returns.
    pub returns_in_recommended_size: Returns,
    /// Purchases in another size after a size was shown, and their returns.
    pub returns_in_other_sizes: Returns,
}

fn ratio(part: i64, whole: i64) -> f64 {
    if whole > 0 {
        part as f64 / whole as f64
    } else {
        0.0
    }
}

/// The figures of `rows`, in the order they happened.
pub fn acceptance(rows: &[AcceptanceRow]) -> Acceptance {
    let mut out = Acceptance::default();
    // (shopper, product) -> the size last recommended.
    let mut recommended: HashMap<(&str, &str), &str> = HashMap::new();
    // (shopper, product, size) bought after a recommendation -> whether it was the recommended.
    let mut bought: HashMap<(&str, &str, &str), bool> = HashMap::new();
    for row in rows {
        let key = (row.user_id.as_str(), row.product_id.as_str());
        let size = row.size.as_deref().unwrap_or("");
        match row.kind.as_str() {
            "size_recommended" => {
                out.sizes_shown += 1;
                recommended.insert(key, size);
            }
            "recommendation_shown" => out.products_shown += 1,
            "cart_added" | "purchased" => {
                let Some(&shown) = recommended.get(&key) else {
                    continue;
                };
                let followed = shown == size;
                let figures = if row.kind == "cart_added" {
                    &mut out.carts
                } else {
                    bought.insert((key.0, key.1, size), followed);
                    let returns = if followed {
                        &mut out.returns_in_recommended_size
                    } else {
                        &mut out.returns_in_other_sizes
                    };
                    returns.purchased += row.quantity;
                    &mut out.purchases
                };
                figures.after_recommendation += row.quantity;
                if followed {
                    figures.in_recommended_size += row.quantity;
                }
            }
            _ => {}
        }
    }
    // Returns after the purchases (one batch may carry both with the same time).
    for row in rows.iter().filter(|r| r.kind == "returned") {
        let size = row.size.as_deref().unwrap_or("");
        match bought.get(&(row.user_id.as_str(), row.product_id.as_str(), size)) {
            Some(true) => out.returns_in_recommended_size.returned += row.quantity,
            Some(false) => out.returns_in_other_sizes.returned += row.quantity,
            None => {}
        }
    }
    for f in [&mut out.carts, &mut out.purchases] {
        f.share = ratio(f.in_recommended_size, f.after_recommendation);
    }
    for r in [
        &mut out.returns_in_recommended_size,
        &mut out.returns_in_other_sizes,
    ] {
        r.returned = r.returned.min(r.purchased);
        r.rate = ratio(r.returned, r.purchased);
    }
    out
}

/// A retailer's events between two times (milliseconds), oldest first, optionally of one
/// product.
pub async fn load(
    db: &AnyPool,
    retailer: &str,
    product: Option<&str>,
    (from_ms, to_ms): (i64, i64),
) -> Result<Vec<AcceptanceRow>, sqlx::Error> {
    let sql = format!(
        "SELECT kind, user_id, product_id, size, quantity FROM analytics_events \
         WHERE retailer_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND user_id IS NOT NULL \
         AND kind IN ('size_recommended', 'recommendation_shown', 'cart_added', 'purchased', 'returned'){} \
         ORDER BY occurred_at, received_at, id",
        if product.is_some() {
            " AND product_id = $4"
        } else {
            ""
        }
    );
    let mut query = sqlx::query(&sql)
        .bind(retailer.to_owned())
        .bind(from_ms)
        .bind(to_ms);
    if let Some(product) = product {
        query = query.bind(product.to_owned());
    }
    let mut out = Vec::new();
    for row in query.fetch_all(db).await? {
        let row = AcceptanceRow {
            kind: row.try_get(0)?,
            user_id: row.try_get(1)?,
            product_id: row.try_get(2)?,
            size: row.try_get(3)?,
            quantity: row.try_get(4)?,
        };
        out.push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, user: &str, size: &str, quantity: i64) -> AcceptanceRow {
        AcceptanceRow {
            kind: kind.to_owned(),
            user_id: user.to_owned(),
            product_id: "p".to_owned(),
            size: Some(size.to_owned()),
            quantity,
        }
    }

    #[test]
    fn judges_carts_purchases_and_returns_against_the_size_shown() {
        let rows = [
            // Bought before any recommendation: not counted.
            row("purchased", "a", "S", 1),
            row("size_recommended", "a", "M", 1),
            row("cart_added", "a", "M", 2),
            row("purchased", "a", "M", 2),
            row("returned", "a", "M", 1),
            row("size_recommended", "b", "L", 1),
            row("cart_added", "b", "M", 1),
            row("purchased", "b", "M", 1),
            row("returned", "b", "M", 1),
            row("recommendation_shown", "b", "", 1),
            // Never shown a size.
            row("purchased", "c", "M", 5),
        ];
        let a = acceptance(&rows);
        assert_eq!(a.sizes_shown, 2);
        assert_eq!(a.products_shown, 1);
        assert_eq!(
            a.carts,
            Followed {
                after_recommendation: 3,
                in_recommended_size: 2,
                share: 2.0 / 3.0
            }
        );
        assert_eq!(a.purchases.after_recommendation, 3);
        assert_eq!(a.purchases.in_recommended_size, 2);
        assert_eq!(
            a.returns_in_recommended_size,
            Returns {
                purchased: 2,
                returned: 1,
                rate: 0.5
            }
        );
        assert_eq!(
            a.returns_in_other_sizes,
            Returns {
                purchased: 1,
                returned: 1,
                rate: 1.0
            }
        );
    }
}
