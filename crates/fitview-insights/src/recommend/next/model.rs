//! The "what next" model: built once from the catalogue and the shop's interactions (in the
//! background), then queried per shopper or per product.
//!
//! A shopper's history gives each product they touched a weight, `signal weight · 2^(-age /
//! half-life)` (try-on 1, cart add 2, purchase 3), summed over their interactions with it. A
//! candidate `j` scores
//!
//! `α · C_j / max C + (1 - α) · T_j / max T + ε · pop_j / max pop`
//!
//! where `C_j = Σ_h w_h S_hj` is its co-occurrence with the history ([`item_neighbours`]),
//! `T_j = profile · x_j` its style similarity to the weighted history ([`StyleVectors`]), and the
//! small popularity term only breaks ties. Re-ranking then drops what is out of stock or already in
//! the history (tried on, carted or bought) and halves the score of products not in stock in the
//! shopper's recommended size. The reason names the history product that contributed most.

use std::collections::{HashMap, HashSet};

use crate::recommend::next::cooccurrence::{Bm25, item_neighbours};
use crate::recommend::next::reason::Reason;
use crate::recommend::next::style::StyleVectors;
use crate::recommend::shop::{Interaction, Product, ProductId, Signal, Size};

/// Weight of the popularity tie-breaker, `ε`.
const TIE_BREAK: f32 = 0.01;

/// How a model is built and how it scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NextParams {
    /// Co-occurrence weighting.
    pub bm25: Bm25,
    /// `α`: the share of co-occurrence against style similarity.
    pub collaborative_weight: f32,
    /// Age at which an interaction counts half, in seconds.
    pub half_life_secs: i64,
    /// Factor on the score of a product not in stock in the shopper's size.
    pub off_size_factor: f32,
}

impl Default for NextParams {
    fn default() -> Self {
        Self {
            bm25: Bm25::default(),
            collaborative_weight: 0.9,
            half_life_secs: 14 * 24 * 3600,
            off_size_factor: 0.5,
        }
    }
}

/// One "what next" question about a shopper.
#[derive(Debug, Clone, Copy)]
pub struct NextQuery<'a> {
    /// The shopper's own interactions.
    pub history: &'a [Interaction],
    /// The time of the question, in the interactions' seconds.
    pub now: i64,
    /// The shopper's recommended size, if known.
    pub size: Option<Size>,
    /// How many suggestions.
    pub limit: usize,
}

/// A suggested product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Suggestion {
    /// The product.
    pub product: ProductId,
    /// Its score (comparable within one answer only).
    pub score: f32,
    /// Why.
    pub reason: Reason,
}

/// The precomputed model.
#[derive(Debug, Clone)]
pub struct NextModel {
    params: NextParams,
    ids: Vec<ProductId>,
    index: HashMap<ProductId, usize>,
    in_stock: Vec<Vec<Size>>,
    style: StyleVectors,
    neighbours: Vec<Vec<(u32, f32)>>,
    popularity: Vec<f32>,
    most_popular: Vec<u32>,
}

/// A history product's weight and the strongest thing the shopper did with it.
type Touch = (usize, f32, Option<Signal>);

impl NextModel {
    /// Builds the model of `products` from `interactions` (those with unknown products are
    /// skipped).
    pub fn build(products: &[Product], interactions: &[Interaction], params: &NextParams) -> Self {
        let ids: Vec<ProductId> = products.iter().map(|p| p.id).collect();
        let index: HashMap<ProductId, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut sessions: HashMap<u64, Vec<u32>> = HashMap::new();
        for event in interactions {
            if let Some(&i) = index.get(&event.product) {
                let session = sessions.entry(event.session).or_default();
                if !session.contains(&(i as u32)) {
                    session.push(i as u32);
                }
            }
        }
        let mut sessions: Vec<(u64, Vec<u32>)> = sessions.into_iter().collect();
        sessions.sort_unstable_by_key(|(id, _)| *id);
        let sessions: Vec<Vec<u32>> = sessions.into_iter().map(|(_, s)| s).collect();
        let mut popularity = vec![0.0f32; ids.len()];
        for &i in sessions.iter().flatten() {
            popularity[i as usize] += 1.0;
        }
        let mut most_popular: Vec<u32> = (0..ids.len() as u32).collect();
        most_popular.sort_by(|a, b| {
            popularity[*b as usize]
                .total_cmp(&popularity[*a as usize])
                .then(a.cmp(b))
        });
        Self {
            params: *params,
            neighbours: item_neighbours(&sessions, ids.len(), &params.bm25),
            style: StyleVectors::build(products),
            in_stock: products.iter().map(|p| p.in_stock.clone()).collect(),
            ids,
            index,
            popularity,
            most_popular,
        }
    }

