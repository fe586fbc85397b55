//! The simulated shop and its hidden truth.
//!
//! - Sizes XS to XXL; a shopper's true size `z` (on that scale) is drawn from `N(2.2, 1)`, their
//!   fit preference `φ` (likes it loose or tight) from `N(0, 0.2²)`; they fit garments of size
//!   `e = z + φ`. A share of shoppers saved measurements: chest `87 + 6z`, waist `71 + 6z`, hip
//!   `93 + 6z` cm, each with 1.5 cm of noise, matching the shop's chart (6 cm per size).
//! - Product `p` in size `s` fits size `s + o_p`: `o_p` is 0 for most products, −1 (runs a size
//!   small), +1, −½ or +½ for the rest. A few products are out of stock or miss a size.
//! - Taste clusters: every product belongs to one, with the cluster's colours, pattern, material
//!   and price band in its description most of the time; every shopper has a cluster and picks
//!   most of a session's try-ons from it (popular products more often), the rest from the shop.
//! - Of the products tried on, some are carted and some bought, in the size the shopper believes
//!   is theirs (`round(z)`, sometimes one off); with `f = e - (s + o_p)` the purchase is returned
//!   too small with probability `σ((f - ½) / 0.15)`, too big with `σ((-f - ½) / 0.15)`, for another
//!   reason with 6%, else kept; after a fit return, half the shoppers buy the next size.
//! - Each shopper's last session is held out for the evaluation.

use crate::recommend::shop::{
    Interaction, Outcome, Product, ProductId, Purchase, ReturnReason, ShopperId, Signal, Size,
};
use crate::recommend::size::{Measurement, Measurements, SizeChart, SizeScale};
use crate::simulate::rng::Rng;

/// The size labels of the simulated shop.
const LABELS: [&str; 6] = ["XS", "S", "M", "L", "XL", "XXL"];
/// Share of purchases returned for reasons other than fit.
pub(crate) const OTHER_RETURN_RATE: f64 = 0.06;
const DAY: i64 = 24 * 3600;

const CATEGORIES: [(&str, &str); 6] = [
    ("shirts", "top"),
    ("t-shirts", "top"),
    ("jackets", "top"),
    ("knitwear", "top"),
    ("trousers", "bottom"),
    ("dresses", "one_piece"),
];
const COLOURS: [&str; 12] = [
    "black", "white", "navy", "blue", "red", "green", "olive", "beige", "pink", "grey", "burgundy",
    "yellow",
];
const PATTERNS: [&str; 6] = ["plain", "striped", "checked", "floral", "dotted", "printed"];
const MATERIALS: [&str; 6] = ["cotton", "linen", "wool", "denim", "silk", "jersey"];

/// How big a shop to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimConfig {
    /// Everything drawn follows from it.
    pub seed: u64,
    /// Shoppers.
    pub shoppers: usize,
    /// Products.
    pub products: usize,
    /// Taste clusters.
    pub clusters: usize,
    /// Sessions per shopper, at least (up to twice as many).
    pub sessions: usize,
    /// Share of shoppers with saved measurements.
    pub measured_share: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 15,
            shoppers: 5_000,
            products: 800,
            clusters: 12,
            sessions: 4,
            measured_share: 0.6,
        }
    }
}

/// What the simulator knows about a shopper and the recommenders do not.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueShopper {
    /// True size `z` on the size scale.
    pub size: f64,
    /// Fit preference `φ` (positive: likes it loose).
    pub preference: f64,
    /// Taste cluster.
    pub cluster: usize,
    /// Saved measurements (known to the recommenders).
    pub measurements: Option<Measurements>,
    /// The size the shopper believes is theirs, `round(z)`.
    pub usual: Size,
}

impl TrueShopper {
    /// The garment size they fit, `e = z + φ`.
    pub fn fits(&self) -> f64 {
        self.size + self.preference
    }
}

/// What the simulator knows about a product and the recommenders do not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrueProduct {
    /// `o_p`: size `s` fits size `s + o_p` (−1: runs a size small).
    pub offset: f64,
    /// Taste cluster.
    pub cluster: usize,
}

/// A shopper's held-out last session.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldOutSession {
    /// Whose.
    pub shopper: ShopperId,
    /// When it started.
    pub at: i64,
    /// Products tried on in it.
    pub tried_on: Vec<ProductId>,
    /// Products bought in it.
    pub bought: Vec<ProductId>,
}

