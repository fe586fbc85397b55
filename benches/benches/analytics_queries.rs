//! The retailer's analytics queries over a large shop (issue 14: "funnel and product queries
//! over 10 million events, p95 < 200 ms, served from rollups").
//!
//! A release `fitview-server` state on a temporary SQLite database; one retailer with
//! `PRODUCTS` products and `SHOPPERS` shoppers. `EVENTS` events over the last `DAYS` days are
//! written in time order through the flush path itself (`analytics::store::write`, the
//! transaction each buffer flush runs: events, rollups and the funnel table), `BATCH` events
//! per flush; shopping sessions of a shopper: a view, then a try-on (55%), a cart (30%), a
//! purchase (15%, some the next day) and a return (3%), with products drawn with a skew
//! toward the best sellers. Event ids count up (as time-ordered UUIDs do) so that building the
//! shop is not slowed by random inserts into the id index; `analytics_ingest` measures ingestion
//! with random (version 4) ids. Then `QUERIES` requests of each route over HTTP, each with another
//! range so that none is answered from the cache: p50/p95/max milliseconds.
//!
//! `EVENTS=10000000 cargo bench -p fitview-benches --bench analytics_queries`

mod server_harness;

use std::time::Instant;

use chrono::{DateTime, Days, Duration, Utc};
use fitview_insights::{Event, EventKind, ReturnReason};
use fitview_server::analytics::{Pending, store};
use server_harness::{Bench, env, percentiles};

/// A small deterministic generator (SplitMix64): the same shop on every run.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64 <= p
    }

    /// An index below `n`, skewed toward small ones (the square of a uniform draw).
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1_u64 << 53) as f64;
        ((u * u) * n as f64) as usize % n
    }
}

/// One shopping session's events, numbered from `next_id` on.
fn session(
    draw: &mut Draw,
    next_id: &mut u128,
    retailer: &str,
    products: &[String],
    shopper: &str,
    at: DateTime<Utc>,
    out: &mut Vec<Pending>,
) {
    let product = &products[draw.skewed(products.len())];
    let size = ["S", "M", "L"][draw.below(3)];
    let mut push = |kind: EventKind, at: DateTime<Utc>, reason: Option<ReturnReason>| {
        out.push(Pending {
            retailer_id: Some(retailer.to_owned()),
            event: Event {
                id: {
                    *next_id += 1;
                    uuid::Uuid::from_u128(*next_id).to_string()
                },
                kind,
                occurred_at: at,
                product_id: product.clone(),
                model_id: None,
                size: (kind != EventKind::ProductViewed).then(|| size.to_owned()),
                quantity: 1,
                value_cents: (kind == EventKind::Purchased).then_some(2999),
                currency: (kind == EventKind::Purchased).then(|| "EUR".to_owned()),
                session_id: None,
                user_id: Some(shopper.to_owned()),
                reason,
                provider_cost_micros: 0,
            },
        });
    };
    push(EventKind::ProductViewed, at, None);
    if !draw.chance(0.55) {
        return;
    }
    push(EventKind::TryonCompleted, at + Duration::minutes(2), None);
    if !draw.chance(0.55) {
        return;
    }
    push(EventKind::CartAdded, at + Duration::minutes(5), None);
    if !draw.chance(0.5) {
        return;
    }
    let bought = at + Duration::minutes(30 + draw.below(36 * 60) as i64);
    push(EventKind::Purchased, bought, None);
    if draw.chance(0.2) {
        push(
            EventKind::Returned,
            bought + Duration::days(3),
            Some(ReturnReason::TooSmall),
        );
    }
}

async fn run() -> Option<()> {
    let events = env("EVENTS", 1_000_000);
    let products = env("PRODUCTS", 1_000);
    let shoppers = env("SHOPPERS", 100_000);
    let days = env("DAYS", 365);
    let batch = env("BATCH", 10_000);
    let queries = env("QUERIES", 30);
    let bench = Bench::start().await?;
    let (token, retailer) = bench.register("retailer", 0).await?;
    let product_ids = bench.products(&token, products).await?;

    // The shop: events in time order, written flush by flush.
    let mut draw = Draw(14);
    let start = Utc::now() - Duration::days(days as i64 + 4);
    let step = Duration::days(days as i64).num_milliseconds() as f64 / events as f64 * 2.1;
    let mut clock = 0.0_f64;
    let mut pending = Vec::with_capacity(batch + 8);
    let mut written = 0_usize;
    let mut flush_ms = Vec::new();
    let mut next_id = 0_u128;
    let started = Instant::now();
    while written + pending.len() < events {
        let shopper = format!("shopper-{}", draw.below(shoppers));
        let at = start + Duration::milliseconds(clock as i64);
        clock += step;
        session(
            &mut draw,
            &mut next_id,
            &retailer,
            &product_ids,
            &shopper,
            at,
            &mut pending,
        );
        if pending.len() >= batch {
            let t = Instant::now();
            written += store::write(&bench.state.db, std::mem::take(&mut pending))
                .await
                .ok()?
                .new_events;
            flush_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    written += store::write(&bench.state.db, pending)
        .await
        .ok()?
        .new_events;
    let took = started.elapsed().as_secs_f64();
    println!(
        "shop: {written} events of {shoppers} shoppers and {products} products over {days} days \
         written in {took:.1} s ({:.0} events/s through the flush, {batch} per flush: {})",
        written as f64 / took,
        percentiles(flush_ms)
    );

    let today = Utc::now().date_naive();
    let product = &product_ids[0];
    let routes = [
        ("funnel, whole catalog, 30 days", "funnel?", 30),
        ("funnel, whole catalog, 90 days", "funnel?", 90),
        (
            "funnel, best seller, 30 days",
            "funnel?product_id={product}&",
            30,
        ),
        ("products, 30 days", "products?", 30),
        ("products, 90 days", "products?", 90),
        (
            "sizes, best seller, 90 days",
            "sizes?product_id={product}&",
            90,
        ),
    ];
    for (name, route, span) in routes {
        let route = route.replace("{product}", product);
        let mut ms = Vec::new();
        for q in 0..queries {
            // Another range each time: no answer comes from the cache.
            let to = today - Days::new(q as u64);
            let from = to - Days::new(span - 1);
            let path = format!("/api/v1/analytics/{route}from={from}&to={to}");
            ms.push(bench.time_get(&path, &token).await?);
        }
        println!(
            "{name} over {written} events ({queries} requests): {}",
            percentiles(ms)
        );
    }
    bench.state.shutdown().await;
    Some(())
}

fn main() {
    server_harness::main_with(run());
}
