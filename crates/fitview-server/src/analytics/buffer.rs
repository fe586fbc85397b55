//! The in-memory event buffer: bounded, drained by the flusher, refilled after a failed write.

use std::sync::Mutex;

use fitview_insights::Event;
use tokio::sync::Notify;

/// An event waiting to be written, with its retailer when known (the server's own events find
/// theirs from the product at flush time).
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The retailer owning the event's product.
    pub retailer_id: Option<String>,
    /// The event.
    pub event: Event,
}

/// The buffer would exceed its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the analytics buffer is full")]
pub struct Full;

/// Events waiting for the next flush: at most `capacity`; the flusher is woken once
/// `flush_at` are waiting.
#[derive(Debug)]
pub struct EventBuffer {
    events: Mutex<Vec<Pending>>,
    capacity: usize,
    flush_at: usize,
    wake: Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl EventBuffer {
    /// A buffer holding at most `capacity` events (at least `flush_at`, at least one).
    pub fn new(capacity: usize, flush_at: usize) -> Self {
        let flush_at = flush_at.max(1);
        Self {
            events: Mutex::new(Vec::new()),
            capacity: capacity.max(flush_at),
            flush_at,
            wake: Notify::new(),
        }
    }

    /// Adds every event, or none when they would not all fit (the caller applies back-pressure
    /// or sheds).
    pub fn push_all(&self, batch: Vec<Pending>) -> Result<(), Full> {
        let mut events = lock(&self.events);
        if events.len() + batch.len() > self.capacity {
            return Err(Full);
        }
        events.extend(batch);
        if events.len() >= self.flush_at {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        lock(&self.events).len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Room left.
    pub fn room(&self) -> usize {
        self.capacity.saturating_sub(self.len())
    }

    /// Takes every waiting event.
    pub fn take(&self) -> Vec<Pending> {
        std::mem::take(&mut *lock(&self.events))
    }

    /// Puts events back in front of newer ones after a failed write, as many as fit; returns
    /// how many did not (shed).
    pub fn put_back(&self, mut older: Vec<Pending>) -> usize {
        let mut events = lock(&self.events);
        let room = self.capacity.saturating_sub(events.len());
        let shed = older.len().saturating_sub(room);
        older.truncate(room);
        older.append(&mut events);
        *events = older;
        shed
    }

    /// Replaces a shopper's id in the waiting events (account deletion).
    pub fn rename_shopper(&self, user_id: &str, pseudonym: &str) {
        for pending in lock(&self.events).iter_mut() {
            if pending.event.user_id.as_deref() == Some(user_id) {
                pending.event.user_id = Some(pseudonym.to_owned());
            }
        }
    }

    /// Completes once `flush_at` events are waiting (or were since the last call).
    pub async fn filled(&self) {
        self.wake.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use fitview_insights::EventKind;

    fn pending(n: usize) -> Vec<Pending> {
        (0..n)
            .map(|i| Pending {
                retailer_id: None,
                event: Event {
                    id: i.to_string(),
                    kind: EventKind::ProductViewed,
                    occurred_at: Utc::now(),
                    product_id: "p".to_owned(),
                    model_id: None,
                    size: None,
                    quantity: 1,
                    value_cents: None,
                    currency: None,
                    session_id: None,
                    user_id: Some("u".to_owned()),
                    reason: None,
                    provider_cost_micros: 0,
                },
            })
            .collect()
    }

    #[test]
    fn bounded_all_or_nothing() {
        let buffer = EventBuffer::new(5, 2);
        buffer.push_all(pending(3)).unwrap();
        assert_eq!(buffer.push_all(pending(3)), Err(Full));
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.room(), 2);
    }

    #[test]
    fn failed_writes_go_back_in_front_and_shed_what_does_not_fit() {
        let buffer = EventBuffer::new(4, 2);
        buffer.push_all(pending(3)).unwrap();
        let taken = buffer.take();
        buffer.push_all(pending(2)).unwrap();
        assert_eq!(buffer.put_back(taken), 1);
        let ids: Vec<String> = buffer.take().into_iter().map(|p| p.event.id).collect();
        assert_eq!(ids, ["0", "1", "0", "1"]);
    }

    #[test]
    fn renames_waiting_shoppers() {
        let buffer = EventBuffer::new(4, 2);
        buffer.push_all(pending(2)).unwrap();
        buffer.rename_shopper("u", "gone");
        assert!(
            buffer
                .take()
                .iter()
                .all(|p| p.event.user_id.as_deref() == Some("gone"))
        );
    }
}
