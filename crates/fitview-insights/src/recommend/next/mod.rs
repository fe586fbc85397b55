//! What to try on next: content (what products are like) and co-occurrence (what shoppers try on
//! together), precomputed into a [`NextModel`] so that a query only adds up a few lists.

mod cooccurrence;
mod model;
mod reason;
mod style;

pub use cooccurrence::{Bm25, item_neighbours};
pub use model::{NextModel, NextParams, NextQuery, Suggestion};
pub use reason::Reason;
pub use style::{StyleVectors, style_tokens};
