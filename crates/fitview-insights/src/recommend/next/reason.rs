//! The short reason shown with a suggestion ("Because you tried on Blue Oxford Shirt").

use crate::recommend::shop::{ProductId, Signal};

/// Why a product was suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Shoppers often try it on in the same session as `product`, which this shopper showed
    /// interest in by `signal` (`None` in "similar to" mode).
    TriedWith {
        /// The product it goes with.
        product: ProductId,
        /// What the shopper did with that product.
        signal: Option<Signal>,
    },
    /// It looks like `product` (category, colour, pattern, material, price).
    LooksLike {
        /// The product it resembles.
        product: ProductId,
        /// What the shopper did with that product.
        signal: Option<Signal>,
    },
    /// Nothing personal to go on: popular in the shop.
    Popular,
}

impl Reason {
    /// The reason in words, naming products by `name_of`.
    pub fn describe<'a>(&self, name_of: impl Fn(ProductId) -> &'a str) -> String {
        let because = |product: ProductId, signal: Signal| {
            let name = name_of(product);
            match signal {
                Signal::TryOn => format!("Because you tried on {name}"),
                Signal::CartAdd => format!("Because you added {name} to your cart"),
                Signal::Purchase => format!("Because you bought {name}"),
            }
        };
        match *self {
            Reason::TriedWith {
                product,
                signal: Some(signal),
            }
            | Reason::LooksLike {
                product,
                signal: Some(signal),
            } => because(product, signal),
            Reason::TriedWith {
                product,
                signal: None,
            } => format!("Often tried on with {}", name_of(product)),
            Reason::LooksLike {
                product,
                signal: None,
            } => format!("Similar in style to {}", name_of(product)),
            Reason::Popular => "Popular in the shop".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_the_shopper_did() {
        let name = |_| "Blue Oxford Shirt";
        let with = |signal| Reason::TriedWith {
            product: ProductId(1),
            signal,
        };
        assert_eq!(
            with(Some(Signal::TryOn)).describe(name),
            "Because you tried on Blue Oxford Shirt"
        );
        assert_eq!(
            with(Some(Signal::CartAdd)).describe(name),
            "Because you added Blue Oxford Shirt to your cart"
        );
        assert_eq!(
            with(None).describe(name),
            "Often tried on with Blue Oxford Shirt"
        );
        let like = Reason::LooksLike {
            product: ProductId(1),
            signal: None,
        };
        assert_eq!(like.describe(name), "Similar in style to Blue Oxford Shirt");
        assert_eq!(Reason::Popular.describe(name), "Popular in the shop");
    }
}
