//! Criterion benchmarks of `fitview-insights` alone (issue 14): the maths behind the retailer's
//! figures, on generated data.
//!
//! - `funnel_1m_events`: an ordered four-step funnel over 1,000,000 events of 100,000 shoppers;
//! - `rollup_10k_events`: the rollup rows of one flush-sized batch of 10,000 events;
//! - `products_from_rollups`: per-product figures from 100,000 rollup rows;
//! - `forecast_10k_products`: weekly demand forecasts of 10,000 products (two years of history
//!   each, a third intermittent), method chosen by backtest as the server does.
//!
//! `cargo bench -p fitview-benches --bench insights`.

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use fitview_insights::aggregate::{products, rollup};
use fitview_insights::forecast::forecast;
use fitview_insights::{Event, EventKind, FunnelTouch, funnel};

/// A small deterministic generator (xorshift64*), so every run sees the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn event(rng: &mut Rng, start: DateTime<Utc>) -> Event {
    let kind = EventKind::ALL[rng.below(EventKind::ALL.len() as u64) as usize];
    Event {
        id: rng.next().to_string(),
        kind,
        occurred_at: start + Duration::minutes(rng.below(60 * 24 * 30) as i64),
        product_id: format!("p{}", rng.below(200)),
        model_id: Some(format!("m{}", rng.below(8))),
        size: Some(["S", "M", "L", "XL"][rng.below(4) as usize].to_owned()),
        quantity: 1 + rng.below(3) as i64,
        value_cents: Some(2999),
        currency: Some("EUR".to_owned()),
        session_id: None,
        user_id: Some(format!("u{}", rng.below(10_000))),
        reason: (kind == EventKind::Returned).then_some(fitview_insights::ReturnReason::TooBig),
        provider_cost_micros: 0,
    }
}

fn insights(c: &mut Criterion) {
    let start = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000);
    let mut rng = Rng(14);

    let shoppers: Vec<String> = (0..100_000).map(|i| format!("u{i}")).collect();
    let touches: Vec<FunnelTouch<'_>> = (0..1_000_000)
        .map(|_| FunnelTouch {
            shopper: &shoppers[rng.below(100_000) as usize],
            kind: EventKind::DEFAULT_FUNNEL[rng.below(4) as usize],
            at: start + Duration::minutes(rng.below(60 * 24 * 30) as i64),
        })
        .collect();
    c.bench_function("funnel_1m_events", |b| {
        b.iter(|| {
            funnel(
                black_box(&touches),
                &EventKind::DEFAULT_FUNNEL,
                Duration::days(7),
            )
        })
    });

    let events: Vec<Event> = (0..10_000).map(|_| event(&mut rng, start)).collect();
    c.bench_function("rollup_10k_events", |b| {
        b.iter(|| rollup(black_box(&events)))
    });

    let many: Vec<Event> = (0..400_000).map(|_| event(&mut rng, start)).collect();
    let rows = rollup(&many);
    eprintln!("products_from_rollups: {} rollup rows", rows.len());
    c.bench_function("products_from_rollups", |b| {
        b.iter(|| products(black_box(&rows)))
    });

    let series: Vec<Vec<f64>> = (0..10_000)
        .map(|p| {
            (0..104)
                .map(|w| {
                    if p % 3 == 0 {
                        if rng.below(4) == 0 {
                            (1 + rng.below(5)) as f64
                        } else {
                            0.0
                        }
                    } else {
                        (10 + w / 4 + rng.below(6) + if w % 52 < 6 { 10 } else { 0 }) as f64
                    }
                })
                .collect()
        })
        .collect();
    let mut group = c.benchmark_group("forecast");
    group.sample_size(10);
    group.bench_function("forecast_10k_products", |b| {
        b.iter(|| {
            series
                .iter()
                .map(|s| forecast(black_box(s), 8).points[0].units)
                .sum::<f64>()
        })
    });
    group.finish();
}

criterion_group!(benches, insights);
criterion_main!(benches);