    /// Suggestions for a shopper from their history; the most popular products without one.
    pub fn for_shopper(&self, query: &NextQuery<'_>) -> Vec<Suggestion> {
        let mut touched: HashMap<usize, (f32, Signal)> = HashMap::new();
        for event in query.history {
            let Some(&i) = self.index.get(&event.product) else {
                continue;
            };
            let age = (query.now - event.at).max(0) as f32;
            let decay =
                (-age / self.params.half_life_secs.max(1) as f32 * std::f32::consts::LN_2).exp();
            let entry = touched.entry(i).or_insert((0.0, event.signal));
            entry.0 += signal_weight(event.signal) * decay;
            if signal_weight(event.signal) > signal_weight(entry.1) {
                entry.1 = event.signal;
            }
        }
        let mut history: Vec<Touch> = touched
            .into_iter()
            .map(|(i, (w, s))| (i, w, Some(s)))
            .collect();
        history.sort_unstable_by_key(|t| t.0);
        let exclude: HashSet<usize> = history.iter().map(|t| t.0).collect();
        if history.is_empty() {
            return self.popular_except(&exclude, query.size, query.limit);
        }
        self.rank(&history, &exclude, query.size, query.limit)
    }

    /// Products like `product` ("you may also like"), empty for an unknown product.
    pub fn similar_to(
        &self,
        product: ProductId,
        size: Option<Size>,
        limit: usize,
    ) -> Vec<Suggestion> {
        let Some(&i) = self.index.get(&product) else {
            return Vec::new();
        };
        self.rank(&[(i, 1.0, None)], &HashSet::from([i]), size, limit)
    }

    /// The popularity answer to `query`, under the same re-ranking rules: the cold-start answer,
    /// and the baseline the personal one is measured against.
    pub fn popular(&self, query: &NextQuery<'_>) -> Vec<Suggestion> {
        let exclude: HashSet<usize> = query
            .history
            .iter()
            .filter_map(|e| self.index.get(&e.product).copied())
            .collect();
        self.popular_except(&exclude, query.size, query.limit)
    }

    fn popular_except(
        &self,
        exclude: &HashSet<usize>,
        size: Option<Size>,
        limit: usize,
    ) -> Vec<Suggestion> {
        let top = self.popularity.iter().copied().fold(0.0, f32::max).max(1.0);
        let mut out: Vec<Suggestion> = self
            .most_popular
            .iter()
            .map(|&i| i as usize)
            .filter(|i| self.eligible(*i, exclude))
            .map(|i| Suggestion {
                product: self.ids[i],
                score: self.popularity[i] / top * self.size_factor(i, size),
                reason: Reason::Popular,
            })
            .take(limit.saturating_mul(2).max(limit))
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out.truncate(limit);
        out
    }

    fn eligible(&self, i: usize, exclude: &HashSet<usize>) -> bool {
        !self.in_stock[i].is_empty() && !exclude.contains(&i)
    }

    fn size_factor(&self, i: usize, size: Option<Size>) -> f32 {
        match size {
            Some(s) if !self.in_stock[i].contains(&s) => self.params.off_size_factor,
            _ => 1.0,
        }
    }

