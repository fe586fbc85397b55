//! Scores of the recommenders on a simulated shop's held-out sessions, against its truth.
//!
//! - Sizes, per held-out purchase: the recommended size is *exact* when it is the size that fits
//!   best by the truth (least `|e - v|`), *within one* when at most one size off; the *fit return
//!   rate* is the mean probability, by the truth, that the shopper returns the recommended size as
//!   too small or too big. When a model has no answer the shopper buys the size they believe is
//!   theirs, as they would without a recommendation.
//! - What next, per held-out session with products new to the shopper: *hit rate@k* is the share
//!   of sessions where one of the top `k` was tried on; *NDCG@k* is
//!   `Σ_{r ≤ k, relevant} 1 / log2(r + 1) / IDCG` (Järvelin and Kekäläinen, 2002), with binary
//!   relevance and `IDCG` the best possible for the session's number of relevant products.

use std::collections::HashSet;

use crate::recommend::next::{NextModel, NextParams, NextQuery, Suggestion};
use crate::recommend::shop::{Interaction, ProductId, ShopperId, Size};
use crate::recommend::size::{Layers, SizeModel, SizeParams, SizeQuery};
use crate::simulate::shop::SimulatedShop;

/// How well sizes were recommended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SizeScores {
    /// Held-out purchases scored.
    pub purchases: usize,
    /// Of them, answered by the model (the rest fell back to the shopper's own pick).
    pub answered: usize,
    /// Share recommended exactly the best size.
    pub exact: f64,
    /// Share at most one size off.
    pub within_one: f64,
    /// Mean probability of a return as too small or too big.
    pub fit_return_rate: f64,
    /// The same had every shopper bought the best size (what no recommender can beat: some
    /// shoppers fall between sizes).
    pub best_fit_return_rate: f64,
}

/// How well "what next" ranked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NextScores {
    /// Held-out sessions scored.
    pub sessions: usize,
    /// Hit rate@k of the model.
    pub hit_rate: f64,
    /// NDCG@k of the model.
    pub ndcg: f64,
    /// Hit rate@k of the popularity baseline.
    pub popular_hit_rate: f64,
    /// NDCG@k of the popularity baseline.
    pub popular_ndcg: f64,
}

/// Scores a size model using `layers`, learned from the shop's history; `None` scores the
/// shoppers' own pick (no recommendation at all).
pub fn evaluate_sizes(shop: &SimulatedShop, layers: Option<Layers>) -> SizeScores {
    let model = layers.map(|layers| {
        let params = SizeParams {
            layers,
            ..SizeParams::default()
        };
        SizeModel::build(shop.scale.clone(), &shop.products, &shop.purchases, &params)
    });
    let (mut purchases, mut answered, mut exact, mut within_one) = (0, 0, 0, 0);
    let (mut returns, mut best_returns) = (0.0, 0.0);
    for session in &shop.held_out {
        let Some(truth) = shop.shoppers.get(session.shopper.0 as usize) else {
            continue;
        };
        for &product in &session.bought {
            let advice = model.as_ref().and_then(|m| {
                m.recommend(&SizeQuery {
                    shopper: Some(session.shopper),
                    measurements: truth.measurements.as_ref(),
                    product,
                })
                .ok()
            });
            answered += usize::from(advice.is_some());
            let size = advice.map_or(truth.usual, |a| a.step);
            let Some(best) = shop.best_size(session.shopper, product) else {
                continue;
            };
            purchases += 1;
            exact += usize::from(size == best);
            within_one += usize::from(size.0.abs_diff(best.0) <= 1);
            returns += shop.fit_return_probability(session.shopper, product, size);
            best_returns += shop.fit_return_probability(session.shopper, product, best);
        }
    }
    let share = |n: usize| n as f64 / purchases.max(1) as f64;
    SizeScores {
        purchases,
        answered,
        exact: share(exact),
        within_one: share(within_one),
        fit_return_rate: returns / purchases.max(1) as f64,
        best_fit_return_rate: best_returns / purchases.max(1) as f64,
    }
}

