//! The one event vocabulary (names after Shopify's and GA4's e-commerce events) and the checks
//! every event passes before it is counted, whoever sends it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Longest text of an id, size, session or currency field, in characters.
pub const MAX_TEXT: usize = 64;
/// Largest quantity of one event.
pub const MAX_QUANTITY: i64 = 10_000;
/// How far in the future an `occurred_at` may be (clock skew of the sender).
pub const FUTURE_SKEW: Duration = Duration::minutes(5);
/// How far in the past an `occurred_at` may be (backfills of older orders are refused).
pub const MAX_AGE: Duration = Duration::days(2 * 366);

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A shopper looked at a product.
    ProductViewed,
    /// A shopper chose a model to try a product on.
    ModelSelected,
    /// A try-on was asked for.
    TryonRequested,
    /// A try-on result was delivered to a shopper (made or served from a cache).
    TryonCompleted,
    /// A try-on failed.
    TryonFailed,
    /// A style variation of a try-on was made.
    VariationCreated,
    /// A product went into a cart.
    CartAdded,
    /// A product left a cart.
    CartRemoved,
    /// A shopper began to pay.
    CheckoutStarted,
    /// An order was paid.
    Purchased,
    /// A purchased product came back (with a [`ReturnReason`]).
    Returned,
    /// A size recommendation was shown to a shopper (`size`: the recommended size).
    SizeRecommended,
    /// A product was shown to a shopper as a recommendation ("for you", "you may also like").
    RecommendationShown,
}

/// Who may send an event of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The signed-in shopper it is about (views, model choices, cart events of an external cart).
    Shopper,
    /// The retailer owning the product (its shop's orders), naming the shopper.
    Retailer,
    /// Only the server itself (try-ons and variations it made).
    Server,
}

impl EventKind {
    /// Every kind, in the order of a shopper's journey.
    pub const ALL: [EventKind; 13] = [
        EventKind::ProductViewed,
        EventKind::ModelSelected,
        EventKind::TryonRequested,
        EventKind::TryonCompleted,
        EventKind::TryonFailed,
        EventKind::VariationCreated,
        EventKind::CartAdded,
        EventKind::CartRemoved,
        EventKind::CheckoutStarted,
        EventKind::Purchased,
        EventKind::Returned,
        EventKind::SizeRecommended,
        EventKind::RecommendationShown,
    ];

    /// The funnel a retailer sees by default.
    pub const DEFAULT_FUNNEL: [EventKind; 4] = [
        EventKind::ProductViewed,
        EventKind::TryonCompleted,
        EventKind::CartAdded,
        EventKind::Purchased,
    ];

    /// The stable name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ProductViewed => "product_viewed",
            EventKind::ModelSelected => "model_selected",
            EventKind::TryonRequested => "tryon_requested",
            EventKind::TryonCompleted => "tryon_completed",
            EventKind::TryonFailed => "tryon_failed",
            EventKind::VariationCreated => "variation_created",
            EventKind::CartAdded => "cart_added",
            EventKind::CartRemoved => "cart_removed",
            EventKind::CheckoutStarted => "checkout_started",
            EventKind::Purchased => "purchased",
            EventKind::Returned => "returned",
            EventKind::SizeRecommended => "size_recommended",
            EventKind::RecommendationShown => "recommendation_shown",
        }
    }

    /// Parses a stable name.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Who may send it.
    pub fn origin(self) -> Origin {
        match self {
            EventKind::ProductViewed
            | EventKind::ModelSelected
            | EventKind::CartAdded
            | EventKind::CartRemoved => Origin::Shopper,
            EventKind::CheckoutStarted | EventKind::Purchased | EventKind::Returned => {
                Origin::Retailer
            }
            EventKind::TryonRequested
            | EventKind::TryonCompleted
            | EventKind::TryonFailed
            | EventKind::VariationCreated
            | EventKind::SizeRecommended
            | EventKind::RecommendationShown => Origin::Server,
        }
    }
}

/// Why a product came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    /// The size was too small.
    TooSmall,
    /// The size was too big.
    TooBig,
    /// The product did not look like its pictures (or its try-on).
    NotAsPictured,
    /// Anything else.
    Other,
}

