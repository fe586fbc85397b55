//! # fitview-insights
//!
//! What FitView learns from what shoppers do, as pure functions over plain data: no SQL, no
//! HTTP. The server validates and stores events and feeds these functions; their maths is tested
//! here on small hand-made tables and on reference vectors made by
//! `scripts/analytics_reference_vectors.py` (Nixtla's `statsforecast`).
//!
//! - [`event`]: the one event vocabulary and its validation.
//! - [`funnel()`]: distinct shoppers reaching each step, in order, within a conversion window.
//! - [`aggregate`]: per-product, per-model and per-size figures from daily rollups.
//! - [`forecast`]: weekly demand forecasts (Croston-SBA, TSB, Holt, Holt-Winters,
//!   seasonal naive), chosen per series and backtested with MASE.
#![warn(missing_docs)]

pub mod aggregate;
pub mod event;
pub mod forecast;
pub mod funnel;

pub use event::{Event, EventError, EventKind, ReturnReason};
pub use funnel::{FunnelStep, FunnelTouch, funnel};
