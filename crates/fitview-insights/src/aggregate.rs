//! Daily rollups of events and the figures a retailer reads from them: per product, per model,
//! per size (with return reasons) and per day (try-on failures and provider cost).
//!
//! A rollup row counts the events of one (day, product, model, size, kind, reason); the server
//! adds the rows of each flushed batch to its stored rollups, so every figure here is a sum over
//! rows and reads the same from one day or from years.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use crate::event::{Event, EventKind, ReturnReason};

/// Events of one day, product, model, size, kind and return reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Rollup {
    /// The key.
    pub key: RollupKey,
    /// Events.
    pub events: i64,
    /// Units (sum of quantities).
    pub units: i64,
    /// Sum of values, in minor units (of whatever currencies they came in).
    pub value_cents: i64,
    /// Provider cost, in millionths of a US dollar.
    pub cost_micros: i64,
}

/// What a rollup row counts. Absent models and sizes are empty strings, so that the key is
/// unique in SQL on every database.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RollupKey {
    /// The day (UTC).
    pub day: NaiveDate,
    /// The product.
    pub product_id: String,
    /// The model, or "".
    pub model_id: String,
    /// The size, or "".
    pub size: String,
    /// The kind.
    pub kind: EventKind,
    /// The reason of a return.
    pub reason: Option<ReturnReason>,
}

/// The rollup rows of `events`, one per key, in key order.
pub fn rollup<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<Rollup> {
    let mut rows: BTreeMap<RollupKey, Rollup> = BTreeMap::new();
    for event in events {
        let key = RollupKey {
            day: event.occurred_at.date_naive(),
            product_id: event.product_id.clone(),
            model_id: event.model_id.clone().unwrap_or_default(),
            size: event.size.clone().unwrap_or_default(),
            kind: event.kind,
            reason: event.reason,
        };
        let row = rows.entry(key.clone()).or_insert(Rollup {
            key,
            events: 0,
            units: 0,
            value_cents: 0,
            cost_micros: 0,
        });
        row.events += 1;
        row.units += event.quantity;
        row.value_cents += event.value_cents.unwrap_or(0);
        row.cost_micros += event.provider_cost_micros;
    }
    rows.into_values().collect()
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// What one product did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProductFigures {
    /// The product.
    pub product_id: String,
    /// Views.
    pub views: i64,
    /// Try-ons delivered.
    pub tryons: i64,
    /// Units added to carts.
    pub cart_units: i64,
    /// Units bought.
    pub purchased_units: i64,
    /// Units returned.
    pub returned_units: i64,
    /// Value bought, in minor units.
    pub revenue_cents: i64,
    /// Purchases per view (`None` without views).
    pub conversion: Option<f64>,
    /// Purchases per delivered try-on (`None` without try-ons).
    pub tryon_conversion: Option<f64>,
}

/// Figures per product, most tried-on first (then by id).
pub fn products(rows: &[Rollup]) -> Vec<ProductFigures> {
    let mut by_product: BTreeMap<&str, ProductFigures> = BTreeMap::new();
    for row in rows {
        let p = by_product
            .entry(&row.key.product_id)
            .or_insert_with(|| ProductFigures {
                product_id: row.key.product_id.clone(),
                ..ProductFigures::default()
            });
        match row.key.kind {
            EventKind::ProductViewed => p.views += row.events,
            EventKind::TryonCompleted => p.tryons += row.events,
            EventKind::CartAdded => p.cart_units += row.units,
            EventKind::Purchased => {
                p.purchased_units += row.units;
                p.revenue_cents += row.value_cents;
            }
            EventKind::Returned => p.returned_units += row.units,
            _ => {}
        }
    }
    let mut figures: Vec<ProductFigures> = by_product
        .into_values()
        .map(|mut p| {
            p.conversion = ratio(p.purchased_units, p.views);
            p.tryon_conversion = ratio(p.purchased_units, p.tryons);
            p
        })
        .collect();
    figures.sort_by(|a, b| {
        b.tryons
            .cmp(&a.tryons)
            .then(a.product_id.cmp(&b.product_id))
    });
    figures
}

/// What one model did: which bodies shoppers choose and whether their try-ons sell.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelFigures {
    /// The model.
    pub model_id: String,
    /// Times chosen.
    pub selections: i64,
    /// Try-ons delivered on it.
    pub tryons: i64,
    /// Units bought naming it.
    pub purchased_units: i64,
    /// Purchases per try-on (`None` without try-ons).
    pub conversion: Option<f64>,
}

