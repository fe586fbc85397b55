//! The storefront's recommendation slots: "Your size" with its fit note on the product page,
//! "You may also like" under a try-on result and "For you" on the home page, each for a
//! signed-in shopper only. A slot with nothing to say (no size basis, no suggestion, a failing
//! model) is left out of the page rather than failing it.

use crate::db::products::ProductRow;
use crate::error::ApiError;
use crate::recommend::answers;
use crate::state::AppState;
use crate::web::cards::ProductCard;
use crate::web::session::Visitor;

/// Suggestions a slot shows.
const SLOT_SIZE: usize = 4;

/// "Your size: M", and how the product fits.
#[derive(Debug, Clone)]
pub struct YourSize {
    /// The recommended size.
    pub size: String,
    /// Fit notes ("Runs small: ...").
    pub notes: Vec<String>,
}

/// A suggested product's card and the reason in words.
#[derive(Debug, Clone)]
pub struct SuggestionCard {
    /// The product's card.
    pub card: ProductCard,
    /// Why it is suggested.
    pub reason: String,
}

/// Logs a slot's failure; a shopper sees the page without the slot.
fn left_out(slot: &str, error: &ApiError) {
    if error.status().is_server_error() {
        tracing::warn!(%error, slot, "recommendation slot left out");
    }
}

/// The signed-in shopper's size of `product`, if anything says which.
pub async fn your_size(
    state: &AppState,
    visitor: &Visitor,
    product: &ProductRow,
) -> Option<YourSize> {
    let user = visitor.user.as_ref()?;
    match answers::size_for(state, &user.id, product).await {
        Ok(advice) => Some(YourSize {
            size: advice.size,
            notes: advice.fit_notes,
        }),
        Err(error) => {
            left_out("your size", &error);
            None
        }
    }
}

async fn cards(
    state: &AppState,
    visitor: &Visitor,
    near: Option<&ProductRow>,
    slot: &str,
) -> Vec<SuggestionCard> {
    let Some(user) = visitor.user.as_ref() else {
        return Vec::new();
    };
    match answers::suggestions_for(state, &user.id, None, near, SLOT_SIZE).await {
        Ok(shown) => shown
            .into_iter()
            .map(|s| SuggestionCard {
                card: ProductCard::of(&s.product),
                reason: s.suggestion.reason,
            })
            .collect(),
        Err(error) => {
            left_out(slot, &error);
            Vec::new()
        }
    }
}

/// "You may also like": products like `product`.
pub async fn also_like(
    state: &AppState,
    visitor: &Visitor,
    product: &ProductRow,
) -> Vec<SuggestionCard> {
    cards(state, visitor, Some(product), "you may also like").await
}

/// "For you": the shopper's own suggestions.
pub async fn for_you(state: &AppState, visitor: &Visitor) -> Vec<SuggestionCard> {
    cards(state, visitor, None, "for you").await
}