/// Scores "what next" (top `k`) and the popularity baseline on the held-out sessions.
pub fn evaluate_next(shop: &SimulatedShop, params: &NextParams, k: usize) -> NextScores {
    let model = NextModel::build(&shop.products, &shop.interactions, params);
    let mut histories: Vec<Vec<Interaction>> = vec![Vec::new(); shop.shoppers.len()];
    for event in &shop.interactions {
        if let Some(h) = histories.get_mut(event.shopper.0 as usize) {
            h.push(*event);
        }
    }
    let (mut sessions, mut hits, mut ndcg, mut popular_hits, mut popular_ndcg) =
        (0, 0, 0.0, 0, 0.0);
    for session in &shop.held_out {
        let history = histories
            .get(session.shopper.0 as usize)
            .map_or(&[][..], Vec::as_slice);
        let seen: HashSet<ProductId> = history.iter().map(|e| e.product).collect();
        let relevant: HashSet<ProductId> = session
            .tried_on
            .iter()
            .copied()
            .filter(|p| !seen.contains(p))
            .collect();
        if relevant.is_empty() {
            continue;
        }
        let query = NextQuery {
            history,
            now: session.at,
            size: usual_size(shop, session.shopper),
            limit: k,
        };
        sessions += 1;
        let (hit, gain) = score_ranking(&model.for_shopper(&query), &relevant, k);
        hits += usize::from(hit);
        ndcg += gain;
        let (hit, gain) = score_ranking(&model.popular(&query), &relevant, k);
        popular_hits += usize::from(hit);
        popular_ndcg += gain;
    }
    let mean = |x: f64| x / sessions.max(1) as f64;
    NextScores {
        sessions,
        hit_rate: mean(hits as f64),
        ndcg: mean(ndcg),
        popular_hit_rate: mean(popular_hits as f64),
        popular_ndcg: mean(popular_ndcg),
    }
}

fn usual_size(shop: &SimulatedShop, shopper: ShopperId) -> Option<Size> {
    shop.shoppers.get(shopper.0 as usize).map(|s| s.usual)
}

/// Whether the top `k` hit, and the NDCG@k.
fn score_ranking(ranking: &[Suggestion], relevant: &HashSet<ProductId>, k: usize) -> (bool, f64) {
    let discount = |rank: usize| 1.0 / (rank as f64 + 2.0).log2();
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, s)| relevant.contains(&s.product))
        .map(|(r, _)| discount(r))
        .sum();
    let ideal: f64 = (0..relevant.len().min(k)).map(discount).sum();
    (dcg > 0.0, if ideal > 0.0 { dcg / ideal } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::next::Reason;
    use crate::simulate::SimConfig;

    #[test]
    fn ndcg_rewards_relevant_products_near_the_top() {
        let suggest = |id| Suggestion {
            product: ProductId(id),
            score: 1.0,
            reason: Reason::Popular,
        };
        let ranking = [suggest(1), suggest(2), suggest(3)];
        let relevant = HashSet::from([ProductId(1)]);
        assert_eq!(score_ranking(&ranking, &relevant, 10), (true, 1.0));
        let relevant = HashSet::from([ProductId(2), ProductId(9)]);
        let (hit, gain) = score_ranking(&ranking, &relevant, 10);
        assert!(hit && (gain - (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2())).abs() < 1e-12);
        assert_eq!(score_ranking(&ranking, &relevant, 1), (false, 0.0));
    }

    fn shop() -> SimulatedShop {
        SimulatedShop::generate(&SimConfig {
            shoppers: 2_000,
            products: 300,
            ..SimConfig::default()
        })
    }

    #[test]
    fn all_size_layers_beat_the_chart_alone_by_a_clear_margin() {
        let shop = shop();
        let chart = evaluate_sizes(&shop, Some(Layers::CHART_ONLY));
        let article = evaluate_sizes(
            &shop,
            Some(Layers {
                shopper: false,
                ..Layers::ALL
            }),
        );
        let all = evaluate_sizes(&shop, Some(Layers::ALL));
        let own = evaluate_sizes(&shop, None);
        println!(
            "own pick {own:?}\nchart only {chart:?}\nchart + article {article:?}\nall layers {all:?}"
        );
        assert!(all.purchases > 300);
        assert!(all.exact > chart.exact + 0.1, "{all:?} vs {chart:?}");
        assert!(all.within_one >= chart.within_one);
        // The article layer alone corrects the chart for products that run small or large.
        assert!(
            article.exact > chart.exact + 0.04,
            "{article:?} vs {chart:?}"
        );
        assert!(
            article.fit_return_rate < chart.fit_return_rate,
            "{article:?} vs {chart:?}"
        );
        assert!(
            all.fit_return_rate < 0.75 * chart.fit_return_rate,
            "{all:?} vs {chart:?}"
        );
        // Without measurements the chart falls back to the size most buyers kept, which is worse
        // than what shoppers know of themselves; all layers beat both.
        assert!(all.exact > own.exact + 0.1, "{all:?} vs {own:?}");
        assert!(
            all.fit_return_rate < 0.75 * own.fit_return_rate,
            "{all:?} vs {own:?}"
        );
    }

    #[test]
    fn what_next_beats_popularity_by_a_clear_margin() {
        let scores = evaluate_next(&shop(), &NextParams::default(), 10);
        println!("{scores:?}");
        assert!(scores.sessions > 1_000);
        assert!(
            scores.hit_rate > 1.5 * scores.popular_hit_rate,
            "{scores:?}"
        );
        assert!(scores.ndcg > 1.5 * scores.popular_ndcg, "{scores:?}");
    }
}