impl ReturnReason {
    /// Every reason.
    pub const ALL: [ReturnReason; 4] = [
        ReturnReason::TooSmall,
        ReturnReason::TooBig,
        ReturnReason::NotAsPictured,
        ReturnReason::Other,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnReason::TooSmall => "too_small",
            ReturnReason::TooBig => "too_big",
            ReturnReason::NotAsPictured => "not_as_pictured",
            ReturnReason::Other => "other",
        }
    }

    /// Parses a stable name.
    pub fn parse(name: &str) -> Option<ReturnReason> {
        ReturnReason::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// An event as a client sends it: every field optional and loosely typed, so that each problem
/// can be named by [`RawEvent::check`] instead of failing the whole batch.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawEvent {
    /// Client-chosen UUID; a repeat of the same id is a no-op.
    pub id: Option<String>,
    /// The event's kind name.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// When it happened (RFC 3339); now when absent.
    pub occurred_at: Option<String>,
    /// The product.
    pub product_id: Option<String>,
    /// The model.
    pub model_id: Option<String>,
    /// The size.
    pub size: Option<String>,
    /// Units (default 1).
    pub quantity: Option<i64>,
    /// Value in minor units of `currency`.
    pub value_cents: Option<i64>,
    /// ISO 4217 code, with `value_cents`.
    pub currency: Option<String>,
    /// The shopper's session.
    pub session_id: Option<String>,
    /// The shopper, for events a retailer sends.
    pub user_id: Option<String>,
    /// Why a product came back (`returned` only).
    pub reason: Option<String>,
}

/// A checked event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Its UUID (lower case).
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The product.
    pub product_id: String,
    /// The model, if one was involved.
    pub model_id: Option<String>,
    /// The size, if one was involved.
    pub size: Option<String>,
    /// Units.
    pub quantity: i64,
    /// Value in minor units of `currency`.
    pub value_cents: Option<i64>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// The shopper's session.
    pub session_id: Option<String>,
    /// The shopper (`None` once anonymised or when unknown).
    pub user_id: Option<String>,
    /// Why a product came back.
    pub reason: Option<ReturnReason>,
    /// What the provider call behind a try-on or variation cost, in millionths of a US dollar
    /// (set by the server only).
    pub provider_cost_micros: i64,
}

/// One thing wrong with one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct EventError {
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong, for a person.
    pub reason: String,
}

impl EventError {
    /// An error about `field`.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// Whether `text` is a UUID in its hyphenated text form (any version, either case).
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn text(
    field: &'static str,
    value: Option<String>,
    errors: &mut Vec<EventError>,
) -> Option<String> {
    let value = value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())?;
    if value.chars().count() > MAX_TEXT {
        errors.push(EventError::new(
            field,
            format!("longer than {MAX_TEXT} characters"),
        ));
        return None;
    }
    if value.chars().any(char::is_control) {
        errors.push(EventError::new(field, "contains control characters"));
        return None;
    }
    Some(value)
}

