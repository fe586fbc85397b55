//! The size recommendation: the three layers combined into one answer
//! `{size, confidence, alternatives, fit_notes, basis}`.
//!
//! Each layer gives a distribution over the product's sizes:
//!
//! - chart: [`chart_fit`]'s weights, moved one size up (down) when [`article_fit`] says the
//!   article runs small (large), since a chart describes the label, not the article;
//! - shopper: `∝ exp(-(u_c - v_ps)^2 / (2 σ^2))` over the product's sizes, `σ = 1/2`, from
//!   [`latent_sizes`] (which already learned how the article fits);
//! - failing both, the sizes of the product buyers kept (a weak popularity answer).
//!
//! Chart and shopper are mixed with weights 1 and the shopper's purchases with fit evidence `n`.
//! Confidence is the chosen size's probability times how much data stood behind it:
//! `1 - Π (1 - e_layer)` with `e_chart = 0.6 + 0.1·min(measurements, 3)`, `e_shopper = n / (n + 1)`
//! and, for the popularity answer alone, `e = k / (2 (k + 10))` for `k` kept purchases.

use std::collections::HashMap;

use serde::Serialize;

use crate::recommend::shop::{
    Outcome, Product, ProductId, Purchase, ReturnReason, ShopperId, Size,
};
use crate::recommend::size::article_fit::{ArticleFit, ArticlePrior, FitCounts, Runs, article_fit};
use crate::recommend::size::chart_fit::chart_fit;
use crate::recommend::size::latent_sizes::{LatentParams, LatentSizes, latent_sizes};
use crate::recommend::size::{Measurements, SizeChart, SizeScale};

/// Spread of the shopper layer's distribution, in sizes.
const SHOPPER_SIGMA: f64 = 0.5;

/// Alternatives below this confidence are not worth showing.
const MIN_ALTERNATIVE: f64 = 0.05;

/// Which layers a model may use (all, normally; fewer to measure what each adds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    /// Body measurements against the size chart.
    pub chart: bool,
    /// How the article fits, from its returns.
    pub article: bool,
    /// The shopper's learned true size.
    pub shopper: bool,
}

impl Layers {
    /// Every layer.
    pub const ALL: Layers = Layers {
        chart: true,
        article: true,
        shopper: true,
    };
    /// The size chart alone (the baseline the other layers must beat).
    pub const CHART_ONLY: Layers = Layers {
        chart: true,
        article: false,
        shopper: false,
    };
}

/// How a size model is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SizeParams {
    /// Layers used.
    pub layers: Layers,
    /// The article layer's priors.
    pub article: ArticlePrior,
    /// The shopper layer's loss and optimiser.
    pub latent: LatentParams,
}

impl Default for SizeParams {
    fn default() -> Self {
        Self {
            layers: Layers::ALL,
            article: ArticlePrior::default(),
            latent: LatentParams::default(),
        }
    }
}

/// What stood behind an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "layer", rename_all = "snake_case")]
pub enum Basis {
    /// The size chart, judged on this many body measurements.
    Chart {
        /// Measurements compared.
        measurements: usize,
    },
    /// How the article fits, from this many purchases and their returns.
    Article {
        /// Purchases of the article.
        purchases: u32,
    },
    /// The shopper's true size, from this many of their purchases.
    Shopper {
        /// The shopper's purchases with fit evidence.
        purchases: u32,
    },
    /// The sizes other buyers kept (no measurements, no history).
    Popular {
        /// Kept purchases of the article.
        kept: u32,
    },
}

/// A size and how sure the model is of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeOption {
    /// The label.
    pub size: String,
    /// In `[0, 1]`.
    pub confidence: f64,
}

/// The answer to "which size should I buy?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeAdvice {
    /// The recommended label.
    pub size: String,
    /// The recommended size on the shop's scale.
    #[serde(skip)]
    pub step: Size,
    /// In `[0, 1]`: the size's probability times the weight of the data behind it.
    pub confidence: f64,
    /// Other sizes worth considering, most likely first.
    pub alternatives: Vec<SizeOption>,
    /// Notes on how the article fits ("Runs small: ...").
    pub fit_notes: Vec<String>,
    /// The layers that answered.
    pub basis: Vec<Basis>,
}

