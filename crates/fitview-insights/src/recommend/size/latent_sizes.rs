//! Layer 3: a latent true size per shopper and per product-size, learned from what shoppers kept
//! and what they returned as too small or too big (after Sembium, Rastogi, Saroop and Merugu,
//! "Recommending Product Sizes to Customers", RecSys 2017).
//!
//! Shopper `c` has a true size `u_c` and product `p` in size `s` fits a true size
//! `v_ps = s + o_p + d_ps` (on the shop's size scale: an article that runs one size small has
//! `o_p ≈ -1`). With `f = u_c - v_ps`, each purchase adds a squared hinge loss:
//!
//! - kept: `max(0, |f| - t)^2` (it fitted: `f` within the tolerance `t`);
//! - returned too small: `max(0, μ - f)^2` (the shopper is at least `μ` larger);
//! - returned too big: `max(0, μ + f)^2`;
//! - returned for another reason: nothing (no evidence about fit);
//!
//! plus `λ_u (u_c - ū_c)^2 + λ_o o_p^2 + λ_d d_ps^2`, where `ū_c` is the size the shopper's
//! purchases point at (the size kept, one up when too small, one down when too big). It is
//! minimised by stochastic gradient descent over the purchases, alternating their order each epoch
//! so that the result depends on the data alone.

use std::collections::HashMap;

use crate::recommend::shop::{Outcome, ProductId, Purchase, ReturnReason, ShopperId, Size};

/// The loss and optimiser settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatentParams {
    /// Passes over the purchases.
    pub epochs: u32,
    /// SGD step.
    pub learning_rate: f64,
    /// `t`: how far a kept size may sit from the shopper's true size without loss.
    pub kept_tolerance: f64,
    /// `μ`: how much larger (smaller) a shopper is than a size returned as too small (big).
    pub return_margin: f64,
    /// `λ_u`.
    pub shopper_regularisation: f64,
    /// `λ_o`.
    pub product_regularisation: f64,
    /// `λ_d`.
    pub product_size_regularisation: f64,
}

impl Default for LatentParams {
    fn default() -> Self {
        Self {
            epochs: 30,
            learning_rate: 0.05,
            kept_tolerance: 0.25,
            return_margin: 0.75,
            shopper_regularisation: 0.05,
            product_regularisation: 0.02,
            product_size_regularisation: 0.5,
        }
    }
}

/// A shopper's learned true size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShopperSize {
    /// `u_c`, on the size scale (2.0 is exactly the third label).
    pub size: f64,
    /// Purchases with fit evidence behind it.
    pub evidence: u32,
}

/// What the latent model learned.
#[derive(Debug, Clone, Default)]
pub struct LatentSizes {
    shoppers: HashMap<ShopperId, ShopperSize>,
    product_offsets: HashMap<ProductId, f64>,
    product_size_offsets: HashMap<(ProductId, Size), f64>,
}

impl LatentSizes {
    /// The learned size of `shopper`, if they bought anything with fit evidence.
    pub fn shopper(&self, shopper: ShopperId) -> Option<ShopperSize> {
        self.shoppers.get(&shopper).copied()
    }

    /// `v_ps`: the true size `product` in `size` fits (its label when nothing was learned).
    pub fn fits(&self, product: ProductId, size: Size) -> f64 {
        f64::from(size.0)
            + self.product_offsets.get(&product).copied().unwrap_or(0.0)
            + self
                .product_size_offsets
                .get(&(product, size))
                .copied()
                .unwrap_or(0.0)
    }
}

enum Fit {
    Kept,
    TooSmall,
    TooBig,
}