/// Figures per model (rows without a model are left out), most tried-on first.
pub fn models(rows: &[Rollup]) -> Vec<ModelFigures> {
    let mut by_model: BTreeMap<&str, ModelFigures> = BTreeMap::new();
    for row in rows.iter().filter(|r| !r.key.model_id.is_empty()) {
        let m = by_model
            .entry(&row.key.model_id)
            .or_insert_with(|| ModelFigures {
                model_id: row.key.model_id.clone(),
                ..ModelFigures::default()
            });
        match row.key.kind {
            EventKind::ModelSelected => m.selections += row.events,
            EventKind::TryonCompleted => m.tryons += row.events,
            EventKind::Purchased => m.purchased_units += row.units,
            _ => {}
        }
    }
    let mut figures: Vec<ModelFigures> = by_model
        .into_values()
        .map(|mut m| {
            m.conversion = ratio(m.purchased_units, m.tryons);
            m
        })
        .collect();
    figures.sort_by(|a, b| b.tryons.cmp(&a.tryons).then(a.model_id.cmp(&b.model_id)));
    figures
}

/// Carts, purchases and returns of one size.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SizeFigures {
    /// The size ("" for events without one).
    pub size: String,
    /// Units added to carts.
    pub cart_units: i64,
    /// Units bought.
    pub purchased_units: i64,
    /// Units returned.
    pub returned_units: i64,
    /// Returned over bought units (`None` without purchases).
    pub return_rate: Option<f64>,
    /// Returned units per reason.
    pub return_reasons: BTreeMap<ReturnReason, i64>,
}

/// Figures per size, in size order as text.
pub fn sizes(rows: &[Rollup]) -> Vec<SizeFigures> {
    let mut by_size: BTreeMap<&str, SizeFigures> = BTreeMap::new();
    for row in rows {
        let kind = row.key.kind;
        if !matches!(
            kind,
            EventKind::CartAdded | EventKind::Purchased | EventKind::Returned
        ) {
            continue;
        }
        let s = by_size.entry(&row.key.size).or_insert_with(|| SizeFigures {
            size: row.key.size.clone(),
            ..SizeFigures::default()
        });
        match kind {
            EventKind::CartAdded => s.cart_units += row.units,
            EventKind::Purchased => s.purchased_units += row.units,
            _ => {
                s.returned_units += row.units;
                if let Some(reason) = row.key.reason {
                    *s.return_reasons.entry(reason).or_default() += row.units;
                }
            }
        }
    }
    by_size
        .into_values()
        .map(|mut s| {
            s.return_rate = ratio(s.returned_units, s.purchased_units);
            s
        })
        .collect()
}

/// Try-ons of one day: how many failed and what the provider cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayFigures {
    /// The day.
    pub day: Option<NaiveDate>,
    /// Try-ons asked for.
    pub requested: i64,
    /// Try-ons delivered.
    pub completed: i64,
    /// Try-ons failed.
    pub failed: i64,
    /// Failed over finished (completed + failed) try-ons (`None` when none finished).
    pub failure_rate: Option<f64>,
    /// Provider cost of the day's try-ons and variations, in US dollars.
    pub provider_cost_usd: f64,
}

/// Figures per day, in day order (days without try-ons are left out).
pub fn days(rows: &[Rollup]) -> Vec<DayFigures> {
    let mut by_day: BTreeMap<NaiveDate, DayFigures> = BTreeMap::new();
    for row in rows {
        let kind = row.key.kind;
        if !matches!(
            kind,
            EventKind::TryonRequested
                | EventKind::TryonCompleted
                | EventKind::TryonFailed
                | EventKind::VariationCreated
        ) {
            continue;
        }
        let d = by_day.entry(row.key.day).or_insert_with(|| DayFigures {
            day: Some(row.key.day),
            ..DayFigures::default()
        });
        match kind {
            EventKind::TryonRequested => d.requested += row.events,
            EventKind::TryonCompleted => d.completed += row.events,
            EventKind::TryonFailed => d.failed += row.events,
            _ => {}
        }
        d.provider_cost_usd += row.cost_micros as f64 / 1e6;
    }
    by_day
        .into_values()
        .map(|mut d| {
            d.failure_rate = ratio(d.failed, d.completed + d.failed);
            d
        })
        .collect()
}