    fn rank(
        &self,
        history: &[Touch],
        exclude: &HashSet<usize>,
        size: Option<Size>,
        limit: usize,
    ) -> Vec<Suggestion> {
        let n = self.ids.len();
        let mut collaborative = vec![0.0f32; n];
        for &(h, w, _) in history {
            for &(j, s) in &self.neighbours[h] {
                collaborative[j as usize] += w * s;
            }
        }
        let mut content = vec![0.0f32; n];
        let weights: Vec<(usize, f32)> = history.iter().map(|&(h, w, _)| (h, w)).collect();
        self.style.score_against(&weights, &mut content);
        let max_of = |v: &[f32]| {
            (0..n)
                .filter(|&i| self.eligible(i, exclude))
                .map(|i| v[i])
                .fold(0.0, f32::max)
                .max(f32::MIN_POSITIVE)
        };
        let (max_c, max_t) = (max_of(&collaborative), max_of(&content));
        let max_pop = self.popularity.iter().copied().fold(0.0, f32::max).max(1.0);
        let alpha = self.params.collaborative_weight;
        let mut scored: Vec<(usize, f32)> = (0..n)
            .filter(|&i| self.eligible(i, exclude))
            .map(|i| {
                let score = alpha * collaborative[i] / max_c
                    + (1.0 - alpha) * content[i] / max_t
                    + TIE_BREAK * self.popularity[i] / max_pop;
                (i, score * self.size_factor(i, size))
            })
            .collect();
        let limit = limit.min(scored.len());
        if limit == 0 {
            return Vec::new();
        }
        let by_score = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        scored.select_nth_unstable_by(limit - 1, by_score);
        scored.truncate(limit);
        scored.sort_unstable_by(by_score);
        scored
            .into_iter()
            .map(|(j, score)| Suggestion {
                product: self.ids[j],
                score,
                reason: self.reason(history, j, alpha / max_c, (1.0 - alpha) / max_t),
            })
            .collect()
    }

    /// The history product that contributed most to `j`'s score.
    fn reason(&self, history: &[Touch], j: usize, c_scale: f32, t_scale: f32) -> Reason {
        let mut best = (0.0f32, Reason::Popular);
        for &(h, w, signal) in history {
            let s = self.neighbours[h]
                .iter()
                .find(|(k, _)| *k as usize == j)
                .map_or(0.0, |(_, s)| *s);
            let product = self.ids[h];
            let with = w * s * c_scale;
            if with > best.0 {
                best = (with, Reason::TriedWith { product, signal });
            }
            let like = w * self.style.similarity(h, j) * t_scale;
            if like > best.0 {
                best = (like, Reason::LooksLike { product, signal });
            }
        }
        best.1
    }
}