/// Learns the latent sizes from `purchases`.
pub fn latent_sizes(purchases: &[Purchase], params: &LatentParams) -> LatentSizes {
    let mut shopper_index: HashMap<ShopperId, usize> = HashMap::new();
    let mut product_index: HashMap<ProductId, usize> = HashMap::new();
    let mut product_size_index: HashMap<(ProductId, Size), usize> = HashMap::new();
    let mut anchors: Vec<(f64, u32)> = Vec::new();
    let mut observations = Vec::new();
    for p in purchases {
        let (fit, pointed) = match p.outcome {
            Outcome::Kept => (Fit::Kept, 0.0),
            Outcome::Returned(ReturnReason::TooSmall) => (Fit::TooSmall, 1.0),
            Outcome::Returned(ReturnReason::TooBig) => (Fit::TooBig, -1.0),
            Outcome::Returned(ReturnReason::Other) => continue,
        };
        let next = shopper_index.len();
        let c = *shopper_index.entry(p.shopper).or_insert(next);
        if c == anchors.len() {
            anchors.push((0.0, 0));
        }
        anchors[c].0 += f64::from(p.size.0) + pointed;
        anchors[c].1 += 1;
        let next = product_index.len();
        let o = *product_index.entry(p.product).or_insert(next);
        let next = product_size_index.len();
        let d = *product_size_index
            .entry((p.product, p.size))
            .or_insert(next);
        observations.push((c, o, d, f64::from(p.size.0), fit));
    }
    let anchors: Vec<f64> = anchors.iter().map(|(sum, n)| sum / f64::from(*n)).collect();
    let mut u = anchors.clone();
    let mut o = vec![0.0; product_index.len()];
    let mut d = vec![0.0; product_size_index.len()];
    let lr = params.learning_rate;
    for epoch in 0..params.epochs {
        let mut step = |&(c, p, ps, s, ref fit): &(usize, usize, usize, f64, Fit)| {
            let f = u[c] - (s + o[p] + d[ps]);
            // dL/df of the squared hinge.
            let g = match fit {
                Fit::Kept => 2.0 * (f.abs() - params.kept_tolerance).max(0.0) * f.signum(),
                Fit::TooSmall => -2.0 * (params.return_margin - f).max(0.0),
                Fit::TooBig => 2.0 * (params.return_margin + f).max(0.0),
            };
            u[c] -= lr * (g + params.shopper_regularisation * (u[c] - anchors[c]));
            o[p] -= lr * (-g + params.product_regularisation * o[p]);
            d[ps] -= lr * (-g + params.product_size_regularisation * d[ps]);
        };
        if epoch % 2 == 0 {
            observations.iter().for_each(&mut step);
        } else {
            observations.iter().rev().for_each(&mut step);
        }
    }
    let mut evidence = vec![0u32; u.len()];
    for (c, ..) in &observations {
        evidence[*c] += 1;
    }
    LatentSizes {
        shoppers: shopper_index
            .into_iter()
            .map(|(id, c)| {
                (
                    id,
                    ShopperSize {
                        size: u[c],
                        evidence: evidence[c],
                    },
                )
            })
            .collect(),
        product_offsets: product_index
            .into_iter()
            .map(|(id, i)| (id, o[i]))
            .collect(),
        product_size_offsets: product_size_index
            .into_iter()
            .map(|(key, i)| (key, d[i]))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase(shopper: u32, product: u32, size: u8, outcome: Outcome) -> Purchase {
        Purchase {
            shopper: ShopperId(shopper),
            product: ProductId(product),
            size: Size(size),
            outcome,
        }
    }

    const SMALL: Outcome = Outcome::Returned(ReturnReason::TooSmall);

    #[test]
    fn kept_m_three_times_is_m() {
        let purchases: Vec<_> = (0..3).map(|p| purchase(1, p, 2, Outcome::Kept)).collect();
        let model = latent_sizes(&purchases, &LatentParams::default());
        let shopper = model.shopper(ShopperId(1)).unwrap();
        assert!((shopper.size - 2.0).abs() < 0.25, "{shopper:?}");
        assert_eq!(shopper.evidence, 3);
        assert_eq!(model.shopper(ShopperId(2)), None);
    }

    #[test]
    fn a_product_everyone_returns_as_too_small_fits_a_size_smaller() {
        let mut purchases = Vec::new();
        for shopper in 0..20 {
            // Each shopper keeps M in two true-to-size products...
            purchases.push(purchase(shopper, 100, 2, Outcome::Kept));
            purchases.push(purchase(shopper, 101, 2, Outcome::Kept));
            // ...returns M of product 7 as too small and keeps its L.
            purchases.push(purchase(shopper, 7, 2, SMALL));
            purchases.push(purchase(shopper, 7, 3, Outcome::Kept));
        }
        let model = latent_sizes(&purchases, &LatentParams::default());
        let m_of_7 = model.fits(ProductId(7), Size(2));
        let l_of_7 = model.fits(ProductId(7), Size(3));
        let shopper = model.shopper(ShopperId(0)).unwrap().size;
        assert!(
            m_of_7 < shopper - 0.5,
            "M of 7 fits {m_of_7}, shopper is {shopper}"
        );
        assert!(
            (l_of_7 - shopper).abs() < 0.5,
            "L of 7 fits {l_of_7}, shopper is {shopper}"
        );
        assert!((model.fits(ProductId(100), Size(2)) - shopper).abs() < 0.3);
    }

    #[test]
    fn returns_for_other_reasons_teach_nothing() {
        let purchases = [purchase(1, 1, 2, Outcome::Returned(ReturnReason::Other))];
        assert_eq!(
            latent_sizes(&purchases, &LatentParams::default()).shopper(ShopperId(1)),
            None
        );
    }
}