impl RawEvent {
    /// Checks every field against the vocabulary's rules at time `now`, naming each problem.
    pub fn check(self, now: DateTime<Utc>) -> Result<Event, Vec<EventError>> {
        let mut errors = Vec::new();
        let id = match self.id.as_deref().map(str::trim) {
            Some(id) if is_uuid(id) => Some(id.to_ascii_lowercase()),
            Some(_) => {
                errors.push(EventError::new("id", "not a UUID"));
                None
            }
            None => {
                errors.push(EventError::new(
                    "id",
                    "required (a UUID chosen by the client)",
                ));
                None
            }
        };
        let kind = match self.kind.as_deref() {
            Some(name) => EventKind::parse(name).or_else(|| {
                errors.push(EventError::new(
                    "type",
                    format!("unknown event type {name:?}"),
                ));
                None
            }),
            None => {
                errors.push(EventError::new("type", "required"));
                None
            }
        };
        let occurred_at = match self.occurred_at.as_deref() {
            None => Some(now),
            Some(text) => match DateTime::parse_from_rfc3339(text) {
                Err(_) => {
                    errors.push(EventError::new("occurred_at", "not an RFC 3339 time"));
                    None
                }
                Ok(at) => {
                    let at = at.with_timezone(&Utc);
                    if at > now + FUTURE_SKEW {
                        errors.push(EventError::new("occurred_at", "in the future"));
                        None
                    } else if at < now - MAX_AGE {
                        errors.push(EventError::new("occurred_at", "more than two years ago"));
                        None
                    } else {
                        Some(at)
                    }
                }
            },
        };
        let product_id = text("product_id", self.product_id, &mut errors);
        if product_id.is_none() && !errors.iter().any(|e| e.field == "product_id") {
            errors.push(EventError::new("product_id", "required"));
        }
        let model_id = text("model_id", self.model_id, &mut errors);
        if kind == Some(EventKind::ModelSelected) && model_id.is_none() {
            errors.push(EventError::new("model_id", "required for model_selected"));
        }
        let size = text("size", self.size, &mut errors);
        let session_id = text("session_id", self.session_id, &mut errors);
        let user_id = text("user_id", self.user_id, &mut errors);
        let quantity = self.quantity.unwrap_or(1);
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            errors.push(EventError::new(
                "quantity",
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        if self.value_cents.is_some_and(|v| v < 0) {
            errors.push(EventError::new("value_cents", "must not be negative"));
        }
        let currency = match self.currency {
            Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Some(c),
            Some(_) => {
                errors.push(EventError::new(
                    "currency",
                    "not an ISO 4217 code (e.g. EUR)",
                ));
                None
            }
            None => {
                if self.value_cents.is_some() {
                    errors.push(EventError::new("currency", "required with value_cents"));
                }
                None
            }
        };
        let reason = match (kind, self.reason.as_deref()) {
            (Some(EventKind::Returned), Some(name)) => ReturnReason::parse(name).or_else(|| {
                errors.push(EventError::new(
                    "reason",
                    "one of too_small, too_big, not_as_pictured, other",
                ));
                None
            }),
            (Some(EventKind::Returned), None) => {
                errors.push(EventError::new("reason", "required for returned"));
                None
            }
            (_, Some(_)) => {
                errors.push(EventError::new(
                    "reason",
                    "only returned events have a reason",
                ));
                None
            }
            (_, None) => None,
        };
        match (id, kind, occurred_at, product_id) {
            (Some(id), Some(kind), Some(occurred_at), Some(product_id)) if errors.is_empty() => {
                Ok(Event {
                    id,
                    kind,
                    occurred_at,
                    product_id,
                    model_id,
                    size,
                    quantity,
                    value_cents: self.value_cents,
                    currency,
                    session_id,
                    user_id,
                    reason,
                    provider_cost_micros: 0,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn raw(kind: &str) -> RawEvent {
        RawEvent {
            id: Some("0190a6c2-7d1e-7b3a-9f00-1c2d3e4f5a6b".to_owned()),
            kind: Some(kind.to_owned()),
            product_id: Some("p1".to_owned()),
            ..RawEvent::default()
        }
    }

    fn fields(result: Result<Event, Vec<EventError>>) -> Vec<&'static str> {
        result
            .err()
            .unwrap_or_default()
            .iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        for reason in ReturnReason::ALL {
            assert_eq!(ReturnReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(EventKind::parse("page_viewed"), None);
    }

    #[test]
    fn a_good_event_defaults_time_and_quantity() {
        let event = raw("product_viewed").check(now()).unwrap();
        assert_eq!(event.occurred_at, now());
        assert_eq!(event.quantity, 1);
        assert_eq!(event.kind, EventKind::ProductViewed);
    }

    #[test]
    fn every_problem_is_named() {
        let bad = RawEvent {
            id: Some("nope".to_owned()),
            kind: Some("returned".to_owned()),
            occurred_at: Some("2026-06-02T12:00:00Z".to_owned()),
            quantity: Some(0),
            value_cents: Some(100),
            ..RawEvent::default()
        };
        assert_eq!(
            fields(bad.check(now())),
            [
                "id",
                "occurred_at",
                "product_id",
                "quantity",
                "currency",
                "reason"
            ]
        );
    }

    #[test]
    fn reasons_belong_to_returns_only() {
        let mut ret = raw("returned");
        ret.reason = Some("too_small".to_owned());
        assert_eq!(
            ret.clone().check(now()).map(|e| e.reason),
            Ok(Some(ReturnReason::TooSmall))
        );
        ret.reason = Some("ugly".to_owned());
        assert_eq!(fields(ret.check(now())), ["reason"]);
        let mut view = raw("product_viewed");
        view.reason = Some("too_big".to_owned());
        assert_eq!(fields(view.check(now())), ["reason"]);
    }

    #[test]
    fn model_selected_needs_a_model_and_old_events_are_refused() {
        assert_eq!(fields(raw("model_selected").check(now())), ["model_id"]);
        let mut old = raw("purchased");
        old.occurred_at = Some("2020-01-01T00:00:00Z".to_owned());
        assert_eq!(fields(old.check(now())), ["occurred_at"]);
    }

    #[test]
    fn origins_split_the_vocabulary() {
        assert_eq!(EventKind::CartAdded.origin(), Origin::Shopper);
        assert_eq!(EventKind::Purchased.origin(), Origin::Retailer);
        assert_eq!(EventKind::TryonCompleted.origin(), Origin::Server);
    }
}