/// A generated shop: what the recommenders may learn from, and the truth to score them by.
#[derive(Debug, Clone)]
pub struct SimulatedShop {
    /// Size labels.
    pub scale: SizeScale,
    /// Catalogue (product `i` has id `i`).
    pub products: Vec<Product>,
    /// The products' hidden truth, by id.
    pub true_products: Vec<TrueProduct>,
    /// The shoppers' hidden truth (shopper `i` has id `i`).
    pub shoppers: Vec<TrueShopper>,
    /// Purchases before the held-out sessions.
    pub purchases: Vec<Purchase>,
    /// Interactions before the held-out sessions, in time order.
    pub interactions: Vec<Interaction>,
    /// Each shopper's last session.
    pub held_out: Vec<HeldOutSession>,
}

/// Probabilities of a return as too small and as too big when a shopper who fits `e` buys a size
/// that fits `v`.
pub(crate) fn fit_return_probabilities(e: f64, v: f64) -> (f64, f64) {
    let f = e - v;
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    (sigmoid((f - 0.5) / 0.15), sigmoid((-f - 0.5) / 0.15))
}

impl SimulatedShop {
    /// Generates a shop; the same config gives the same shop.
    pub fn generate(config: &SimConfig) -> Self {
        let mut rng = Rng::new(config.seed);
        let clusters = config.clusters.max(1);
        let Ok(scale) = SizeScale::new(LABELS) else {
            unreachable!("the simulator's six size labels are distinct")
        };
        let charts: Vec<Option<SizeChart>> = CATEGORIES
            .iter()
            .map(|(_, garment)| chart_for(garment))
            .collect();
        let tastes: Vec<Taste> = (0..clusters).map(|_| Taste::draw(&mut rng)).collect();

        let mut products = Vec::with_capacity(config.products);
        let mut true_products = Vec::with_capacity(config.products);
        let mut by_cluster: Vec<Vec<u32>> = vec![Vec::new(); clusters];
        for i in 0..config.products {
            let cluster = rng.below(clusters);
            let taste = &tastes[cluster];
            let category = if rng.chance(0.7) {
                taste.category
            } else {
                rng.below(CATEGORIES.len())
            };
            let pick = |rng: &mut Rng, own: usize, all: usize| {
                if rng.chance(0.8) { own } else { rng.below(all) }
            };
            let own_colour = taste.colours[rng.below(2)];
            let colour = COLOURS[pick(&mut rng, own_colour, COLOURS.len())];
            let pattern = PATTERNS[pick(&mut rng, taste.pattern, PATTERNS.len())];
            let material = MATERIALS[pick(&mut rng, taste.material, MATERIALS.len())];
            let (name, garment) = CATEGORIES[category];
            let price_cents = (taste.price * (0.8 + 0.4 * rng.unit())).round() as i64;
            let offset = match rng.unit() {
                u if u < 0.65 => 0.0,
                u if u < 0.80 => -1.0,
                u if u < 0.90 => 1.0,
                u if u < 0.95 => -0.5,
                _ => 0.5,
            };
            let sizes: Vec<Size> = (0..LABELS.len() as u8).map(Size).collect();
            let in_stock = match rng.unit() {
                u if u < 0.03 => Vec::new(),
                u if u < 0.06 => {
                    let gone = rng.below(sizes.len());
                    sizes
                        .iter()
                        .copied()
                        .filter(|s| usize::from(s.0) != gone)
                        .collect()
                }
                _ => sizes.clone(),
            };
            products.push(Product {
                id: ProductId(i as u32),
                name: format!("{colour} {pattern} {material} {name} #{i}"),
                category: name.to_owned(),
                garment_category: garment.to_owned(),
                description: format!("A {pattern} {name} in {colour} {material}."),
                colour: Some(colour.to_owned()),
                price_cents,
                sizes,
                in_stock,
                chart: charts[category].clone(),
            });
            true_products.push(TrueProduct { offset, cluster });
            by_cluster[cluster].push(i as u32);
        }

        let mut shop = SimulatedShop {
            scale,
            products,
            true_products,
            shoppers: Vec::with_capacity(config.shoppers),
            purchases: Vec::new(),
            interactions: Vec::new(),
            held_out: Vec::with_capacity(config.shoppers),
        };
        let mut session_id = 0u64;
        for c in 0..config.shoppers {
            let shopper = draw_shopper(&mut rng, clusters, config.measured_share);
            let id = ShopperId(c as u32);
            let sessions = config.sessions.max(1) + 1 + rng.below(config.sessions.max(1) + 1);
            let mut at = rng.below(30) as i64 * DAY;
            for s in 0..sessions {
                at += (1 + rng.below(10) as i64) * DAY;
                session_id += 1;
                let held_out = s + 1 == sessions;
                let mut session = HeldOutSession {
                    shopper: id,
                    at,
                    tried_on: Vec::new(),
                    bought: Vec::new(),
                };
                for k in 0..2 + rng.below(4) {
                    let at = at + 300 * k as i64;
                    let product = if rng.chance(0.8) && !by_cluster[shopper.cluster].is_empty() {
                        let own = &by_cluster[shopper.cluster];
                        own[rng.skewed(own.len(), 2.0)]
                    } else {
                        rng.skewed(shop.products.len(), 3.0) as u32
                    };
                    let product = ProductId(product);
                    if session.tried_on.contains(&product)
                        || shop.products[product.0 as usize].in_stock.is_empty()
                    {
                        continue;
                    }
                    session.tried_on.push(product);
                    let carted = rng.chance(0.35);
                    let bought = carted && rng.chance(0.5);
                    if bought {
                        session.bought.push(product);
                    }
                    if held_out {
                        continue;
                    }
                    let event = |signal, at| Interaction {
                        shopper: id,
                        product,
                        signal,
                        session: session_id,
                        at,
                    };
                    shop.interactions.push(event(Signal::TryOn, at));
                    if carted {
                        shop.interactions.push(event(Signal::CartAdd, at + 60));
                    }
                    if bought {
                        shop.interactions.push(event(Signal::Purchase, at + 120));
                        shop.buy(&mut rng, &shopper, id, product);
                    }
                }
                if held_out {
                    shop.held_out.push(session);
                }
            }
            shop.shoppers.push(shopper);
        }
        shop
    }

