//! # fitview-insights
//!
//! What FitView learns from what shoppers do, as pure functions over plain data: no SQL, no
//! HTTP. The server validates and stores events and feeds these functions, and stores what they
//! produce; their maths is tested here on small hand-made tables, on reference vectors made by
//! `scripts/analytics_reference_vectors.py` (Nixtla's `statsforecast`), and on a simulated shop
//! with a hidden truth.
//!
//! - [`event`]: the one event vocabulary and its validation.
//! - [`funnel()`]: distinct shoppers reaching each step, in order, within a conversion window.
//! - [`aggregate`]: per-product, per-model and per-size figures from daily rollups.
//! - [`forecast`]: weekly demand forecasts (Croston-SBA, TSB, Holt, Holt-Winters,
//!   seasonal naive), chosen per series and backtested with MASE.
//! - [`recommend`]: the size a shopper should buy (size chart, how the article really fits, what
//!   the shopper kept and returned) and what to try on next (content and co-occurrence).
//! - [`simulate`]: a shop with a hidden truth, and the evaluation of the recommenders against it.
#![warn(missing_docs)]

pub mod aggregate;
pub mod event;
pub mod forecast;
pub mod funnel;
pub mod recommend;
pub mod simulate;

pub use event::{Event, EventError, EventKind, ReturnReason};
pub use funnel::{FunnelStart, FunnelStep, FunnelTouch, funnel, funnel_starts, funnel_steps};
