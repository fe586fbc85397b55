//! Webhooks: a retailer's endpoints receive signed events (`tryon.completed`, `tryon.failed`,
//! ...) as the Standard Webhooks specification describes them.
//!
//! An event becomes one delivery per subscribed endpoint, each a job of the durable queue
//! ([`crate::queue`], kind `webhook`), so a crash loses none and any server may send it. A
//! delivery is retried on a schedule of about a day (Svix's and the specification's: 5 s,
//! 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) on network errors, 5xx and 429; every attempt is
//! recorded. Where endpoints may point is checked by [`address`].
//!
//! - [`signature`]: secrets and the `webhook-signature` header.
//! - [`address`]: https and public addresses only (SSRF), at registration and at delivery.
//! - `delivery`: one attempt and what the answer means.
//! - [`store`]: the tables. [`routes`]: the retailer's API.

pub mod address;
mod delivery;
pub mod routes;
pub mod signature;
pub mod store;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::AnyPool;

use crate::queue::worker::Workers;
use crate::queue::{Clock, Queue, QueueError, QueueSettings, QueueStats};
use store::DeliveryRow;

/// The queue kind of deliveries.
pub const WEBHOOK_KIND: &str = "webhook";

/// The event types an endpoint may subscribe to.
pub const EVENT_TYPES: [&str; 3] = ["tryon.completed", "tryon.failed", "webhook.test"];

/// The webhook tunables.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Endpoints may be on loopback or private networks and use plain `http` (tests, private
    /// deployments); off by default.
    pub allow_private: bool,
    /// Waits after each failed attempt; attempts are one more than its length.
    pub retry_schedule: Vec<Duration>,
    /// Longest an attempt may take, connecting and answering included.
    pub timeout: Duration,
    /// Bytes of a receiver's answer read at most (the rest is not read).
    pub max_response_bytes: usize,
    /// Deliveries sent at once by this server.
    pub workers: usize,
    /// Endpoints per retailer.
    pub max_endpoints: usize,
    /// How long the previous secret still signs after a rotation.
    pub rotation_grace: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        Self {
            allow_private: false,
            retry_schedule: vec![
                Duration::from_secs(5),
                minutes(5),
                minutes(30),
                minutes(2 * 60),
                minutes(5 * 60),
                minutes(10 * 60),
                minutes(10 * 60),
            ],
            timeout: Duration::from_secs(10),
            max_response_bytes: 64 * 1024,
            workers: 4,
            max_endpoints: 20,
            rotation_grace: Duration::from_secs(24 * 3600),
        }
    }
}

impl WebhookSettings {
    /// The wait after failed attempt `attempt` (1-based): what the receiver asked for, else the
    /// schedule's step with ±10 % jitter, so that deliveries failing together spread out.
    pub fn wait_after(&self, attempt: i64, asked: Option<Duration>) -> Duration {
        if let Some(asked) = asked {
            return asked;
        }
        let index = usize::try_from(attempt.saturating_sub(1)).unwrap_or(0);
        let step = self
            .retry_schedule
            .get(index)
            .or(self.retry_schedule.last())
            .copied()
            .unwrap_or(Duration::from_secs(5));
        let jitter = crate::queue::Backoff::unit_random() * 0.2 - 0.1;
        step.mul_f64(1.0 + jitter)
    }
}

/// Counts of this process's deliveries since start.
#[derive(Debug, Default)]
pub struct Counters {
    /// Deliveries the receiver accepted.
    pub delivered: AtomicU64,
    /// Deliveries that failed for good.
    pub failed: AtomicU64,
    /// Attempts that failed and were scheduled again.
    pub retried: AtomicU64,
}