    /// A purchase in the size the shopper believes is theirs, its outcome drawn from the truth,
    /// and after a fit return, half the time, the next size.
    fn buy(&mut self, rng: &mut Rng, shopper: &TrueShopper, id: ShopperId, product: ProductId) {
        let top = (LABELS.len() - 1) as i32;
        let mut size = i32::from(shopper.usual.0);
        if rng.chance(0.15) {
            size += if rng.chance(0.5) { 1 } else { -1 };
        }
        for _attempt in 0..2 {
            let size_step = Size(size.clamp(0, top) as u8);
            let v = f64::from(size_step.0) + self.true_products[product.0 as usize].offset;
            let (small, big) = fit_return_probabilities(shopper.fits(), v);
            let u = rng.unit();
            let outcome = if u < small {
                Outcome::Returned(ReturnReason::TooSmall)
            } else if u < small + big {
                Outcome::Returned(ReturnReason::TooBig)
            } else if rng.chance(OTHER_RETURN_RATE) {
                Outcome::Returned(ReturnReason::Other)
            } else {
                Outcome::Kept
            };
            self.purchases.push(Purchase {
                shopper: id,
                product,
                size: size_step,
                outcome,
            });
            size += match outcome {
                Outcome::Returned(ReturnReason::TooSmall) => 1,
                Outcome::Returned(ReturnReason::TooBig) => -1,
                _ => return,
            };
            if !rng.chance(0.5) {
                return;
            }
        }
    }

    /// The product's sizes and the best of them for `shopper` by the truth (least `|e - v|`).
    pub fn best_size(&self, shopper: ShopperId, product: ProductId) -> Option<Size> {
        let e = self.shoppers.get(shopper.0 as usize)?.fits();
        let offset = self.true_products.get(product.0 as usize)?.offset;
        self.products
            .get(product.0 as usize)?
            .sizes
            .iter()
            .copied()
            .min_by(|a, b| {
                let gap = |s: &Size| (e - f64::from(s.0) - offset).abs();
                gap(a).total_cmp(&gap(b))
            })
    }

    /// Probability that `shopper` returns `product` in `size` as too small or too big.
    pub fn fit_return_probability(
        &self,
        shopper: ShopperId,
        product: ProductId,
        size: Size,
    ) -> f64 {
        let (Some(s), Some(p)) = (
            self.shoppers.get(shopper.0 as usize),
            self.true_products.get(product.0 as usize),
        ) else {
            return 0.0;
        };
        let (small, big) = fit_return_probabilities(s.fits(), f64::from(size.0) + p.offset);
        small + big
    }
}