/// Why no size could be recommended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    /// The product is not in the model.
    #[error("product {0:?} is not in the size model")]
    UnknownProduct(ProductId),
    /// The product has no sizes.
    #[error("product {0:?} has no sizes")]
    NoSizes(ProductId),
    /// No measurements matching the chart, no purchase history, no kept purchases of the product.
    #[error("no measurements, history or purchases to recommend a size of {0:?} from")]
    NoBasis(ProductId),
}

/// One size question.
#[derive(Debug, Clone, Copy)]
pub struct SizeQuery<'a> {
    /// The signed-in shopper, if any.
    pub shopper: Option<ShopperId>,
    /// Their saved body measurements, if any.
    pub measurements: Option<&'a Measurements>,
    /// The product asked about.
    pub product: ProductId,
}

#[derive(Debug, Clone)]
struct ProductSizing {
    category: String,
    sizes: Vec<Size>,
    chart: Option<SizeChart>,
    article: ArticleFit,
    kept: Vec<u32>,
}

/// What the layers learned from a shop's products and purchases, ready to answer queries.
#[derive(Debug, Clone)]
pub struct SizeModel {
    scale: SizeScale,
    layers: Layers,
    products: HashMap<ProductId, ProductSizing>,
    latent: LatentSizes,
}

impl SizeModel {
    /// Learns from `purchases` of `products`, sizes on `scale`.
    pub fn build(
        scale: SizeScale,
        products: &[Product],
        purchases: &[Purchase],
        params: &SizeParams,
    ) -> Self {
        let mut counts: HashMap<ProductId, FitCounts> = HashMap::new();
        let mut kept: HashMap<(ProductId, Size), u32> = HashMap::new();
        for p in purchases {
            let c = counts.entry(p.product).or_default();
            c.purchases += 1;
            match p.outcome {
                Outcome::Returned(ReturnReason::TooSmall) => c.too_small += 1,
                Outcome::Returned(ReturnReason::TooBig) => c.too_big += 1,
                Outcome::Kept => *kept.entry((p.product, p.size)).or_default() += 1,
                Outcome::Returned(ReturnReason::Other) => {}
            }
        }
        let mut categories: HashMap<&str, FitCounts> = HashMap::new();
        for product in products {
            let own = counts.get(&product.id).copied().unwrap_or_default();
            let total = categories.entry(&product.category).or_default();
            total.purchases += own.purchases;
            total.too_small += own.too_small;
            total.too_big += own.too_big;
        }
        let products = products
            .iter()
            .map(|product| {
                let own = counts.get(&product.id).copied().unwrap_or_default();
                let rest = categories
                    .get(product.category.as_str())
                    .copied()
                    .unwrap_or_default()
                    .without(own);
                let sizing = ProductSizing {
                    category: product.category.clone(),
                    sizes: product.sizes.clone(),
                    chart: product.chart.clone(),
                    article: article_fit(own, rest, &params.article),
                    kept: product
                        .sizes
                        .iter()
                        .map(|s| kept.get(&(product.id, *s)).copied().unwrap_or(0))
                        .collect(),
                };
                (product.id, sizing)
            })
            .collect();
        let latent = if params.layers.shopper {
            latent_sizes(purchases, &params.latent)
        } else {
            LatentSizes::default()
        };
        Self {
            scale,
            layers: params.layers,
            products,
            latent,
        }
    }

    /// The shop's size scale.
    pub fn scale(&self) -> &SizeScale {
        &self.scale
    }

    /// The size `shopper` wears in this shop: their latent true size (layer 3, learned from what
    /// they kept and returned) rounded to the nearest size on the scale. `None` when the shopper
    /// layer is off or they bought nothing with fit evidence. It is what "what next" prefers in
    /// stock ([`crate::recommend::next::NextQuery::size`]).
    pub fn usual_size(&self, shopper: ShopperId) -> Option<Size> {
        if !self.layers.shopper {
            return None;
        }
        self.scale.nearest(self.latent.shopper(shopper)?.size)
    }

    /// The article layer's verdict on `product`.
    pub fn article(&self, product: ProductId) -> Option<&ArticleFit> {
        self.products.get(&product).map(|p| &p.article)
    }

