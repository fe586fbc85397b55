//! The answers the routes and pages give, from the built models and what is true now: the
//! shopper's saved measurements are read at the question, and every suggested product is
//! checked against the catalogue (still there, in stock) and the shopper's purchases (never one
//! already bought), so a model built minutes ago never shows what has since run out.
//!
//! A product changed since its retailer's last rebuild is answered from its own chart alone
//! (and the rebuild is asked for), so a new size chart counts at once.

use std::collections::HashSet;

use fitview_insights::recommend::shop::ProductId;
use fitview_insights::recommend::size::{SizeAdvice, SizeError};

use crate::db::products::ProductRow;
use crate::error::{ApiError, ApiResult};
use crate::recommend::model::{ShopModel, Suggested};
use crate::recommend::records::ShopRecords;
use crate::recommend::{events, measurements};
use crate::state::AppState;

/// Most suggestions one answer gives.
pub const MAX_SUGGESTIONS: usize = 50;

/// A size recommendation of `product` for `user_id`, recorded as shown.
///
/// # Errors
/// [`ApiError::NoSizeBasis`] when neither a chart with the shopper's measurements, nor their
/// history, nor other buyers' kept sizes say anything.
pub async fn size_for(
    state: &AppState,
    user_id: &str,
    product: &ProductRow,
) -> ApiResult<SizeAdvice> {
    let body = measurements::load(&state.db, user_id).await?;
    let model = state.recommendations.model(&product.retailer_id);
    let current = model
        .as_ref()
        .and_then(|m| Some((m, m.current(&product.id, product.updated_at)?)));
    let advice = match current {
        Some((model, number)) => model.size(number, user_id, body.as_ref()),
        None => {
            state.recommendations.mark_stale(&product.retailer_id);
            let records = ShopRecords::from_rows(std::slice::from_ref(product), &[], &[])
                .map_err(|e| ApiError::NoSizeBasis(format!("this product's sizes: {e}")))?;
            ShopModel::build(records, crate::db::now()).size(ProductId(0), user_id, body.as_ref())
        }
    };
    let advice = advice.map_err(|error| match error {
        SizeError::NoSizes(_) => {
            ApiError::NoSizeBasis("this product has no sizes to recommend".to_owned())
        }
        SizeError::NoBasis(_) => ApiError::NoSizeBasis(
            "nothing to recommend a size from yet: this product has no size chart that your \
             saved measurements (PUT /api/v1/me/measurements) can be compared with, and no \
             purchase history says which size fits"
                .to_owned(),
        ),
        SizeError::UnknownProduct(_) => ApiError::NotFound,
        other => ApiError::internal(other),
    })?;
    events::size_recommended(state, user_id, &product.id, &advice.size);
    Ok(advice)
}

/// A suggested product with its record.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The suggestion.
    pub suggestion: Suggested,
    /// The product as it is now.
    pub product: ProductRow,
}

/// The products `user_id` already bought (reported purchases and storefront orders).
async fn bought(state: &AppState, user_id: &str) -> Result<HashSet<String>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT product_id FROM analytics_events WHERE user_id = $1 AND kind = 'purchased' \
         UNION SELECT order_lines.product_id FROM order_lines \
         JOIN orders ON orders.id = order_lines.order_id WHERE orders.user_id = $2",
    )
    .bind(user_id.to_owned())
    .bind(user_id.to_owned())
    .fetch_all(&state.db)
    .await?;
    Ok(ids.into_iter().collect())
}

/// Orders candidates: personal reasons first, then by score (stable).
fn best_first(candidates: &mut [Suggested]) {
    candidates.sort_by(|a, b| {
        b.personal
            .cmp(&a.personal)
            .then(b.score.total_cmp(&a.score))
    });
}

/// What `user_id` may try on next, best first: like `near` when given ("you may also like"),
/// else from their history at every retailer ("for you"; only at `scope` when given: a
/// retailer sees its own shop), recorded as shown.
pub async fn suggestions_for(
    state: &AppState,
    user_id: &str,
    scope: Option<&str>,
    near: Option<&ProductRow>,
    limit: usize,
) -> ApiResult<Vec<Shown>> {
    let limit = limit.clamp(1, MAX_SUGGESTIONS);
    let bought = bought(state, user_id).await?;
    // Room for what the checks below drop.
    let ask = (limit * 2 + bought.len()).min(4 * MAX_SUGGESTIONS);
    let now = crate::db::now();
    let mut candidates = match near {
        Some(product) => match state.recommendations.model(&product.retailer_id) {
            Some(model) => match model.number(&product.id) {
                Some(number) => model.similar_to(number, user_id, ask),
                None => model.for_shopper(user_id, now, ask),
            },
            None => Vec::new(),
        },
        None => {
            let models = state.recommendations.models();
            let mut all = Vec::new();
            for (_, model) in models.iter().filter(|(r, _)| scope.is_none_or(|s| s == r)) {
                all.extend(model.for_shopper(user_id, now, ask));
            }
            all
        }
    };
    best_first(&mut candidates);
    let mut seen = HashSet::new();
    let mut shown = Vec::with_capacity(limit);
    for suggestion in candidates {
        if shown.len() == limit {
            break;
        }
        let id = suggestion.product_id.clone();
        if bought.contains(&id) || near.is_some_and(|p| p.id == id) || !seen.insert(id.clone()) {
            continue;
        }
        let Some(product) = crate::db::products::get(&state.db, &id, None).await? else {
            continue;
        };
        if product.stock <= 0 {
            continue;
        }
        shown.push(Shown {
            suggestion,
            product,
        });
    }
    let ids: Vec<&str> = shown.iter().map(|s| s.product.id.as_str()).collect();
    events::recommendations_shown(state, user_id, &ids);
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: &str, score: f32, personal: bool) -> Suggested {
        Suggested {
            product_id: id.to_owned(),
            score,
            reason: String::new(),
            personal,
        }
    }

    #[test]
    fn personal_reasons_come_before_popular_ones() {
        let mut all = vec![s("pop", 1.0, false), s("a", 0.2, true), s("b", 0.9, true)];
        best_first(&mut all);
        let order: Vec<&str> = all.iter().map(|s| s.product_id.as_str()).collect();
        assert_eq!(order, ["b", "a", "pop"]);
    }
}