#[derive(Debug, Clone, Copy)]
struct Taste {
    category: usize,
    colours: [usize; 2],
    pattern: usize,
    material: usize,
    price: f64,
}

impl Taste {
    fn draw(rng: &mut Rng) -> Self {
        Self {
            category: rng.below(CATEGORIES.len()),
            colours: [rng.below(COLOURS.len()), rng.below(COLOURS.len())],
            pattern: rng.below(PATTERNS.len()),
            material: rng.below(MATERIALS.len()),
            price: 1500.0 * 2f64.powf(rng.unit() * 3.0),
        }
    }
}

fn draw_shopper(rng: &mut Rng, clusters: usize, measured_share: f64) -> TrueShopper {
    let size = (2.2 + rng.normal()).clamp(0.0, (LABELS.len() - 1) as f64);
    let preference = 0.2 * rng.normal();
    let measured = rng.chance(measured_share);
    let mut noisy = |base: f64| base + 6.0 * size + 1.5 * rng.normal();
    let measurements = measured.then(|| {
        Measurements::from([
            (Measurement::Chest, noisy(87.0)),
            (Measurement::Waist, noisy(71.0)),
            (Measurement::Hip, noisy(93.0)),
        ])
    });
    TrueShopper {
        size,
        preference,
        cluster: rng.below(clusters),
        measurements,
        usual: Size(size.round() as u8),
    }
}

/// The shop's chart for a garment category: 6 cm per size from XS.
fn chart_for(garment: &str) -> Option<SizeChart> {
    let measurements: &[(&str, f64)] = match garment {
        "top" => &[("chest", 84.0)],
        "bottom" => &[("waist", 68.0), ("hip", 90.0)],
        _ => &[("chest", 84.0), ("waist", 68.0), ("hip", 90.0)],
    };
    let sizes: Vec<String> = LABELS
        .iter()
        .enumerate()
        .map(|(k, label)| {
            let ranges: Vec<String> = measurements
                .iter()
                .map(|(name, start)| {
                    let lo = start + 6.0 * k as f64;
                    format!("\"{name}\": [{lo}, {}]", lo + 6.0)
                })
                .collect();
            format!("\"{label}\": {{{}}}", ranges.join(", "))
        })
        .collect();
    SizeChart::from_json(&format!(
        "{{\"unit\": \"cm\", \"sizes\": {{{}}}}}",
        sizes.join(", ")
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> SimConfig {
        SimConfig {
            shoppers: 300,
            products: 100,
            ..SimConfig::default()
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_shop() {
        let (a, b) = (
            SimulatedShop::generate(&small()),
            SimulatedShop::generate(&small()),
        );
        assert_eq!(a.purchases, b.purchases);
        assert_eq!(a.held_out, b.held_out);
        let other = SimulatedShop::generate(&SimConfig {
            seed: 16,
            ..small()
        });
        assert_ne!(a.purchases, other.purchases);
    }

    #[test]
    fn the_shop_has_what_the_recommenders_need() {
        let shop = SimulatedShop::generate(&small());
        assert_eq!(shop.products.len(), 100);
        assert_eq!(shop.held_out.len(), 300);
        assert!(shop.products.iter().all(|p| p.chart.is_some()));
        let returned = |reason| {
            shop.purchases
                .iter()
                .filter(|p| p.outcome == Outcome::Returned(reason))
                .count()
        };
        assert!(returned(ReturnReason::TooSmall) > 20 && returned(ReturnReason::TooBig) > 10);
        assert!(
            shop.interactions
                .iter()
                .any(|i| i.signal == Signal::CartAdd)
        );
        assert!(
            shop.interactions
                .windows(2)
                .all(|w| w[0].shopper != w[1].shopper || w[0].at <= w[1].at)
        );
    }

    #[test]
    fn the_truth_is_consistent() {
        // A shopper who fits exactly M and a product running a size small: L is best, M returns.
        let (small_p, big_p) = fit_return_probabilities(2.0, 2.0 - 1.0);
        assert!(small_p > 0.9 && big_p < 0.01);
        let (small_p, big_p) = fit_return_probabilities(2.0, 2.0);
        assert!(small_p < 0.05 && big_p < 0.05);
    }
}
