//! A retailer's stored rows as the records the insights models learn from: its products, the
//! purchases and returns its shop reported (`purchased` and `returned` events), and what its
//! signed-in shoppers tried on, carted and bought (try-on, cart and purchase events and the
//! storefront's orders).
//!
//! Ids become dense numbers ([`ProductId`], [`ShopperId`]) with maps back to the stored ids. A
//! session is a shopper's day (UTC): the server's try-on events carry no browser session, and
//! what one shopper tries on and buys in a day is what "tried on together" means here.
//! Purchases pair with returns per shopper, product and size: of `n` units bought and `r`
//! returned, `r` are returned purchases (with their reasons) and `n - r` kept; a return with
//! no reported purchase still counts as a returned purchase.

use std::collections::HashMap;

use fitview_insights::recommend::shop::{
    Interaction, Outcome, Product, ProductId, Purchase, ReturnReason, ShopperId, Signal, Size,
};
use fitview_insights::recommend::size::{ScaleError, SizeChart, SizeScale};
use sqlx::{AnyPool, Row};

use crate::db::products::{ProductFilter, ProductRow};
use crate::recommend::scale::scale_of;

/// Most units of one shopper, product and size counted (a bulk order is one shopper's taste).
const MAX_UNITS: i64 = 20;
/// Most products of one retailer read.
const MAX_PRODUCTS: i64 = 200_000;
/// How far back events are read, in days.
const HISTORY_DAYS: i64 = 365;

/// One stored event of a signed-in shopper.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// `tryon_completed`, `cart_added`, `purchased` or `returned`.
    pub kind: String,
    /// The product.
    pub product_id: String,
    /// The size, when the event has one.
    pub size: Option<String>,
    /// Units.
    pub quantity: i64,
    /// The shopper.
    pub user_id: String,
    /// A return's reason.
    pub reason: Option<String>,
    /// When, in milliseconds since the epoch.
    pub occurred_at: i64,
}

/// One line of a storefront order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderLineRow {
    /// The shopper.
    pub user_id: String,
    /// The product.
    pub product_id: String,
    /// When, in seconds since the epoch.
    pub created_at: i64,
}

/// A retailer's records, ready for the models.
#[derive(Debug, Clone)]
pub struct ShopRecords {
    /// Every size label of the catalogue, in order.
    pub scale: SizeScale,
    /// The products; `products[i].id == ProductId(i)`.
    pub products: Vec<Product>,
    /// The stored id of each product, by number.
    pub product_ids: Vec<String>,
    /// Each product's last change when the records were read, by number.
    pub updated_at: Vec<i64>,
    /// The number of each shopper.
    pub shoppers: HashMap<String, ShopperId>,
    /// Purchases with their outcome.
    pub purchases: Vec<Purchase>,
    /// Try-ons, cart adds and purchases.
    pub interactions: Vec<Interaction>,
}

