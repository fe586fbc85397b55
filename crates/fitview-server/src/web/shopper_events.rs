//! What a shopper does on the storefront's pages, recorded as analytics events of the server's
//! own (product views, model choices, cart changes, checkouts), so a retailer's funnel shows
//! its storefront shoppers without any client sending events. A signed-out visitor's events
//! carry only an opaque id of their session (none before the first form starts one); a
//! signed-in shopper's also carry the account.

use fitview_insights::EventKind;

use crate::analytics::server_event;
use crate::db::cart::CartLine;
use crate::state::AppState;
use crate::web::session::Visitor;

/// The analytics session id of a browser session: a digest of the session row's key, so the
/// events never hold anything that opens the session.
fn session_id(visitor: &Visitor) -> Option<String> {
    let session = visitor.session.as_ref()?;
    let digest = blake3::hash(format!("analytics-session:{}", session.token_hash).as_bytes());
    Some(digest.to_hex()[..32].to_owned())
}

/// Records one event about `product_id` for `visitor`.
fn record(
    state: &AppState,
    visitor: &Visitor,
    kind: EventKind,
    product_id: &str,
    fill: impl FnOnce(&mut fitview_insights::Event),
) {
    let mut pending = server_event(kind, "", product_id, None, None);
    pending.event.user_id = visitor.user.as_ref().map(|u| u.id.clone());
    pending.event.session_id = session_id(visitor);
    fill(&mut pending.event);
    state.analytics.record(pending);
}

/// A product page was shown.
pub fn product_viewed(state: &AppState, visitor: &Visitor, product_id: &str) {
    record(state, visitor, EventKind::ProductViewed, product_id, |_| {});
}

/// The shopper picked a model while looking at a product.
pub fn model_selected(state: &AppState, visitor: &Visitor, product_id: &str, model_id: &str) {
    record(state, visitor, EventKind::ModelSelected, product_id, |e| {
        e.model_id = Some(model_id.to_owned());
    });
}

/// `units` of a cart line came in (`added`) or went out of the cart.
fn cart_units(state: &AppState, visitor: &Visitor, kind: EventKind, line: &CartLine, units: i64) {
    record(state, visitor, kind, &line.product_id, |e| {
        e.size = Some(line.size.clone());
        e.quantity = units;
        e.value_cents = Some(line.price_cents.saturating_mul(units));
        e.currency = Some(line.currency.clone());
    });
}

/// A line's quantity went from `before` (0: a new line) to `after` (0: removed).
pub fn cart_changed(state: &AppState, visitor: &Visitor, line: &CartLine, before: i64, after: i64) {
    if after > before {
        cart_units(state, visitor, EventKind::CartAdded, line, after - before);
    } else if after < before {
        cart_units(state, visitor, EventKind::CartRemoved, line, before - after);
    }
}

/// The shopper checked out these lines: one `checkout_started` per line.
pub fn checkout_started(state: &AppState, visitor: &Visitor, lines: &[CartLine]) {
    for line in lines {
        cart_units(
            state,
            visitor,
            EventKind::CheckoutStarted,
            line,
            line.quantity,
        );
    }
}
