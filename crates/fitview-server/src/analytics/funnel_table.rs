//! The funnel served from a table kept up to date at flush time, not from the raw events.
//!
//! One row per retailer, scope (one product, or `''` for the whole catalog), day and shopper
//! who entered the default funnel that day: how soon they went on to each later step
//! ([`fitview_insights::funnel_starts`]). Each flush recomputes, in its own transaction, the
//! rows its new events can change: those of the same shoppers whose start day lies up to
//! [`HORIZON_DAYS`] before a new event. A funnel over a range of days and any window up to the
//! horizon is then one aggregate query over the range's rows, whatever the number of events.
//!
//! The range selects when shoppers entered the funnel; each then has the window to go on, also
//! past the range's last day (as Mixpanel's and Amplitude's funnels count).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use fitview_insights::{EventKind, FunnelStart, FunnelTouch, funnel_starts};
use sqlx::{AnyConnection, AnyPool, Row};

use crate::db::multi_row::MultiRow;

/// The longest conversion window a funnel may ask for, in days.
pub const HORIZON_DAYS: u32 = 90;

/// The funnel the table holds.
const STEPS: [EventKind; 4] = EventKind::DEFAULT_FUNNEL;

/// Shoppers per read of their events.
const SHOPPERS_PER_READ: usize = 100;

/// The scope of the whole catalog.
const CATALOG: &str = "";

fn horizon() -> Duration {
    Duration::days(i64::from(HORIZON_DAYS))
}

/// A shopper with new funnel events: what a flush recomputes.
#[derive(Debug, Clone, Default)]
pub struct Changed {
    /// The earliest new event (milliseconds since the epoch).
    pub first: i64,
    /// The latest new event.
    pub last: i64,
    /// The products the new events are about.
    pub products: BTreeSet<String>,
}

/// New funnel events, per retailer and shopper.
#[derive(Debug, Default)]
pub struct Changes(BTreeMap<(String, String), Changed>);

impl Changes {
    /// Notes one new event; events of other kinds are not funnel steps and change nothing.
    pub fn add(&mut self, retailer: &str, shopper: &str, kind: EventKind, at: i64, product: &str) {
        if STEPS.contains(&kind) {
            self.touch(retailer, shopper, at, product);
        }
    }

    /// Notes that the shopper's funnel about `product` changed at `at`.
    fn touch(&mut self, retailer: &str, shopper: &str, at: i64, product: &str) {
        let changed = self
            .0
            .entry((retailer.to_owned(), shopper.to_owned()))
            .or_insert(Changed {
                first: at,
                last: at,
                products: BTreeSet::new(),
            });
        changed.first = changed.first.min(at);
        changed.last = changed.last.max(at);
        changed.products.insert(product.to_owned());
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The key that ties one shopper's events together: the account, else the session, else the
/// event itself (it then stands alone).
pub fn shopper_key<'a>(
    user_id: Option<&'a str>,
    session_id: Option<&'a str>,
    id: &'a str,
) -> &'a str {
    user_id.or(session_id).unwrap_or(id)
}

fn day_of(millis: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(millis)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        .date_naive()
}

fn midnight_millis(day: NaiveDate) -> i64 {
    day.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis()
}

/// One stored funnel event of a shopper.
struct Stored {
    product: String,
    kind: EventKind,
    at: DateTime<Utc>,
}

/// Recomputes the rows `changes` can have changed, on `conn` (the flush's transaction, which
/// already holds the new events), writing them as `rows` (7 columns).
pub async fn refresh(
    conn: &mut AnyConnection,
    rows: MultiRow,
    changes: Changes,
) -> Result<(), sqlx::Error> {
    let mut by_retailer: BTreeMap<String, Vec<(String, Changed)>> = BTreeMap::new();
    for ((retailer, shopper), changed) in changes.0 {
        by_retailer
            .entry(retailer)
            .or_default()
            .push((shopper, changed));
    }
    for (retailer, shoppers) in by_retailer {
        for chunk in shoppers.chunks(SHOPPERS_PER_READ) {
            let stored = read(conn, &retailer, chunk).await?;
            let mut entries = Vec::new();
            for (shopper, changed) in chunk {
                let events = stored.get(shopper.as_str()).map_or(&[][..], Vec::as_slice);
                entries.extend(rows_of(shopper, changed, events));
            }
            upsert(conn, rows, &retailer, &entries).await?;
        }
    }
    Ok(())
}