/// The Monday starting the ISO week of `day`.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Units bought per week, from the week of `first` to the week of `last` (both included, zero
/// for weeks without sales): the series a demand forecast reads.
pub fn weekly_units(rows: &[Rollup], first: NaiveDate, last: NaiveDate) -> Vec<f64> {
    let first = week_start(first);
    let weeks = ((week_start(last) - first).num_days() / 7 + 1).max(0);
    let mut units = vec![0.0; usize::try_from(weeks).unwrap_or(0)];
    for row in rows.iter().filter(|r| r.key.kind == EventKind::Purchased) {
        let week = (week_start(row.key.day) - first).num_days() / 7;
        if let Some(slot) = usize::try_from(week).ok().and_then(|w| units.get_mut(w)) {
            *slot += row.units as f64;
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn event(kind: EventKind, product: &str, model: &str, size: &str, day: u32) -> Event {
        Event {
            id: String::new(),
            kind,
            occurred_at: DateTime::<Utc>::from_naive_utc_and_offset(
                NaiveDate::from_ymd_opt(2026, 3, day)
                    .unwrap()
                    .and_hms_opt(12, 0, 0)
                    .unwrap(),
                Utc,
            ),
            product_id: product.to_owned(),
            model_id: (!model.is_empty()).then(|| model.to_owned()),
            size: (!size.is_empty()).then(|| size.to_owned()),
            quantity: 1,
            value_cents: None,
            currency: None,
            session_id: None,
            user_id: None,
            reason: None,
            provider_cost_micros: 0,
        }
    }

    fn shop() -> Vec<Event> {
        use EventKind::*;
        let mut events = vec![
            event(ProductViewed, "p1", "", "", 2),
            event(ProductViewed, "p1", "", "", 2),
            event(ProductViewed, "p2", "", "", 2),
            event(TryonCompleted, "p1", "m1", "", 2),
            event(TryonCompleted, "p1", "m2", "", 3),
            event(TryonCompleted, "p2", "m1", "", 3),
            event(TryonFailed, "p2", "m1", "", 3),
            event(CartAdded, "p1", "", "M", 3),
            event(Purchased, "p1", "m1", "M", 4),
            event(Purchased, "p1", "", "L", 4),
        ];
        let mut ret = event(Returned, "p1", "", "M", 5);
        ret.reason = Some(ReturnReason::TooSmall);
        events.push(ret);
        events[8].quantity = 2;
        events[8].value_cents = Some(5000);
        events[5].provider_cost_micros = 40_000;
        events
    }

    #[test]
    fn rollup_merges_equal_keys() {
        let rows = rollup(&shop());
        assert_eq!(rows.len(), 10);
        let views = rows
            .iter()
            .find(|r| r.key.product_id == "p1" && r.key.kind == EventKind::ProductViewed);
        assert_eq!(views.map(|r| r.events), Some(2));
    }

    #[test]
    fn product_model_and_size_figures() {
        let rows = rollup(&shop());
        let p = products(&rows);
        assert_eq!(p[0].product_id, "p1");
        assert_eq!(
            (
                p[0].views,
                p[0].tryons,
                p[0].cart_units,
                p[0].purchased_units,
                p[0].returned_units
            ),
            (2, 2, 1, 3, 1)
        );
        assert_eq!(p[0].revenue_cents, 5000);
        assert_eq!(p[0].conversion, Some(1.5));
        assert_eq!(p[1].tryon_conversion, Some(0.0));

        let m = models(&rows);
        assert_eq!(
            m.iter()
                .map(|m| (m.model_id.as_str(), m.tryons, m.purchased_units))
                .collect::<Vec<_>>(),
            [("m1", 2, 2), ("m2", 1, 0)]
        );

        let s = sizes(&rows);
        let medium = s.iter().find(|s| s.size == "M").unwrap();
        assert_eq!(
            (
                medium.cart_units,
                medium.purchased_units,
                medium.returned_units
            ),
            (1, 2, 1)
        );
        assert_eq!(medium.return_rate, Some(0.5));
        assert_eq!(medium.return_reasons.get(&ReturnReason::TooSmall), Some(&1));
    }

    #[test]
    fn day_figures_and_weekly_units() {
        let rows = rollup(&shop());
        let d = days(&rows);
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[1].completed, d[1].failed, d[1].failure_rate),
            (2, 1, Some(1.0 / 3.0))
        );
        assert!((d[1].provider_cost_usd - 0.04).abs() < 1e-12);
        // 2026-03-04 is a Wednesday; the series runs from the week of Feb 23 to that of Mar 9.
        let first = NaiveDate::from_ymd_opt(2026, 2, 25).unwrap();
        let last = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(weekly_units(&rows, first, last), [0.0, 3.0, 0.0]);
        assert_eq!(
            week_start(first),
            NaiveDate::from_ymd_opt(2026, 2, 23).unwrap()
        );
    }
}
