//! The plain records the recommenders learn from: products, purchases with their outcome, and
//! interactions (try-ons, cart adds, purchases) grouped in sessions.
//!
//! Ids are dense numbers the caller assigns when it builds a model (the server maps its string ids
//! onto them), so models index arrays rather than hash strings.

use crate::recommend::size::SizeChart;

/// A shopper, numbered by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShopperId(pub u32);

/// A product, numbered by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId(pub u32);

/// A size as its position on the shop's ordered size scale ([`crate::recommend::size::SizeScale`]):
/// `Size(0)` is the smallest label, one step up is one size larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Size(pub u8);

/// A product as the recommenders see it.
#[derive(Debug, Clone)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// Name, used in the reasons shown to shoppers.
    pub name: String,
    /// Shop category (free text, e.g. `shirts`); size priors are pooled per category.
    pub category: String,
    /// Garment category for the engine (`top`, `bottom`, ...).
    pub garment_category: String,
    /// Description; its colour, pattern and material words describe the product's style.
    pub description: String,
    /// Colour, when the retailer gave one.
    pub colour: Option<String>,
    /// Price in minor units.
    pub price_cents: i64,
    /// Sizes on sale, smallest first.
    pub sizes: Vec<Size>,
    /// Sizes with units in stock; empty when the product is out of stock.
    pub in_stock: Vec<Size>,
    /// The validated size chart, when the retailer gave one.
    pub chart: Option<SizeChart>,
}

/// Why a purchase came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnReason {
    /// The shopper needed a larger size.
    TooSmall,
    /// The shopper needed a smaller size.
    TooBig,
    /// Any other reason (changed mind, damaged, ...): no evidence about fit.
    Other,
}

/// What became of a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Kept: the size fitted.
    Kept,
    /// Sent back, with the reason given.
    Returned(ReturnReason),
}

/// One item bought in one size, and what became of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Purchase {
    /// Who bought it.
    pub shopper: ShopperId,
    /// What.
    pub product: ProductId,
    /// In which size.
    pub size: Size,
    /// Kept or returned.
    pub outcome: Outcome,
}

/// The kind of interest a shopper showed in a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Tried it on virtually.
    TryOn,
    /// Put it in the cart.
    CartAdd,
    /// Bought it.
    Purchase,
}

/// One interaction of a shopper with a product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interaction {
    /// Who.
    pub shopper: ShopperId,
    /// With what.
    pub product: ProductId,
    /// How.
    pub signal: Signal,
    /// The browsing session it happened in (any number unique per session).
    pub session: u64,
    /// When, in seconds since any fixed epoch.
    pub at: i64,
}
