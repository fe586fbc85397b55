//! One retailer's built models: the size model and the what-next model of its catalogue, with
//! the maps between stored ids and the models' numbers and each shopper's history. Built in the
//! background ([`super::refresh`]); a request only reads one.

use std::collections::HashMap;

use fitview_insights::recommend::next::{NextModel, NextParams, NextQuery, Suggestion};
use fitview_insights::recommend::shop::{Interaction, ProductId, ShopperId, Size};
use fitview_insights::recommend::size::{
    Measurements, SizeAdvice, SizeError, SizeModel, SizeParams, SizeQuery,
};

use crate::recommend::records::ShopRecords;

/// A retailer's models, as built at `built_at`.
#[derive(Debug)]
pub struct ShopModel {
    /// When it was built (seconds since the epoch).
    pub built_at: i64,
    product_ids: Vec<String>,
    names: Vec<String>,
    updated_at: Vec<i64>,
    numbers: HashMap<String, ProductId>,
    shoppers: HashMap<String, ShopperId>,
    histories: HashMap<ShopperId, Vec<Interaction>>,
    size: SizeModel,
    next: NextModel,
}

/// A suggestion with the stored id and the reason in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggested {
    /// The product's stored id.
    pub product_id: String,
    /// Its score (comparable within one model's answer).
    pub score: f32,
    /// Why, in words ("Because you tried on ...").
    pub reason: String,
    /// Whether the reason is personal (not merely popular).
    pub personal: bool,
}

impl ShopModel {
    /// Builds both models (CPU work: run it off the async threads).
    pub fn build(records: ShopRecords, built_at: i64) -> Self {
        let size = SizeModel::build(
            records.scale.clone(),
            &records.products,
            &records.purchases,
            &SizeParams::default(),
        );
        let next = NextModel::build(
            &records.products,
            &records.interactions,
            &NextParams::default(),
        );
        let mut histories: HashMap<ShopperId, Vec<Interaction>> = HashMap::new();
        for event in &records.interactions {
            histories.entry(event.shopper).or_default().push(*event);
        }
        let numbers = records
            .product_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), ProductId(i as u32)))
            .collect();
        ShopModel {
            built_at,
            names: records.products.iter().map(|p| p.name.clone()).collect(),
            product_ids: records.product_ids,
            updated_at: records.updated_at,
            numbers,
            shoppers: records.shoppers,
            histories,
            size,
            next,
        }
    }

    /// The model's number of a product, when the model knows it as last changed at `updated_at`.
    pub fn current(&self, product_id: &str, updated_at: i64) -> Option<ProductId> {
        let number = *self.numbers.get(product_id)?;
        (self.updated_at.get(number.0 as usize) == Some(&updated_at)).then_some(number)
    }

    /// Whether the model holds history of this shopper.
    pub fn knows_shopper(&self, user_id: &str) -> bool {
        self.shoppers
            .get(user_id)
            .is_some_and(|s| self.histories.contains_key(s))
    }

    /// A size recommendation of `product` for `user_id` with their saved `measurements`.
    ///
    /// # Errors
    /// [`SizeError`] as [`SizeModel::recommend`] gives it.
    pub fn size(
        &self,
        product: ProductId,
        user_id: &str,
        measurements: Option<&Measurements>,
    ) -> Result<SizeAdvice, SizeError> {
        self.size.recommend(&SizeQuery {
            shopper: self.shoppers.get(user_id).copied(),
            measurements,
            product,
        })
    }

    /// The size `user_id` wears in this shop, as the size model learned it from what they kept
    /// and returned here; `None` without such purchases.
    pub fn usual_size(&self, user_id: &str) -> Option<Size> {
        self.size.usual_size(*self.shoppers.get(user_id)?)
    }

    /// What `user_id` may try on next (the shop's most popular products without a history),
    /// products not in stock in their [usual size](Self::usual_size) later.
    pub fn for_shopper(&self, user_id: &str, now: i64, limit: usize) -> Vec<Suggested> {
        let history = self
            .shoppers
            .get(user_id)
            .and_then(|s| self.histories.get(s))
            .map_or(&[][..], Vec::as_slice);
        let answer = self.next.for_shopper(&NextQuery {
            history,
            now,
            size: self.usual_size(user_id),
            limit,
        });
        self.words(answer)
    }

    /// Products like `product` ("you may also like"), those not in stock in `user_id`'s
    /// [usual size](Self::usual_size) later.
    pub fn similar_to(&self, product: ProductId, user_id: &str, limit: usize) -> Vec<Suggested> {
        let size = self.usual_size(user_id);
        self.words(self.next.similar_to(product, size, limit))
    }

    /// The model's number of a stored product id, changed since or not.
    pub fn number(&self, product_id: &str) -> Option<ProductId> {
        self.numbers.get(product_id).copied()
    }

    fn words(&self, answer: Vec<Suggestion>) -> Vec<Suggested> {
        let name_of = |p: ProductId| {
            self.names
                .get(p.0 as usize)
                .map_or("a product", String::as_str)
        };
        answer
            .into_iter()
            .filter_map(|s| {
                Some(Suggested {
                    product_id: self.product_ids.get(s.product.0 as usize)?.clone(),
                    score: s.score,
                    reason: s.reason.describe(name_of),
                    personal: s.reason != fitview_insights::recommend::next::Reason::Popular,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::records::tests::{event, product};

    #[test]
    fn a_shopper_who_kept_m_sees_products_stocked_in_m_first() {
        // "plain" and "m-less" are tried on with "kept" as often as each other; "m-less" (no M)
        // once more, so it would come first without the size.
        let products = [
            product("kept", r#"["S", "M", "L"]"#, 3),
            product("plain", r#"["S", "M", "L"]"#, 3),
            product("m-less", r#"["S", "L"]"#, 3),
        ];
        let mut events: Vec<_> = (0..3)
            .map(|_| event("purchased", "kept", Some("M"), "me", None))
            .collect();
        for i in 0..6 {
            let crowd = format!("crowd-{i}");
            for p in ["kept", "plain", "m-less"] {
                events.push(event("tryon_completed", p, None, &crowd, None));
            }
        }
        events.push(event("tryon_completed", "m-less", None, "crowd-9", None));
        let records = ShopRecords::from_rows(&products, &events, &[]).unwrap();
        let model = ShopModel::build(records, 86_400 * 4);
        let m = model.size.scale().size_of("M");
        assert_eq!(model.usual_size("me"), m);
        assert_eq!(model.usual_size("crowd-0"), None, "no purchases");

        let order = |answer: Vec<Suggested>| -> Vec<String> {
            answer.into_iter().map(|s| s.product_id).collect()
        };
        assert_eq!(
            order(model.for_shopper("me", 86_400 * 4, 5)),
            ["plain", "m-less"]
        );
        let kept = model.number("kept").unwrap();
        assert_eq!(order(model.similar_to(kept, "me", 5)), ["plain", "m-less"]);
        // Without a size, the more popular first.
        assert_eq!(
            order(model.similar_to(kept, "crowd-0", 5)),
            ["m-less", "plain"]
        );
    }
}
