//! Who may send which event about which product: the rules of `POST /api/v1/events`.
//!
//! A signed-in shopper sends shopper events (views, model choices, cart events of an external
//! cart) about any product, as themself. A retailer sends its shop's orders (`checkout_started`,
//! `purchased`, `returned`) about its own products, naming the shopper by `user_id`. Try-on and
//! variation events are recorded by the server only. Each refused event is named with its
//! index, field and reason; the others are kept.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fitview_insights::event::{Origin, RawEvent};
use fitview_insights::{Event, EventError};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Pending, store};
use crate::auth::{AuthUser, Role};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Why one event of a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BatchError {
    /// Its index in `events`.
    pub index: usize,
    /// The field at fault.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl BatchError {
    fn new(index: usize, error: EventError) -> Self {
        Self {
            index,
            field: error.field.to_owned(),
            reason: error.reason,
        }
    }
}

/// Lookups made once per batch.
#[derive(Default)]
struct Seen {
    /// Product id → its retailer (`None`: no such product).
    products: HashMap<String, Option<String>>,
    /// Model id → its retailer.
    models: HashMap<String, Option<String>>,
    /// User id → whether it is a shopper's account.
    shoppers: HashMap<String, bool>,
}

impl Seen {
    /// Looks up the retailers of all these products at once (a batch names many).
    async fn look_up_products(
        &mut self,
        state: &AppState,
        ids: impl Iterator<Item = &str>,
    ) -> ApiResult<()> {
        let ids: HashSet<&str> = ids.collect();
        let found = store::retailers_of(&state.db, &ids).await?;
        for id in ids {
            self.products.insert(id.to_owned(), found.get(id).cloned());
        }
        Ok(())
    }

    async fn product(&mut self, state: &AppState, id: &str) -> ApiResult<Option<String>> {
        if let Some(found) = self.products.get(id) {
            return Ok(found.clone());
        }
        let owner = db::products::get(&state.db, id, None)
            .await?
            .map(|p| p.retailer_id);
        self.products.insert(id.to_owned(), owner.clone());
        Ok(owner)
    }

    async fn model(&mut self, state: &AppState, id: &str) -> ApiResult<Option<String>> {
        if let Some(found) = self.models.get(id) {
            return Ok(found.clone());
        }
        let owner = db::models::get(&state.db, id, None)
            .await?
            .map(|m| m.retailer_id);
        self.models.insert(id.to_owned(), owner.clone());
        Ok(owner)
    }

    async fn is_shopper(&mut self, state: &AppState, id: &str) -> ApiResult<bool> {
        if let Some(&found) = self.shoppers.get(id) {
            return Ok(found);
        }
        let shopper = db::users::find(&state.db, id)
            .await?
            .is_some_and(|u| u.role == Role::Customer.as_str());
        self.shoppers.insert(id.to_owned(), shopper);
        Ok(shopper)
    }
}

/// Checks a batch sent by `user`: the events it may send, each with its retailer, and the
/// errors of the others. Administrators send no events (403).
pub async fn check_batch(
    state: &AppState,
    user: &AuthUser,
    events: Vec<serde_json::Value>,
    now: DateTime<Utc>,
) -> ApiResult<(Vec<Pending>, Vec<BatchError>)> {
    if user.role == Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let mut checked = Vec::with_capacity(events.len());
    let mut errors = Vec::new();
    for (index, value) in events.into_iter().enumerate() {
        let raw: RawEvent = match serde_json::from_value(value) {
            Ok(raw) => raw,
            Err(error) => {
                errors.push(BatchError::new(
                    index,
                    EventError::new("event", error.to_string()),
                ));
                continue;
            }
        };
        match raw.check(now) {
            Ok(event) => checked.push((index, event)),
            Err(found) => errors.extend(found.into_iter().map(|e| BatchError::new(index, e))),
        }
    }
    let mut seen = Seen::default();
    seen.look_up_products(state, checked.iter().map(|(_, e)| e.product_id.as_str()))
        .await?;
    let mut good = Vec::with_capacity(checked.len());
    for (index, event) in checked {
        match allowed(state, user, &mut seen, event).await? {
            Ok(pending) => good.push(pending),
            Err(error) => errors.push(BatchError::new(index, error)),
        }
    }
    errors.sort_by_key(|e| e.index);
    Ok((good, errors))
}

/// Applies the role rules to one checked event.
async fn allowed(
    state: &AppState,
    user: &AuthUser,
    seen: &mut Seen,
    mut event: Event,
) -> ApiResult<Result<Pending, EventError>> {
    let origin = event.kind.origin();
    if origin == Origin::Server {
        return Ok(Err(EventError::new(
            "type",
            "recorded by the server itself",
        )));
    }
    let Some(retailer) = seen.product(state, &event.product_id).await? else {
        return Ok(Err(EventError::new("product_id", "no such product")));
    };
    if let Some(model) = &event.model_id
        && seen.model(state, model).await?.as_deref() != Some(retailer.as_str())
    {
        return Ok(Err(EventError::new(
            "model_id",
            "no such model of the product's retailer",
        )));
    }
    match (user.role, origin) {
        (Role::Customer, Origin::Shopper) => {
            if event.user_id.as_deref().is_some_and(|u| u != user.id) {
                return Ok(Err(EventError::new(
                    "user_id",
                    "a shopper sends events as themself",
                )));
            }
            event.user_id = Some(user.id.clone());
        }
        (Role::Customer, _) => {
            return Ok(Err(EventError::new(
                "type",
                "sent by the retailer of the product",
            )));
        }
        (Role::Retailer, Origin::Retailer) => {
            if retailer != user.id {
                return Ok(Err(EventError::new("product_id", "not a product of yours")));
            }
            let Some(shopper) = event.user_id.clone() else {
                return Ok(Err(EventError::new(
                    "user_id",
                    "required: the shopper who ordered",
                )));
            };
            if !seen.is_shopper(state, &shopper).await? {
                return Ok(Err(EventError::new("user_id", "no such shopper")));
            }
        }
        (Role::Retailer, _) => {
            return Ok(Err(EventError::new(
                "type",
                "sent by the shopper's own client",
            )));
        }
        (Role::Admin, _) => return Err(ApiError::Forbidden),
    }
    Ok(Ok(Pending {
        retailer_id: Some(retailer),
        event,
    }))
}