    /// Recommends a size of `query.product`.
    ///
    /// # Errors
    /// [`SizeError`] for an unknown product, one without sizes, or no data to answer from.
    pub fn recommend(&self, query: &SizeQuery<'_>) -> Result<SizeAdvice, SizeError> {
        let product = self
            .products
            .get(&query.product)
            .ok_or(SizeError::UnknownProduct(query.product))?;
        if product.sizes.is_empty() {
            return Err(SizeError::NoSizes(query.product));
        }
        let n = product.sizes.len();
        let mut mixture = vec![0.0; n];
        let mut mixture_weight = 0.0;
        let mut doubt = 1.0;
        let mut basis = Vec::new();

        if let Some((distribution, measurements)) = self.chart_layer(product, query.measurements) {
            add(&mut mixture, &distribution, 1.0);
            mixture_weight += 1.0;
            doubt *= 1.0 - (0.6 + 0.1 * measurements.min(3) as f64);
            basis.push(Basis::Chart { measurements });
        }
        if let Some((distribution, purchases)) = self.shopper_layer(query) {
            let weight = f64::from(purchases);
            add(&mut mixture, &distribution, weight);
            mixture_weight += weight;
            doubt *= 1.0 / (weight + 1.0);
            basis.push(Basis::Shopper { purchases });
        }
        if mixture_weight == 0.0 {
            let kept: u32 = product.kept.iter().sum();
            if kept == 0 {
                return Err(SizeError::NoBasis(query.product));
            }
            mixture = product.kept.iter().map(|&k| f64::from(k)).collect();
            mixture_weight = f64::from(kept);
            doubt = 1.0 - f64::from(kept) / (2.0 * (f64::from(kept) + 10.0));
            basis.push(Basis::Popular { kept });
        }
        let evidence = 1.0 - doubt;
        let mut ranked: Vec<(usize, f64)> = mixture
            .iter()
            .map(|p| p / mixture_weight * evidence)
            .enumerate()
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let (best, confidence) = ranked[0];
        let step = product.sizes[best];

        let mut fit_notes = Vec::new();
        if self.layers.article {
            if product.article.counts.purchases > 0 {
                basis.push(Basis::Article {
                    purchases: product.article.counts.purchases,
                });
            }
            fit_notes.extend(product.article.fit_note(&product.category));
        }
        Ok(SizeAdvice {
            size: self.scale.label(step).to_owned(),
            step,
            confidence,
            alternatives: ranked[1..]
                .iter()
                .take(2)
                .filter(|(_, c)| *c >= MIN_ALTERNATIVE)
                .map(|&(i, confidence)| SizeOption {
                    size: self.scale.label(product.sizes[i]).to_owned(),
                    confidence,
                })
                .collect(),
            fit_notes,
            basis,
        })
    }

    /// The chart layer's distribution over the product's sizes, moved by the article layer.
    fn chart_layer(
        &self,
        product: &ProductSizing,
        body: Option<&Measurements>,
    ) -> Option<(Vec<f64>, usize)> {
        if !self.layers.chart {
            return None;
        }
        let fit = chart_fit(product.chart.as_ref()?, body?)?;
        let mut distribution = vec![0.0; product.sizes.len()];
        for (label, weight) in &fit.weights {
            let Some(size) = self.scale.size_of(label) else {
                continue;
            };
            if let Some(i) = product.sizes.iter().position(|s| *s == size) {
                distribution[i] += weight;
            }
        }
        let total: f64 = distribution.iter().sum();
        if total <= 0.0 {
            return None;
        }
        distribution.iter_mut().for_each(|p| *p /= total);
        if self.layers.article {
            match product.article.runs {
                Runs::Small => distribution = shifted(&distribution, 1),
                Runs::Large => distribution = shifted(&distribution, -1),
                Runs::TrueToSize => {}
            }
        }
        Some((distribution, fit.measurements_used))
    }

    /// The shopper layer's distribution over the product's sizes, and its evidence.
    fn shopper_layer(&self, query: &SizeQuery<'_>) -> Option<(Vec<f64>, u32)> {
        if !self.layers.shopper {
            return None;
        }
        let shopper = self.latent.shopper(query.shopper?)?;
        let product = self.products.get(&query.product)?;
        let exponents: Vec<f64> = product
            .sizes
            .iter()
            .map(|s| {
                let gap = shopper.size - self.latent.fits(query.product, *s);
                -gap * gap / (2.0 * SHOPPER_SIGMA * SHOPPER_SIGMA)
            })
            .collect();
        let top = exponents.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let raw: Vec<f64> = exponents.iter().map(|e| (e - top).exp()).collect();
        let total: f64 = raw.iter().sum();
        Some((raw.iter().map(|r| r / total).collect(), shopper.evidence))
    }
}

