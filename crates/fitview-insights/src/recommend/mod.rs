//! Recommendations: the size a shopper should buy ([`size`]) and what to try on next ([`next`]).
//!
//! Both are built from the plain records of [`shop`] (products, purchases with their return
//! reasons, try-ons and cart adds); the server maps its stored events onto them, builds the
//! models in the background and answers queries from the built models.

pub mod next;
pub mod shop;
pub mod size;