fn signal_weight(signal: Signal) -> f32 {
    match signal {
        Signal::TryOn => 1.0,
        Signal::CartAdd => 2.0,
        Signal::Purchase => 3.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: u32, description: &str, in_stock: &[u8]) -> Product {
        Product {
            id: ProductId(id),
            name: format!("P{id}"),
            category: "shirts".into(),
            garment_category: "top".into(),
            description: description.into(),
            colour: None,
            price_cents: 3000,
            sizes: vec![Size(1), Size(2), Size(3)],
            in_stock: in_stock.iter().copied().map(Size).collect(),
            chart: None,
        }
    }

    fn event(shopper: u32, product: u32, signal: Signal, session: u64, at: i64) -> Interaction {
        Interaction {
            shopper: crate::recommend::shop::ShopperId(shopper),
            product: ProductId(product),
            signal,
            session,
            at,
        }
    }

    /// 0-1-2 are tried on together by many; 3 is red wool like 4; 5 is out of stock; 6 is the
    /// shop's bestseller.
    fn shop() -> (Vec<Product>, Vec<Interaction>) {
        let products = vec![
            product(0, "blue linen", &[1, 2, 3]),
            product(1, "blue cotton", &[1, 2, 3]),
            product(2, "navy cotton", &[1, 3]),
            product(3, "red wool", &[1, 2, 3]),
            product(4, "red wool", &[1, 2, 3]),
            product(5, "blue linen", &[]),
            product(6, "green silk", &[1, 2, 3]),
        ];
        let mut events = Vec::new();
        for s in 0..10u32 {
            let session = u64::from(s);
            for p in [0, 1, 2, 5] {
                events.push(event(s, p, Signal::TryOn, session, 0));
            }
        }
        for s in 10..40u32 {
            events.push(event(s, 6, Signal::TryOn, u64::from(s), 0));
            events.push(event(s, 3 + s % 2, Signal::TryOn, u64::from(s), 0));
        }
        (products, events)
    }

    fn ids(suggestions: &[Suggestion]) -> Vec<u32> {
        suggestions.iter().map(|s| s.product.0).collect()
    }

    #[test]
    fn suggests_what_is_tried_on_together_never_out_of_stock_or_seen() {
        let (products, events) = shop();
        let model = NextModel::build(&products, &events, &NextParams::default());
        let history = [
            event(99, 0, Signal::TryOn, 100, 10),
            event(99, 1, Signal::Purchase, 100, 10),
        ];
        let query = NextQuery {
            history: &history,
            now: 20,
            size: None,
            limit: 3,
        };
        let answer = model.for_shopper(&query);
        assert_eq!(answer[0].product, ProductId(2));
        assert!(
            !ids(&answer).iter().any(|p| [0, 1, 5].contains(p)),
            "{answer:?}"
        );
        assert!(matches!(
            answer[0].reason,
            Reason::TriedWith {
                signal: Some(_),
                ..
            }
        ));
        assert!(answer.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn prefers_products_in_the_shoppers_size() {
        let (products, events) = shop();
        let model = NextModel::build(&products, &events, &NextParams::default());
        let history = [
            event(99, 0, Signal::TryOn, 100, 10),
            event(99, 1, Signal::TryOn, 100, 10),
        ];
        let score_of_2 = |size| {
            let answer = model.for_shopper(&NextQuery {
                history: &history,
                now: 20,
                size: Some(Size(size)),
                limit: 3,
            });
            answer
                .iter()
                .find(|s| s.product == ProductId(2))
                .unwrap()
                .score
        };
        // Product 2 is stocked in sizes 1 and 3, not 2.
        assert!((score_of_2(2) - score_of_2(1) / 2.0).abs() < 1e-6);
        assert_eq!(score_of_2(1), score_of_2(3));
    }

    #[test]
    fn similar_to_a_product_and_popular_without_history() {
        let (products, events) = shop();
        let model = NextModel::build(&products, &events, &NextParams::default());
        // 6 is tried on with 3, 4 is red wool like 3.
        let similar = model.similar_to(ProductId(3), None, 2);
        let reasons: Vec<_> = similar.iter().map(|s| (s.product.0, s.reason)).collect();
        let (with, like) = (
            Reason::TriedWith {
                product: ProductId(3),
                signal: None,
            },
            Reason::LooksLike {
                product: ProductId(3),
                signal: None,
            },
        );
        assert_eq!(reasons, [(6, with), (4, like)]);
        assert!(model.similar_to(ProductId(77), None, 2).is_empty());

        let cold = model.for_shopper(&NextQuery {
            history: &[],
            now: 0,
            size: None,
            limit: 2,
        });
        assert_eq!(cold[0].product, ProductId(6));
        assert_eq!(cold[0].reason, Reason::Popular);
    }

    #[test]
    fn recent_interest_outweighs_old_interest() {
        let (products, events) = shop();
        let model = NextModel::build(&products, &events, &NextParams::default());
        let day = 24 * 3600;
        let history = [
            event(99, 3, Signal::TryOn, 100, 0),
            event(99, 0, Signal::TryOn, 101, 90 * day),
        ];
        let answer = model.for_shopper(&NextQuery {
            history: &history,
            now: 90 * day,
            size: None,
            limit: 1,
        });
        assert!([1, 2].contains(&answer[0].product.0), "{answer:?}");
    }
}