fn add(into: &mut [f64], distribution: &[f64], weight: f64) {
    for (a, b) in into.iter_mut().zip(distribution) {
        *a += weight * b;
    }
}

/// `distribution` moved `by` sizes, the mass past either end kept on the end size.
fn shifted(distribution: &[f64], by: isize) -> Vec<f64> {
    let last = distribution.len().saturating_sub(1);
    let mut out = vec![0.0; distribution.len()];
    for (i, p) in distribution.iter().enumerate() {
        let j = i.saturating_add_signed(by).min(last);
        out[j] += p;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::size::Measurement;

    const CHART: &str = r#"{"unit": "cm", "sizes": {
        "S": {"chest": [84, 90]}, "M": {"chest": [90, 96]}, "L": {"chest": [96, 102]},
        "XL": {"chest": [102, 108]}}}"#;

    fn scale() -> SizeScale {
        SizeScale::new(["XS", "S", "M", "L", "XL"]).unwrap()
    }

    fn shirt(id: u32) -> Product {
        Product {
            id: ProductId(id),
            name: format!("Shirt {id}"),
            category: "shirts".into(),
            garment_category: "top".into(),
            description: String::new(),
            colour: None,
            price_cents: 3000,
            sizes: (1..=4).map(Size).collect(),
            in_stock: (1..=4).map(Size).collect(),
            chart: Some(SizeChart::from_json(CHART).unwrap()),
        }
    }

    fn buys(shopper: u32, product: u32, size: u8, outcome: Outcome, times: u32) -> Vec<Purchase> {
        (0..times)
            .map(|i| Purchase {
                shopper: ShopperId(shopper + i),
                product: ProductId(product),
                size: Size(size),
                outcome,
            })
            .collect()
    }

    fn medium_body() -> Measurements {
        Measurements::from([(Measurement::Chest, 93.0)])
    }

    fn ask(
        model: &SizeModel,
        shopper: Option<u32>,
        body: Option<&Measurements>,
        product: u32,
    ) -> SizeAdvice {
        model
            .recommend(&SizeQuery {
                shopper: shopper.map(ShopperId),
                measurements: body,
                product: ProductId(product),
            })
            .unwrap()
    }

    #[test]
    fn the_chart_answers_a_new_shopper() {
        let model = SizeModel::build(scale(), &[shirt(1)], &[], &SizeParams::default());
        let advice = ask(&model, None, Some(&medium_body()), 1);
        assert_eq!(advice.size, "M");
        assert_eq!(advice.basis, [Basis::Chart { measurements: 1 }]);
        assert!(advice.fit_notes.is_empty());
        let alternatives: Vec<_> = advice
            .alternatives
            .iter()
            .map(|a| a.size.as_str())
            .collect();
        assert_eq!(alternatives, ["S", "L"]);
        assert!(advice.confidence > advice.alternatives[0].confidence);
    }

    #[test]
    fn a_product_that_runs_small_moves_m_to_l_and_says_so() {
        let mut purchases = buys(1000, 1, 2, Outcome::Returned(ReturnReason::TooSmall), 30);
        purchases.extend(buys(2000, 1, 2, Outcome::Kept, 10));
        let model = SizeModel::build(scale(), &[shirt(1)], &purchases, &SizeParams::default());
        let advice = ask(&model, None, Some(&medium_body()), 1);
        assert_eq!(advice.size, "L");
        assert_eq!(
            advice.fit_notes,
            ["Runs small: 30 of 40 buyers returned it as too small (8% in shirts)"]
        );
        assert!(advice.basis.contains(&Basis::Article { purchases: 40 }));
    }

    #[test]
    fn five_returns_of_fifty_do_not_move_the_size() {
        let mut purchases = buys(1000, 1, 2, Outcome::Returned(ReturnReason::TooSmall), 5);
        purchases.extend(buys(2000, 1, 2, Outcome::Kept, 45));
        let model = SizeModel::build(scale(), &[shirt(1)], &purchases, &SizeParams::default());
        let advice = ask(&model, None, Some(&medium_body()), 1);
        assert_eq!(advice.size, "M");
        assert!(advice.fit_notes.is_empty());
    }

    #[test]
    fn a_shopper_without_measurements_who_kept_m_three_times_gets_m() {
        let products: Vec<_> = (1..=4).map(shirt).collect();
        let purchases: Vec<_> = (1..=3)
            .map(|p| Purchase {
                shopper: ShopperId(7),
                product: ProductId(p),
                size: Size(2),
                outcome: Outcome::Kept,
            })
            .collect();
        let model = SizeModel::build(scale(), &products, &purchases, &SizeParams::default());
        let advice = ask(&model, Some(7), None, 4);
        assert_eq!(advice.size, "M");
        assert_eq!(advice.basis, [Basis::Shopper { purchases: 3 }]);
        // More history, more confidence than one purchase gives.
        let one = SizeModel::build(scale(), &products, &purchases[..1], &SizeParams::default());
        assert!(advice.confidence > ask(&one, Some(7), None, 4).confidence);
    }

    #[test]
    fn the_usual_size_is_what_the_shopper_kept_or_one_up_from_too_small() {
        let products: Vec<_> = (1..=4).map(shirt).collect();
        let mut purchases: Vec<_> = (1..=3)
            .map(|p| Purchase {
                shopper: ShopperId(7),
                product: ProductId(p),
                size: Size(2),
                outcome: Outcome::Kept,
            })
            .collect();
        purchases.push(Purchase {
            shopper: ShopperId(8),
            product: ProductId(1),
            size: Size(1),
            outcome: Outcome::Returned(ReturnReason::TooSmall),
        });
        purchases.push(Purchase {
            shopper: ShopperId(9),
            product: ProductId(1),
            size: Size(1),
            outcome: Outcome::Returned(ReturnReason::Other),
        });
        let model = SizeModel::build(scale(), &products, &purchases, &SizeParams::default());
        assert_eq!(model.usual_size(ShopperId(7)), Some(Size(2)), "kept M");
        assert_eq!(
            model.usual_size(ShopperId(8)),
            Some(Size(2)),
            "S was too small"
        );
        assert_eq!(model.usual_size(ShopperId(9)), None, "no fit evidence");
        assert_eq!(model.usual_size(ShopperId(10)), None, "no purchases");
        let chart_only = SizeParams {
            layers: Layers::CHART_ONLY,
            ..SizeParams::default()
        };
        let model = SizeModel::build(scale(), &products, &purchases, &chart_only);
        assert_eq!(model.usual_size(ShopperId(7)), None, "shopper layer off");
    }

    #[test]
    fn cold_start_falls_down_to_what_buyers_kept_then_gives_up() {
        let mut product = shirt(1);
        product.chart = None;
        let mut purchases = buys(1000, 1, 3, Outcome::Kept, 6);
        purchases.extend(buys(2000, 1, 2, Outcome::Kept, 2));
        let model = SizeModel::build(
            scale(),
            &[product.clone()],
            &purchases,
            &SizeParams::default(),
        );
        let advice = ask(&model, Some(99), Some(&medium_body()), 1);
        assert_eq!(advice.size, "L");
        assert_eq!(
            advice.basis,
            [Basis::Popular { kept: 8 }, Basis::Article { purchases: 8 }]
        );
        assert!(advice.confidence < 0.3);

        let empty = SizeModel::build(scale(), &[product], &[], &SizeParams::default());
        let query = SizeQuery {
            shopper: None,
            measurements: None,
            product: ProductId(1),
        };
        assert_eq!(
            empty.recommend(&query),
            Err(SizeError::NoBasis(ProductId(1)))
        );
        let unknown = SizeQuery {
            product: ProductId(5),
            ..query
        };
        assert_eq!(
            empty.recommend(&unknown),
            Err(SizeError::UnknownProduct(ProductId(5)))
        );
    }

    #[test]
    fn chart_only_ignores_returns() {
        let purchases = buys(1000, 1, 2, Outcome::Returned(ReturnReason::TooSmall), 40);
        let params = SizeParams {
            layers: Layers::CHART_ONLY,
            ..SizeParams::default()
        };
        let model = SizeModel::build(scale(), &[shirt(1)], &purchases, &params);
        let advice = ask(&model, None, Some(&medium_body()), 1);
        assert_eq!(advice.size, "M");
        assert!(advice.fit_notes.is_empty());
    }

    #[test]
    fn serialises_as_the_api_answer() {
        let model = SizeModel::build(scale(), &[shirt(1)], &[], &SizeParams::default());
        let json = serde_json::to_value(ask(&model, None, Some(&medium_body()), 1)).unwrap();
        assert_eq!(json["size"], "M");
        assert_eq!(json["basis"][0]["layer"], "chart");
        assert_eq!(json["alternatives"][0]["size"], "S");
        assert!(json.get("step").is_none());
    }
}
