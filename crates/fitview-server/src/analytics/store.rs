//! Events and rollups in the database: the flush's one transaction and the reads of the
//! retailer's figures. Portable SQL for SQLite and PostgreSQL (`CAST(SUM(..) AS BIGINT)`
//! because PostgreSQL sums `BIGINT`s as `NUMERIC`).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use fitview_insights::aggregate::{Rollup, RollupKey, rollup};
use fitview_insights::{Event, EventKind, ReturnReason};
use sqlx::{AnyPool, Row};

use super::buffer::Pending;
use super::funnel_table::{self, Changes, shopper_key};
use crate::db::multi_row::MultiRow;

/// The shopper an event belongs to (see [`shopper_key`]).
fn shopper_of(event: &Event) -> &str {
    shopper_key(
        event.user_id.as_deref(),
        event.session_id.as_deref(),
        &event.id,
    )
}

/// Products per lookup (`WHERE id IN (…)`).
const PRODUCTS_PER_LOOKUP: usize = 100;

/// What a flush wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    /// Events new to the database (counted in the rollups).
    pub new_events: usize,
    /// Events whose id was already stored or repeated in the batch (no-ops).
    pub duplicates: usize,
    /// Server events about a product that no longer exists (dropped).
    pub orphans: usize,
    /// Retailers whose figures changed.
    pub retailers: Vec<String>,
}

/// The retailers of these products (those that exist).
pub async fn retailers_of(
    db: &AnyPool,
    products: &HashSet<&str>,
) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut found = HashMap::new();
    let products: Vec<&str> = products.iter().copied().collect();
    for chunk in products.chunks(PRODUCTS_PER_LOOKUP) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, retailer_id FROM products WHERE id IN ({})",
            list.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(db).await? {
            found.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    Ok(found)
}

