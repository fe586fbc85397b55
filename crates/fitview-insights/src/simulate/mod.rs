//! A simulated shop with a hidden truth, and the evaluation of the recommenders against it.
//!
//! [`SimulatedShop::generate`] draws shoppers with true body sizes and fit preferences, products
//! that run small or large by known amounts, and sessions of try-ons, cart adds, purchases and
//! returns from taste clusters, all from one seed. The last session of every shopper is held out;
//! [`evaluate_sizes`] and [`evaluate_next`] score the recommenders on it against the truth.

mod evaluate;
mod rng;
mod shop;

pub use evaluate::{NextScores, SizeScores, evaluate_next, evaluate_sizes};
pub use shop::{HeldOutSession, SimConfig, SimulatedShop, TrueProduct, TrueShopper};