impl Counters {
    /// Appends the counters and the queue's gauges in the Prometheus text format.
    pub fn render(&self, out: &mut String, stats: &QueueStats) {
        let counters = [
            (
                "fitview_webhook_deliveries_total",
                "Webhook deliveries the receiver accepted (2xx).",
                &self.delivered,
            ),
            (
                "fitview_webhook_failures_total",
                "Webhook deliveries that failed for good.",
                &self.failed,
            ),
            (
                "fitview_webhook_retries_total",
                "Webhook attempts that failed and were scheduled again.",
                &self.retried,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let pending = stats.depth + stats.running;
        let _ = writeln!(
            out,
            "# HELP fitview_webhook_pending Webhook deliveries not yet sent or being sent, on every server.\n\
             # TYPE fitview_webhook_pending gauge\nfitview_webhook_pending {pending}"
        );
    }
}

/// The durable part of a delivery job.
#[derive(Debug, Serialize, Deserialize)]
struct DeliveryPayload {
    delivery_id: String,
}

/// Webhook endpoints and the deliveries to them.
pub struct Webhooks {
    db: AnyPool,
    queue: Arc<Queue>,
    settings: WebhookSettings,
    client: reqwest::Client,
    clock: Clock,
    counters: Arc<Counters>,
    workers: OnceLock<Workers>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Why webhooks could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("webhook client: {0}")]
pub struct ClientError(String);

impl Webhooks {
    /// Webhooks on `db`, delivered through a queue sharing `tryon_queue`'s database, worker id
    /// and counters, with `settings`.
    pub fn new(
        db: AnyPool,
        tryon_queue: &Queue,
        settings: WebhookSettings,
        counters: Arc<Counters>,
    ) -> Result<Self, ClientError> {
        let queue_settings = QueueSettings {
            max_attempts: u32::try_from(settings.retry_schedule.len() + 1).unwrap_or(u32::MAX),
            // The handler says how long to wait (the schedule, or Retry-After).
            backoff: crate::queue::Backoff {
                first: Duration::ZERO,
                max: Duration::ZERO,
            },
            lease: settings.timeout * 3,
            ..tryon_queue.settings().clone()
        };
        let queue = Arc::new(tryon_queue.sibling(queue_settings));
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut client = reqwest::Client::builder()
            .user_agent(concat!("FitView-Webhooks/", env!("CARGO_PKG_VERSION")))
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve names itself, past the address check.
            .no_proxy();
        if !settings.allow_private {
            client = client.dns_resolver(address::PublicOnly::shared());
        }
        let client = client.build().map_err(|e| ClientError(e.to_string()))?;
        Ok(Self {
            db,
            clock: Clock::System,
            queue,
            settings,
            client,
            counters,
            workers: OnceLock::new(),
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// The delivery queue.
    pub fn queue(&self) -> &Arc<Queue> {
        &self.queue
    }

    /// Queues the deliveries recorded but never queued (a crash between the two), then starts
    /// this server's delivery workers.
    pub async fn start(self: &Arc<Self>) -> Result<(), QueueError> {
        for id in store::pending_without_job(&self.db).await? {
            match self.enqueue(&id).await {
                Ok(()) | Err(QueueError::Duplicate(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let handler = Arc::new(delivery::DeliveryHandler {
            webhooks: self.clone(),
        });
        let workers = Workers::spawn(
            self.queue.clone(),
            &[WEBHOOK_KIND],
            handler,
            self.settings.workers,
        );
        if self.workers.set(workers).is_err() {
            tracing::warn!("webhook workers were started twice; the second start is ignored");
        }
        Ok(())
    }

    /// Stops sending; the attempts under way finish, pending deliveries stay queued.
    pub async fn close(&self) {
        if let Some(workers) = self.workers.get() {
            workers.close(&self.queue).await;
        }
    }

    /// Pending deliveries and dead letters, for the metrics.
    pub async fn stats(&self) -> Result<QueueStats, QueueError> {
        self.queue.stats(WEBHOOK_KIND).await
    }

    async fn enqueue(&self, delivery_id: &str) -> Result<(), QueueError> {
        let payload = serde_json::to_string(&DeliveryPayload {
            delivery_id: delivery_id.to_owned(),
        })
        .unwrap_or_default();
        self.queue
            .enqueue(delivery_id, WEBHOOK_KIND, &payload)
            .await
    }

    /// Sends event `event_type` about `subject` (e.g. a job id) with `data` to every enabled
    /// endpoint of `retailer` subscribed to it. The message id is derived from the type and the
    /// subject, so emitting the same event again (a job run again after a crash) sends nothing
    /// new. Returns the deliveries queued.
    pub async fn emit(
        &self,
        retailer: &str,
        event_type: &str,
        subject: &str,
        data: Value,
    ) -> Result<usize, QueueError> {
        let endpoints = store::endpoints_of(&self.db, retailer).await?;
        let mut queued = 0;
        for endpoint in endpoints {
            if endpoint.disabled_reason.is_none()
                && endpoint.event_types().any(|t| t == event_type)
                && self
                    .deliver_to(&endpoint, event_type, subject, data.clone())
                    .await?
                    .is_some()
            {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Queues event `event_type` about `subject` for one endpoint; the delivery's id, or `None`
    /// when this event was given to this endpoint already.
    pub async fn deliver_to(
        &self,
        endpoint: &store::EndpointRow,
        event_type: &str,
        subject: &str,
        data: Value,
    ) -> Result<Option<String>, QueueError> {
        let now = self.clock.now_ms();
        let body = json!({
            "type": event_type,
            "timestamp": rfc3339(now),
            "data": data,
        });
        let row = DeliveryRow {
            id: format!("dlv_{}", uuid::Uuid::new_v4().simple()),
            endpoint_id: endpoint.id.clone(),
            message_id: message_id(event_type, subject),
            event_type: event_type.to_owned(),
            payload: body.to_string(),
            status: "pending".to_owned(),
            attempts: 0,
            last_error: None,
            created_at_ms: now,
            ended_at_ms: None,
        };
        if !store::insert_delivery(&self.db, &row).await? {
            return Ok(None);
        }
        self.enqueue(&row.id).await?;
        Ok(Some(row.id))
    }
}

/// The `webhook-id` of an event: the same for one event however often it is emitted.
fn message_id(event_type: &str, subject: &str) -> String {
    let digest = blake3::hash(format!("{event_type}\n{subject}").as_bytes());
    format!("msg_{}", &digest.to_hex()[..32])
}

/// Milliseconds since the epoch as an RFC 3339 UTC time.
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_has_one_message_id() {
        assert_eq!(
            message_id("tryon.completed", "job-1"),
            message_id("tryon.completed", "job-1")
        );
        assert_ne!(
            message_id("tryon.completed", "job-1"),
            message_id("tryon.failed", "job-1")
        );
        assert_ne!(
            message_id("tryon.completed", "job-1"),
            message_id("tryon.completed", "job-2")
        );
    }

    #[test]
    fn retries_follow_the_schedule_within_jitter_or_what_the_receiver_asked() {
        let settings = WebhookSettings::default();
        assert_eq!(settings.retry_schedule.len() + 1, 8);
        let total: Duration = settings.retry_schedule.iter().sum();
        assert!(
            total > Duration::from_secs(24 * 3600) && total < Duration::from_secs(30 * 3600),
            "about a day: {total:?}"
        );
        for (attempt, step) in (1..).zip(&settings.retry_schedule) {
            let wait = settings.wait_after(attempt, None);
            assert!(
                wait >= step.mul_f64(0.9) && wait <= step.mul_f64(1.1),
                "{attempt}: {wait:?}"
            );
        }
        let asked = Some(Duration::from_secs(42));
        assert_eq!(settings.wait_after(1, asked), Duration::from_secs(42));
        let last = settings.retry_schedule.last().copied().unwrap_or_default();
        assert!(settings.wait_after(99, None) >= last.mul_f64(0.9));
    }
}