/// Writes a batch in one transaction: the events new to the database, and their rollups added
/// to the stored ones. Resent ids change nothing.
pub async fn write(db: &AnyPool, batch: Vec<Pending>) -> Result<Written, sqlx::Error> {
    let mut written = Written::default();
    let mut seen = HashSet::new();
    let mut unique = Vec::with_capacity(batch.len());
    for pending in batch {
        if seen.insert(pending.event.id.clone()) {
            unique.push(pending);
        } else {
            written.duplicates += 1;
        }
    }
    let unknown: HashSet<&str> = unique
        .iter()
        .filter(|p| p.retailer_id.is_none())
        .map(|p| p.event.product_id.as_str())
        .collect();
    let owners = retailers_of(db, &unknown).await?;
    let events: Vec<(String, Event)> = unique
        .into_iter()
        .filter_map(|p| {
            let retailer = p
                .retailer_id
                .or_else(|| owners.get(&p.event.product_id).cloned());
            if retailer.is_none() {
                written.orphans += 1;
            }
            retailer.map(|r| (r, p.event))
        })
        .collect();

    let received = Utc::now().timestamp_millis();
    let mut tx = db.begin().await?;
    let mut inserted: HashSet<String> = HashSet::new();
    let event_rows = MultiRow::new(db, 16);
    for chunk in events.chunks(event_rows.rows_per_statement()) {
        let sql = format!(
            "INSERT INTO analytics_events (id, retailer_id, kind, occurred_at, received_at, \
             product_id, model_id, size, quantity, value_cents, currency, session_id, user_id, \
             reason, provider_cost_micros, shopper) VALUES {} ON CONFLICT (id) DO NOTHING \
             RETURNING id",
            event_rows.placeholders(chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for (retailer, e) in chunk {
            query = query
                .bind(e.id.clone())
                .bind(retailer.clone())
                .bind(e.kind.as_str())
                .bind(e.occurred_at.timestamp_millis())
                .bind(received)
                .bind(e.product_id.clone())
                .bind(e.model_id.clone())
                .bind(e.size.clone())
                .bind(e.quantity)
                .bind(e.value_cents)
                .bind(e.currency.clone())
                .bind(e.session_id.clone())
                .bind(e.user_id.clone())
                .bind(e.reason.map(ReturnReason::as_str))
                .bind(e.provider_cost_micros)
                .bind(shopper_of(e).to_owned());
        }
        inserted.extend(query.fetch_all(&mut *tx).await?);
    }
    let mut by_retailer: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    let mut funnel_changes = Changes::default();
    for (retailer, event) in &events {
        if inserted.contains(&event.id) {
            by_retailer.entry(retailer).or_default().push(event);
            funnel_changes.add(
                retailer,
                shopper_of(event),
                event.kind,
                event.occurred_at.timestamp_millis(),
                &event.product_id,
            );
        }
    }
    written.new_events = inserted.len();
    written.duplicates += events.len() - inserted.len();
    let rows: Vec<(&str, Rollup)> = by_retailer
        .iter()
        .flat_map(|(retailer, events)| {
            rollup(events.iter().copied())
                .into_iter()
                .map(move |row| (*retailer, row))
        })
        .collect();
    let rollup_rows = MultiRow::new(db, 11);
    for chunk in rows.chunks(rollup_rows.rows_per_statement()) {
        let sql = format!(
            "INSERT INTO analytics_rollups (retailer_id, day, product_id, model_id, size, kind, \
             reason, events, units, value_cents, cost_micros) VALUES {} \
             ON CONFLICT (retailer_id, day, product_id, model_id, size, kind, reason) DO UPDATE SET \
             events = analytics_rollups.events + excluded.events, \
             units = analytics_rollups.units + excluded.units, \
             value_cents = analytics_rollups.value_cents + excluded.value_cents, \
             cost_micros = analytics_rollups.cost_micros + excluded.cost_micros",
            rollup_rows.placeholders(chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for (retailer, row) in chunk {
            let k = &row.key;
            query = query
                .bind(retailer.to_string())
                .bind(k.day.to_string())
                .bind(k.product_id.clone())
                .bind(k.model_id.clone())
                .bind(k.size.clone())
                .bind(k.kind.as_str())
                .bind(k.reason.map_or("", ReturnReason::as_str))
                .bind(row.events)
                .bind(row.units)
                .bind(row.value_cents)
                .bind(row.cost_micros);
        }
        query.execute(&mut *tx).await?;
    }
    funnel_table::refresh(&mut tx, MultiRow::new(db, 7), funnel_changes).await?;
    tx.commit().await?;
    written.retailers = by_retailer.keys().map(|r| r.to_string()).collect();
    Ok(written)
}

/// The key columns of the rollups a reader needs; the rows are summed over the others in the
/// database, so a reader gets as many rows as it has groups, not as many as are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// Per day (else each row has its group's first day).
    pub day: bool,
    /// Per product (else `product_id` is empty).
    pub product: bool,
    /// Per model (else `model_id` is empty).
    pub model: bool,
    /// Per size and return reason (else both are empty).
    pub size: bool,
}

impl Detail {
    /// Per product.
    pub const PRODUCT: Detail = Detail {
        day: false,
        product: true,
        model: false,
        size: false,
    };
    /// Per model.
    pub const MODEL: Detail = Detail {
        day: false,
        product: false,
        model: true,
        size: false,
    };
    /// Per size and return reason.
    pub const SIZE: Detail = Detail {
        day: false,
        product: false,
        model: false,
        size: true,
    };
    /// Per day.
    pub const DAY: Detail = Detail {
        day: true,
        product: false,
        model: false,
        size: false,
    };

    /// The key columns in the order rows are read (`day, product_id, model_id, size, kind,
    /// reason`), each dropped one replaced by its stand-in, and the `GROUP BY` list.
    fn sql(self) -> (String, String) {
        let columns = [
            (self.day, "day", "MIN(day)"),
            (self.product, "product_id", "''"),
            (self.model, "model_id", "''"),
            (self.size, "size", "''"),
            (true, "kind", ""),
            (self.size, "reason", "''"),
        ];
        let select: Vec<&str> = columns
            .iter()
            .map(|&(kept, name, stand_in)| if kept { name } else { stand_in })
            .collect();
        let group: Vec<&str> = columns
            .iter()
            .filter(|(kept, ..)| *kept)
            .map(|&(_, name, _)| name)
            .collect();
        (select.join(", "), group.join(", "))
    }
}

/// The rollups of a retailer (one product, or all) from day `from` to day `to`, both included,
/// summed down to `detail`.
pub async fn rollups(
    db: &AnyPool,
    retailer: &str,
    product: Option<&str>,
    (from, to): (NaiveDate, NaiveDate),
    detail: Detail,
) -> Result<Vec<Rollup>, sqlx::Error> {
    let (keys, group) = detail.sql();
    let sql = format!(
        "SELECT {keys}, CAST(SUM(events) AS BIGINT), CAST(SUM(units) AS BIGINT), \
         CAST(SUM(value_cents) AS BIGINT), CAST(SUM(cost_micros) AS BIGINT) \
         FROM analytics_rollups WHERE retailer_id = $1 AND day >= $2 AND day <= $3{} \
         GROUP BY {group}",
        if product.is_some() {
            " AND product_id = $4"
        } else {
            ""
        }
    );
    let mut query = sqlx::query(&sql)
        .bind(retailer.to_owned())
        .bind(from.to_string())
        .bind(to.to_string());
    if let Some(product) = product {
        query = query.bind(product.to_owned());
    }
    let rows = query.fetch_all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let day: String = row.try_get(0)?;
        let kind: String = row.try_get(4)?;
        let reason: String = row.try_get(5)?;
        let (Ok(day), Some(kind)) = (day.parse::<NaiveDate>(), EventKind::parse(&kind)) else {
            tracing::warn!(%day, %kind, "skipping an unreadable analytics rollup");
            continue;
        };
        out.push(Rollup {
            key: RollupKey {
                day,
                product_id: row.try_get(1)?,
                model_id: row.try_get(2)?,
                size: row.try_get(3)?,
                kind,
                reason: ReturnReason::parse(&reason),
            },
            events: row.try_get(6)?,
            units: row.try_get(7)?,
            value_cents: row.try_get(8)?,
            cost_micros: row.try_get(9)?,
        });
    }
    Ok(out)
}

/// The first day with any event of a product.
pub async fn first_day(
    db: &AnyPool,
    retailer: &str,
    product: &str,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    let day: Option<String> = sqlx::query_scalar(
        "SELECT MIN(day) FROM analytics_rollups WHERE retailer_id = $1 AND product_id = $2",
    )
    .bind(retailer.to_owned())
    .bind(product.to_owned())
    .fetch_one(db)
    .await?;
    Ok(day.and_then(|d| d.parse().ok()))
}

/// Replaces a shopper's id in every stored event by `pseudonym`: the counts stay, the link to
/// the person goes. Returns the events changed.
pub async fn rename_shopper(
    db: &AnyPool,
    user_id: &str,
    pseudonym: &str,
) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let done =
        sqlx::query("UPDATE analytics_events SET user_id = $1, shopper = $1 WHERE user_id = $2")
            .bind(pseudonym.to_owned())
            .bind(user_id.to_owned())
            .execute(&mut *tx)
            .await?;
    funnel_table::rename_shopper(&mut tx, user_id, pseudonym).await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
