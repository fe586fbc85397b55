//! Prints the recommenders' scores on a simulated shop (docs/recommendations.md records them):
//!
//! `cargo run -p fitview-insights --example recommend_eval [seed] [shoppers] [products]`

use fitview_insights::recommend::next::NextParams;
use fitview_insights::recommend::size::Layers;
use fitview_insights::simulate::{SimConfig, SimulatedShop, evaluate_next, evaluate_sizes};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let defaults = SimConfig::default();
    let config = SimConfig {
        seed: args.first().copied().unwrap_or(defaults.seed),
        shoppers: args.get(1).map_or(defaults.shoppers, |&n| n as usize),
        products: args.get(2).map_or(defaults.products, |&n| n as usize),
        ..defaults
    };
    let shop = SimulatedShop::generate(&config);
    println!(
        "Simulated shop: seed {}, {} shoppers ({:.0}% with measurements), {} products, {} purchases and {} interactions before the held-out sessions.\n",
        config.seed,
        config.shoppers,
        config.measured_share * 100.0,
        config.products,
        shop.purchases.len(),
        shop.interactions.len()
    );
    println!(
        "| Size recommendation | held-out purchases | answered | exact | within one | fit return rate |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let rows = [
        ("none (the shopper's own pick)", None),
        ("chart only", Some(Layers::CHART_ONLY)),
        (
            "chart + article",
            Some(Layers {
                shopper: false,
                ..Layers::ALL
            }),
        ),
        (
            "chart + shopper",
            Some(Layers {
                article: false,
                ..Layers::ALL
            }),
        ),
        ("all layers", Some(Layers::ALL)),
    ];
    for (name, layers) in rows {
        let s = evaluate_sizes(&shop, layers);
        println!(
            "| {name} | {} | {} | {:.1}% | {:.1}% | {:.1}% |",
            s.purchases,
            s.answered,
            s.exact * 100.0,
            s.within_one * 100.0,
            s.fit_return_rate * 100.0
        );
    }
    let oracle = evaluate_sizes(&shop, None);
    println!(
        "| the best size by the truth (no recommender can do better) | {} | | 100.0% | 100.0% | {:.1}% |",
        oracle.purchases,
        oracle.best_fit_return_rate * 100.0
    );
    let next = evaluate_next(&shop, &NextParams::default(), 10);
    println!(
        "\n| What next (top 10), {} held-out sessions | hit rate@10 | NDCG@10 |",
        next.sessions
    );
    println!("|---|---:|---:|");
    println!(
        "| popularity baseline | {:.1}% | {:.3} |",
        next.popular_hit_rate * 100.0,
        next.popular_ndcg
    );
    for alpha in [0.0, 0.5, 0.7, 0.9, 1.0] {
        let name = match alpha {
            0.0 => "style only".to_owned(),
            1.0 => "co-occurrence only".to_owned(),
            _ => format!("both, α = {alpha}"),
        };
        let params = NextParams {
            collaborative_weight: alpha,
            ..NextParams::default()
        };
        let s = evaluate_next(&shop, &params, 10);
        println!("| {name} | {:.1}% | {:.3} |", s.hit_rate * 100.0, s.ndcg);
    }
}