/// The funnel events of these shoppers that the rows to recompute depend on: from the horizon
/// before the earliest affected start day to the horizon after the latest.
async fn read(
    conn: &mut AnyConnection,
    retailer: &str,
    shoppers: &[(String, Changed)],
) -> Result<HashMap<String, Vec<Stored>>, sqlx::Error> {
    let first = shoppers.iter().map(|(_, c)| c.first).min().unwrap_or(0);
    let last = shoppers.iter().map(|(_, c)| c.last).max().unwrap_or(0);
    let from = midnight_millis(day_of(first - horizon().num_milliseconds()));
    let to = midnight_millis(day_of(last) + Days::new(1)) + horizon().num_milliseconds();
    let names: Vec<String> = (0..shoppers.len()).map(|i| format!("${}", i + 4)).collect();
    let kinds: Vec<String> = (0..STEPS.len())
        .map(|i| format!("${}", i + 4 + shoppers.len()))
        .collect();
    let sql = format!(
        "SELECT shopper, product_id, kind, occurred_at FROM analytics_events \
         WHERE shopper IN ({}) AND retailer_id = $1 AND occurred_at >= $2 AND occurred_at < $3 \
         AND kind IN ({})",
        names.join(", "),
        kinds.join(", ")
    );
    let mut query = sqlx::query(&sql)
        .bind(retailer.to_owned())
        .bind(from)
        .bind(to);
    for (shopper, _) in shoppers {
        query = query.bind(shopper.clone());
    }
    for kind in STEPS {
        query = query.bind(kind.as_str());
    }
    let mut found: HashMap<String, Vec<Stored>> = HashMap::new();
    for row in query.fetch_all(&mut *conn).await? {
        let kind: String = row.try_get(2)?;
        let at: i64 = row.try_get(3)?;
        if let (Some(kind), Some(at)) =
            (EventKind::parse(&kind), DateTime::from_timestamp_millis(at))
        {
            found.entry(row.try_get(0)?).or_default().push(Stored {
                product: row.try_get(1)?,
                kind,
                at,
            });
        }
    }
    Ok(found)
}

/// One row of the table: scope, start day and how soon each later step was reached.
struct Entry<'a> {
    shopper: &'a str,
    scope: String,
    start: FunnelStart,
}

/// The rows of one shopper that `changed` can have changed: the whole catalog's and each
/// product's of the new events, for every start day from the horizon before the earliest new
/// event to the day of the latest.
fn rows_of<'a>(shopper: &'a str, changed: &Changed, events: &[Stored]) -> Vec<Entry<'a>> {
    let affected = day_of(changed.first - horizon().num_milliseconds())..=day_of(changed.last);
    let touch = |e: &Stored| FunnelTouch {
        shopper,
        kind: e.kind,
        at: e.at,
    };
    let mut scopes: BTreeMap<&str, Vec<FunnelTouch<'_>>> = BTreeMap::new();
    scopes.insert(CATALOG, events.iter().map(touch).collect());
    for e in events {
        if changed.products.contains(&e.product) {
            scopes.entry(&e.product).or_default().push(touch(e));
        }
    }
    let mut rows = Vec::new();
    for (scope, touches) in scopes {
        for start in funnel_starts(&touches, &STEPS, horizon()) {
            if affected.contains(&start.day) {
                rows.push(Entry {
                    shopper,
                    scope: scope.to_owned(),
                    start,
                });
            }
        }
    }
    rows
}

fn millis(after: Option<Duration>) -> Option<i64> {
    after.map(|a| a.num_milliseconds())
}