/// Reads a retailer's rows.
pub async fn load(
    db: &AnyPool,
    retailer: &str,
    now_secs: i64,
) -> Result<(Vec<ProductRow>, Vec<EventRow>, Vec<OrderLineRow>), sqlx::Error> {
    let filter = ProductFilter {
        retailer_id: Some(retailer.to_owned()),
        ..ProductFilter::default()
    };
    let products = crate::db::products::list(db, &filter, MAX_PRODUCTS, 0).await?;
    let since_ms = (now_secs - HISTORY_DAYS * 24 * 3600).saturating_mul(1000);
    let events = sqlx::query(
        "SELECT kind, product_id, size, quantity, user_id, reason, occurred_at \
         FROM analytics_events WHERE retailer_id = $1 AND occurred_at >= $2 \
         AND user_id IS NOT NULL AND kind IN ('tryon_completed', 'cart_added', 'purchased', 'returned') \
         ORDER BY occurred_at, id",
    )
    .bind(retailer.to_owned())
    .bind(since_ms)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| {
        Ok(EventRow {
            kind: row.try_get(0)?,
            product_id: row.try_get(1)?,
            size: row.try_get(2)?,
            quantity: row.try_get(3)?,
            user_id: row.try_get(4)?,
            reason: row.try_get(5)?,
            occurred_at: row.try_get(6)?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let orders = sqlx::query(
        "SELECT orders.user_id, order_lines.product_id, orders.created_at \
         FROM order_lines JOIN orders ON orders.id = order_lines.order_id \
         WHERE orders.retailer_id = $1 AND orders.created_at >= $2 ORDER BY orders.created_at",
    )
    .bind(retailer.to_owned())
    .bind(since_ms / 1000)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| {
        Ok(OrderLineRow {
            user_id: row.try_get(0)?,
            product_id: row.try_get(1)?,
            created_at: row.try_get(2)?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((products, events, orders))
}

/// The session number of a shopper's day.
fn session(user_id: &str, at_secs: i64) -> u64 {
    let day = at_secs.div_euclid(24 * 3600);
    let digest = blake3::hash(format!("{user_id}\n{day}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

fn reason(name: Option<&str>) -> ReturnReason {
    match name {
        Some("too_small") => ReturnReason::TooSmall,
        Some("too_big") => ReturnReason::TooBig,
        _ => ReturnReason::Other,
    }
}

/// A product's sizes as JSON (`["S", "M"]`).
fn size_labels(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

impl ShopRecords {
    /// Maps a retailer's rows onto records (rows of unknown products are skipped).
    ///
    /// # Errors
    /// [`ScaleError`] when the catalogue has more size labels than a scale can hold.
    pub fn from_rows(
        products: &[ProductRow],
        events: &[EventRow],
        orders: &[OrderLineRow],
    ) -> Result<Self, ScaleError> {
        let labels: Vec<Vec<String>> = products.iter().map(|p| size_labels(&p.sizes)).collect();
        let charts: Vec<Option<SizeChart>> = products
            .iter()
            .map(|p| {
                p.size_chart
                    .as_deref()
                    .and_then(|t| SizeChart::from_json(t).ok())
            })
            .collect();
        let every_label = labels.iter().flatten().map(String::as_str).chain(
            charts
                .iter()
                .flatten()
                .flat_map(|c| c.sizes.iter().map(|s| s.label.as_str())),
        );
        let mut every_label = every_label.peekable();
        // A catalogue without sizes still gets a scale (its products then have no size).
        let scale = if every_label.peek().is_some() {
            scale_of(every_label)?
        } else {
            SizeScale::new(["One size"])?
        };
        let mut numbers: HashMap<&str, ProductId> = HashMap::new();
        let mut records = Vec::with_capacity(products.len());
        for (i, ((row, labels), chart)) in products.iter().zip(&labels).zip(charts).enumerate() {
            let id = ProductId(i as u32);
            numbers.insert(row.id.as_str(), id);
            let mut sizes: Vec<Size> = labels.iter().filter_map(|l| scale.size_of(l)).collect();
            sizes.sort_unstable();
            sizes.dedup();
            records.push(Product {
                id,
                name: row.name.clone(),
                category: row.category.clone(),
                garment_category: row.garment_category.clone(),
                description: row.description.clone(),
                colour: row.colour.clone(),
                price_cents: row.price_cents,
                in_stock: if row.stock > 0 {
                    sizes.clone()
                } else {
                    Vec::new()
                },
                sizes,
                chart,
            });
        }

        let mut shoppers: HashMap<String, ShopperId> = HashMap::new();
        let mut number_of = |user: &str| {
            let next = ShopperId(shoppers.len() as u32);
            *shoppers.entry(user.to_owned()).or_insert(next)
        };
        let mut interactions = Vec::new();
        // (shopper, product, size) -> (units bought, returns by reason in order).
        let mut bought: HashMap<(ShopperId, ProductId, Size), (i64, Vec<ReturnReason>)> =
            HashMap::new();
        for e in events {
            let Some(&product) = numbers.get(e.product_id.as_str()) else {
                continue;
            };
            let shopper = number_of(&e.user_id);
            let at = e.occurred_at.div_euclid(1000);
            let signal = match e.kind.as_str() {
                "tryon_completed" => Some(Signal::TryOn),
                "cart_added" => Some(Signal::CartAdd),
                "purchased" => Some(Signal::Purchase),
                _ => None,
            };
            if let Some(signal) = signal {
                interactions.push(Interaction {
                    shopper,
                    product,
                    signal,
                    session: session(&e.user_id, at),
                    at,
                });
            }
            let Some(size) = e.size.as_deref().and_then(|s| scale.size_of(s)) else {
                continue;
            };
            let units = e.quantity.clamp(1, MAX_UNITS);
            let entry = bought.entry((shopper, product, size)).or_default();
            match e.kind.as_str() {
                "purchased" => entry.0 = (entry.0 + units).min(MAX_UNITS),
                "returned" if entry.1.len() < MAX_UNITS as usize => {
                    let why = reason(e.reason.as_deref());
                    entry.1.extend((0..units).map(|_| why));
                }
                _ => {}
            }
        }
        for o in orders {
            let Some(&product) = numbers.get(o.product_id.as_str()) else {
                continue;
            };
            interactions.push(Interaction {
                shopper: number_of(&o.user_id),
                product,
                signal: Signal::Purchase,
                session: session(&o.user_id, o.created_at),
                at: o.created_at,
            });
        }
        let mut groups: Vec<_> = bought.into_iter().collect();
        groups.sort_unstable_by_key(|((c, p, s), _)| (*c, *p, *s));
        let mut purchases = Vec::new();
        for ((shopper, product, size), (units, returns)) in groups {
            let purchase = |outcome| Purchase {
                shopper,
                product,
                size,
                outcome,
            };
            purchases.extend(
                returns
                    .iter()
                    .take(MAX_UNITS as usize)
                    .map(|r| purchase(Outcome::Returned(*r))),
            );
            let kept = (units - returns.len() as i64).max(0);
            purchases.extend((0..kept).map(|_| purchase(Outcome::Kept)));
        }
        Ok(ShopRecords {
            scale,
            product_ids: products.iter().map(|p| p.id.clone()).collect(),
            updated_at: products.iter().map(|p| p.updated_at).collect(),
            products: records,
            shoppers,
            purchases,
            interactions,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A product row of retailer `r` with a two-size chart.
    pub(crate) fn product(id: &str, sizes: &str, stock: i64) -> ProductRow {
        ProductRow {
            id: id.to_owned(),
            retailer_id: "r".to_owned(),
            name: format!("Product {id}"),
            description: String::new(),
            category: "shirts".to_owned(),
            garment_category: "top".to_owned(),
            sizes: sizes.to_owned(),
            colour: None,
            price_cents: 1000,
            currency: "EUR".to_owned(),
            stock,
            size_chart: Some(
                r#"{"unit": "cm", "sizes": {"S": {"chest": [84, 90]}, "M": {"chest": [90, 96]}}}"#
                    .to_owned(),
            ),
            image_file: None,
            image_width: None,
            image_height: None,
            created_at: 0,
            updated_at: 7,
        }
    }

    /// An event row of day 3.
    pub(crate) fn event(
        kind: &str,
        product: &str,
        size: Option<&str>,
        user: &str,
        reason: Option<&str>,
    ) -> EventRow {
        EventRow {
            kind: kind.to_owned(),
            product_id: product.to_owned(),
            size: size.map(str::to_owned),
            quantity: 1,
            user_id: user.to_owned(),
            reason: reason.map(str::to_owned),
            occurred_at: 86_400_000 * 3 + 1000,
        }
    }

    #[test]
    fn pairs_purchases_with_returns_and_numbers_everything() {
        let products = [
            product("a", r#"["M", "S"]"#, 3),
            product("b", r#"["L"]"#, 0),
        ];
        let mut two = event("purchased", "a", Some("M"), "u1", None);
        two.quantity = 2;
        let events = [
            event("tryon_completed", "a", None, "u1", None),
            two,
            event("returned", "a", Some("M"), "u1", Some("too_small")),
            event("returned", "b", Some("L"), "u2", Some("not_as_pictured")),
            event("purchased", "gone", Some("M"), "u2", None),
        ];
        let orders = [OrderLineRow {
            user_id: "u3".to_owned(),
            product_id: "b".to_owned(),
            created_at: 86_400 * 3,
        }];
        let r = ShopRecords::from_rows(&products, &events, &orders).unwrap();
        let label = |s: Size| r.scale.label(s).to_owned();
        assert_eq!(r.product_ids, ["a", "b"]);
        assert_eq!(r.updated_at, [7, 7]);
        let a = &r.products[0];
        assert_eq!(
            a.sizes.iter().map(|s| label(*s)).collect::<Vec<_>>(),
            ["S", "M"]
        );
        assert_eq!(a.in_stock, a.sizes);
        assert!(a.chart.is_some());
        assert!(r.products[1].in_stock.is_empty());
        let u1 = r.shoppers["u1"];
        let outcomes: Vec<(ShopperId, ProductId, String, Outcome)> = r
            .purchases
            .iter()
            .map(|p| (p.shopper, p.product, label(p.size), p.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                (
                    u1,
                    ProductId(0),
                    "M".to_owned(),
                    Outcome::Returned(ReturnReason::TooSmall)
                ),
                (u1, ProductId(0), "M".to_owned(), Outcome::Kept),
                (
                    r.shoppers["u2"],
                    ProductId(1),
                    "L".to_owned(),
                    Outcome::Returned(ReturnReason::Other)
                ),
            ]
        );
        // The try-on, the purchase and the order; the same day is the same session.
        let signals: Vec<Signal> = r.interactions.iter().map(|i| i.signal).collect();
        assert_eq!(signals, [Signal::TryOn, Signal::Purchase, Signal::Purchase]);
        assert_eq!(r.interactions[0].session, r.interactions[1].session);
        assert_ne!(r.interactions[0].session, r.interactions[2].session);
        assert_eq!(r.shoppers.len(), 3);
    }
}
