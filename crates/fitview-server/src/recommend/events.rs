//! The events recorded when a recommendation is shown, so a retailer can measure how often
//! shoppers follow them ([`super::acceptance`]): `size_recommended` with the size shown, and one
//! `recommendation_shown` per product suggested. Both are the server's own (no client sends them).

use fitview_insights::EventKind;

use crate::analytics::server_event;
use crate::state::AppState;

/// `size` of `product_id` was recommended to `user_id`.
pub fn size_recommended(state: &AppState, user_id: &str, product_id: &str, size: &str) {
    let mut event = server_event(EventKind::SizeRecommended, user_id, product_id, None, None);
    event.event.size = Some(size.to_owned());
    state.analytics.record(event);
}

/// `product_ids` were suggested to `user_id`.
pub fn recommendations_shown(state: &AppState, user_id: &str, product_ids: &[&str]) {
    for product_id in product_ids {
        state.analytics.record(server_event(
            EventKind::RecommendationShown,
            user_id,
            product_id,
            None,
            None,
        ));
    }
}