/// Writes rows, replacing those of the same scope, day and shopper. A row never disappears:
/// new events only add starts and shorten the way to a step.
async fn upsert(
    conn: &mut AnyConnection,
    shape: MultiRow,
    retailer: &str,
    rows: &[Entry<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(shape.rows_per_statement()) {
        let sql = format!(
            "INSERT INTO analytics_funnel_starts (retailer_id, product_id, day, shopper, \
             reached_2_ms, reached_3_ms, reached_4_ms) VALUES {} \
             ON CONFLICT (retailer_id, product_id, day, shopper) DO UPDATE SET \
             reached_2_ms = excluded.reached_2_ms, reached_3_ms = excluded.reached_3_ms, \
             reached_4_ms = excluded.reached_4_ms",
            shape.placeholders(chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            let after = &row.start.after;
            query = query
                .bind(retailer.to_owned())
                .bind(row.scope.clone())
                .bind(row.start.day.to_string())
                .bind(row.shopper.to_owned())
                .bind(millis(after[1]))
                .bind(millis(after[2]))
                .bind(millis(after[3]));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Distinct shoppers per step of the default funnel: those who entered it on a day of
/// `from..=to` (about `product`, or anything of the catalog) and reached each step within
/// `window` of entering.
pub async fn reached(
    db: &AnyPool,
    retailer: &str,
    product: Option<&str>,
    (from, to): (NaiveDate, NaiveDate),
    window: Duration,
) -> Result<[u64; 4], sqlx::Error> {
    let within = |column: &str| {
        format!("CAST(COALESCE(SUM(CASE WHEN {column} <= $5 THEN 1 ELSE 0 END), 0) AS BIGINT)")
    };
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT), {}, {}, {} FROM (\
         SELECT MIN(reached_2_ms) AS r2, MIN(reached_3_ms) AS r3, MIN(reached_4_ms) AS r4 \
         FROM analytics_funnel_starts \
         WHERE retailer_id = $1 AND product_id = $2 AND day >= $3 AND day <= $4 \
         GROUP BY shopper) per_shopper",
        within("r2"),
        within("r3"),
        within("r4"),
    );
    let row = sqlx::query(&sql)
        .bind(retailer.to_owned())
        .bind(product.unwrap_or(CATALOG).to_owned())
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(window.num_milliseconds())
        .fetch_one(db)
        .await?;
    let mut counts = [0_u64; 4];
    for (i, count) in counts.iter_mut().enumerate() {
        *count = u64::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0);
    }
    Ok(counts)
}

/// Gives a shopper's rows to a pseudonym (a deleted account).
pub async fn rename_shopper(
    conn: &mut AnyConnection,
    shopper: &str,
    pseudonym: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE analytics_funnel_starts SET shopper = $1 WHERE shopper = $2")
        .bind(pseudonym.to_owned())
        .bind(shopper.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}

/// Builds the table from the stored events once, when the database was made before the table
/// existed (the marker row of migration 0008). Returns the shoppers rebuilt.
pub async fn rebuild_if_pending(db: &AnyPool) -> Result<usize, sqlx::Error> {
    let pending: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM analytics_funnel_rebuild")
            .fetch_one(db)
            .await?;
    if pending == 0 {
        return Ok(0);
    }
    let kinds: Vec<String> = (1..=STEPS.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT retailer_id, shopper, product_id, MIN(occurred_at), MAX(occurred_at) \
         FROM analytics_events WHERE kind IN ({}) GROUP BY retailer_id, shopper, product_id",
        kinds.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for kind in STEPS {
        query = query.bind(kind.as_str());
    }
    let mut changes = Changes::default();
    for row in query.fetch_all(db).await? {
        let (retailer, shopper, product): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let (first, last): (i64, i64) = (row.try_get(3)?, row.try_get(4)?);
        changes.touch(&retailer, &shopper, first, &product);
        changes.touch(&retailer, &shopper, last, &product);
    }
    let shoppers = changes.0.len();
    let mut tx = db.begin().await?;
    refresh(&mut tx, MultiRow::new(db, 7), changes).await?;
    sqlx::query("DELETE FROM analytics_funnel_rebuild")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(shoppers)
}
