//! Size recommendation in three layers, each used when its data exists:
//!
//! 1. [`chart_fit`]: the shopper's body measurements against the product's [`SizeChart`];
//! 2. [`article_fit`]: how the product really fits, from its returns as too small or too big
//!    (a Beta-Binomial shrunk toward its category, in the spirit of Zalando's SizeFlags);
//! 3. [`latent_sizes`]: a latent true size per shopper and per product-size learned from what was
//!    kept and returned (in the spirit of Amazon's "Recommending Product Sizes to Customers").
//!
//! [`SizeModel`] holds what layers 2 and 3 learned and answers one query at a time.

mod advice;
pub mod article_fit;
mod beta;
mod chart;
pub mod chart_fit;
pub mod latent_sizes;
mod measurements;
mod scale;

pub use advice::{
    Basis, Layers, SizeAdvice, SizeError, SizeModel, SizeOption, SizeParams, SizeQuery,
};
pub use chart::{ChartError, ChartSize, Measurement, Measurements, SizeChart};
pub use measurements::{MeasurementsError, measurements_from_json};
pub use scale::{ScaleError, SizeScale};
