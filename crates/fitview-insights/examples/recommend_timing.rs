//! Times size recommendations and "what next" queries on a simulated shop of 10,000 products and
//! 100,000 shoppers, models built beforehand as the server builds them in the background
//! (docs/benchmarks.md records the results):
//!
//! `cargo run --release -p fitview-insights --example recommend_timing [queries]`

use std::time::{Duration, Instant};

use fitview_insights::recommend::next::{NextModel, NextParams, NextQuery};
use fitview_insights::recommend::shop::Interaction;
use fitview_insights::recommend::size::{SizeModel, SizeParams, SizeQuery};
use fitview_insights::simulate::{SimConfig, SimulatedShop};

fn main() {
    let queries: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    let config = SimConfig {
        shoppers: 100_000,
        products: 10_000,
        clusters: 60,
        ..SimConfig::default()
    };
    let started = Instant::now();
    let shop = SimulatedShop::generate(&config);
    println!(
        "shop: {} products, {} shoppers, {} purchases, {} interactions, generated in {:.1?}",
        shop.products.len(),
        shop.shoppers.len(),
        shop.purchases.len(),
        shop.interactions.len(),
        started.elapsed()
    );

    let started = Instant::now();
    let sizes = SizeModel::build(
        shop.scale.clone(),
        &shop.products,
        &shop.purchases,
        &SizeParams::default(),
    );
    println!("size model built in {:.1?}", started.elapsed());
    let started = Instant::now();
    let next = NextModel::build(&shop.products, &shop.interactions, &NextParams::default());
    println!("what-next model built in {:.1?}", started.elapsed());

    let mut histories: Vec<Vec<Interaction>> = vec![Vec::new(); shop.shoppers.len()];
    for event in &shop.interactions {
        histories[event.shopper.0 as usize].push(*event);
    }
    let step = (shop.held_out.len() / queries.max(1)).max(1);
    let sessions: Vec<_> = shop.held_out.iter().step_by(step).take(queries).collect();

    let mut size_times = Vec::with_capacity(sessions.len());
    let mut answered = 0usize;
    for session in &sessions {
        let truth = &shop.shoppers[session.shopper.0 as usize];
        let product = session
            .tried_on
            .first()
            .copied()
            .unwrap_or(shop.products[0].id);
        let started = Instant::now();
        let advice = sizes.recommend(&SizeQuery {
            shopper: Some(session.shopper),
            measurements: truth.measurements.as_ref(),
            product,
        });
        size_times.push(started.elapsed());
        answered += usize::from(advice.is_ok());
    }
    report("size recommendation", &mut size_times, answered);

    let mut next_times = Vec::with_capacity(sessions.len());
    let mut answered = 0usize;
    for session in &sessions {
        let started = Instant::now();
        let answer = next.for_shopper(&NextQuery {
            history: &histories[session.shopper.0 as usize],
            now: session.at,
            size: Some(shop.shoppers[session.shopper.0 as usize].usual),
            limit: 10,
        });
        next_times.push(started.elapsed());
        answered += usize::from(answer.len() == 10);
    }
    report("what next (for a shopper)", &mut next_times, answered);

    let mut similar_times = Vec::with_capacity(sessions.len());
    let mut answered = 0usize;
    for session in &sessions {
        let product = session
            .tried_on
            .first()
            .copied()
            .unwrap_or(shop.products[0].id);
        let started = Instant::now();
        let answer = next.similar_to(product, None, 10);
        similar_times.push(started.elapsed());
        answered += usize::from(answer.len() == 10);
    }
    report(
        "what next (similar to a product)",
        &mut similar_times,
        answered,
    );
}

fn report(name: &str, times: &mut [Duration], answered: usize) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{name}: {} queries ({answered} full answers), p50 {:.2?}, p95 {:.2?}, p99 {:.2?}, max {:.2?}",
        times.len(),
        at(0.5),
        at(0.95),
        at(0.99),
        times[times.len() - 1]
    );
}
