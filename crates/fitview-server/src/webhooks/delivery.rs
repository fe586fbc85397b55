//! One attempt of a delivery, run by a queue worker: the signed POST, its record, and what the
//! receiver's answer means.
//!
//! - 2xx: delivered.
//! - 410 Gone: the receiver is gone for good; the endpoint is disabled and nothing is retried.
//! - 429 and 5xx, a timeout or a network error: retried on the schedule (Retry-After, when the
//!   receiver sends one, is honoured instead).
//! - Any other 4xx, and an address that is no longer public: failed, not retried.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};

use super::address::AddressError;
use super::store::{self, AttemptRow, DeliveryRow, EndpointRow};
use super::{DeliveryPayload, Webhooks, signature};
use crate::queue::worker::{Handler, JobFailure, Outcome};
use crate::queue::{Claimed, Failed};

/// Characters of a receiver's answer kept with the attempt.
const EXCERPT_CHARS: usize = 512;
/// Longest wait a receiver's Retry-After may ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Sends deliveries for the queue's workers.
pub(super) struct DeliveryHandler {
    pub(super) webhooks: Arc<Webhooks>,
}

/// What one attempt came to.
enum Verdict {
    Delivered,
    /// The receiver answered 410: disable the endpoint.
    Gone,
    /// Try again later (after at least this long, when the receiver said).
    Retry(Option<Duration>),
    /// Do not try again.
    Final,
}

#[async_trait::async_trait]
impl Handler for DeliveryHandler {
    async fn run(&self, job: &Claimed) -> Result<(), JobFailure> {
        let webhooks = &self.webhooks;
        let payload: DeliveryPayload = serde_json::from_str(&job.payload)
            .map_err(|e| final_failure("internal", format!("unreadable payload: {e}")))?;
        let delivery = store::delivery(&webhooks.db, &payload.delivery_id)
            .await
            .map_err(database)?;
        let Some(delivery) = delivery.filter(|d| d.status == "pending") else {
            return Ok(()); // Deleted with its endpoint, or already ended.
        };
        let endpoint = store::endpoint(&webhooks.db, &delivery.endpoint_id, None)
            .await
            .map_err(database)?;
        let Some(endpoint) = endpoint.filter(|e| e.disabled_reason.is_none()) else {
            let now = webhooks.clock.now_ms();
            store::end_delivery(&webhooks.db, &delivery.id, "cancelled", None, now)
                .await
                .map_err(database)?;
            return Ok(());
        };
        let attempt = job.attempts.max(delivery.attempts + 1);
        let (verdict, record) = send(webhooks, &endpoint, &delivery, attempt).await;
        let error = record.error.clone();
        store::record_attempt(&webhooks.db, &record)
            .await
            .map_err(database)?;
        let now = webhooks.clock.now_ms();
        let error = error.unwrap_or_default();
        match verdict {
            Verdict::Delivered => {
                store::end_delivery(&webhooks.db, &delivery.id, "succeeded", None, now)
                    .await
                    .map_err(database)?;
                webhooks.counters.delivered.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Verdict::Gone => {
                let reason = "the receiver answered 410 Gone";
                store::disable(&webhooks.db, &endpoint.id, reason, now)
                    .await
                    .map_err(database)?;
                tracing::warn!(endpoint = %endpoint.id, "webhook endpoint disabled: 410 Gone");
                Err(final_failure("gone", error))
            }
            Verdict::Retry(asked) => {
                let wait = webhooks.settings.wait_after(attempt, asked);
                Err(JobFailure {
                    code: "undelivered".to_owned(),
                    public_message: error.clone(),
                    detail: error,
                    retryable: true,
                    retry_after: Some(wait),
                })
            }
            Verdict::Final => Err(final_failure("refused", error)),
        }
    }

    async fn dead(&self, job: &Claimed, failure: &JobFailure) {
        let Ok(payload) = serde_json::from_str::<DeliveryPayload>(&job.payload) else {
            return;
        };
        let webhooks = &self.webhooks;
        let now = webhooks.clock.now_ms();
        let ended = store::end_delivery(
            &webhooks.db,
            &payload.delivery_id,
            "failed",
            Some(&failure.detail),
            now,
        )
        .await;
        if let Err(error) = ended {
            tracing::error!(%error, delivery = %payload.delivery_id, "cannot record a failed delivery");
        }
        webhooks.counters.failed.fetch_add(1, Ordering::Relaxed);
    }

    fn ended(&self, _job: &Claimed, outcome: &Outcome) {
        if matches!(outcome, Outcome::Failed(Failed::Retrying(_))) {
            self.webhooks
                .counters
                .retried
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn final_failure(code: &str, detail: String) -> JobFailure {
    JobFailure {
        code: code.to_owned(),
        public_message: detail.clone(),
        detail,
        retryable: false,
        retry_after: None,
    }
}

fn database(error: sqlx::Error) -> JobFailure {
    JobFailure {
        code: "database".to_owned(),
        public_message: "the delivery could not be recorded".to_owned(),
        detail: error.to_string(),
        retryable: true,
        retry_after: None,
    }
}

/// Sends one attempt and judges the answer.
async fn send(
    webhooks: &Webhooks,
    endpoint: &EndpointRow,
    delivery: &DeliveryRow,
    attempt: i64,
) -> (Verdict, AttemptRow) {
    let at_ms = webhooks.clock.now_ms();
    let started = Instant::now();
    let mut record = AttemptRow {
        delivery_id: delivery.id.clone(),
        attempt,
        at_ms,
        status_code: None,
        error: None,
        duration_ms: 0,
        response_excerpt: None,
    };
    let verdict = match post(webhooks, endpoint, delivery, at_ms).await {
        Ok(answer) => {
            record.status_code = Some(i64::from(answer.status));
            record.response_excerpt = Some(answer.excerpt);
            let verdict = judge(answer.status, answer.retry_after);
            if !matches!(verdict, Verdict::Delivered) {
                record.error = Some(format!("the receiver answered {}", answer.status));
            }
            verdict
        }
        Err(failure) => {
            record.error = Some(failure.message);
            if failure.retryable {
                Verdict::Retry(None)
            } else {
                Verdict::Final
            }
        }
    };
    record.duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    (verdict, record)
}

fn judge(status: u16, retry_after: Option<Duration>) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        410 => Verdict::Gone,
        429 | 500..=599 => Verdict::Retry(retry_after),
        // A redirect is not followed: the endpoint should name where it is.
        _ => Verdict::Final,
    }
}

/// The receiver's answer.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    excerpt: String,
}

/// Why no answer came.
struct SendFailure {
    message: String,
    retryable: bool,
}

async fn post(
    webhooks: &Webhooks,
    endpoint: &EndpointRow,
    delivery: &DeliveryRow,
    at_ms: i64,
) -> Result<Answer, SendFailure> {
    let allow_private = webhooks.settings.allow_private;
    let refused = |e: AddressError| SendFailure {
        message: e.to_string(),
        retryable: false,
    };
    let url = super::address::check_url(&endpoint.url, allow_private).map_err(refused)?;
    // Literal addresses do not pass through the resolver; names are checked again there.
    super::address::check_literal(&url, allow_private).map_err(refused)?;
    let timestamp = at_ms.div_euclid(1000);
    let body = delivery.payload.as_bytes();
    let secrets = endpoint.signing_secrets(at_ms);
    let signature =
        signature::header(&secrets, &delivery.message_id, timestamp, body).ok_or_else(|| {
            SendFailure {
                message: "the endpoint's secret cannot sign".to_owned(),
                retryable: false,
            }
        })?;
    let response = webhooks
        .client
        .post(url)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header("webhook-id", delivery.message_id.as_str())
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(|e| match refused_address(&e) {
            // The name resolves to an address that is not public now (DNS rebinding).
            Some(refusal) => SendFailure {
                message: refusal.to_string(),
                retryable: false,
            },
            None => SendFailure {
                message: describe(&e),
                retryable: true,
            },
        })?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
        .map(|d| d.min(MAX_RETRY_AFTER));
    let excerpt = read_excerpt(response, webhooks.settings.max_response_bytes).await;
    Ok(Answer {
        status,
        retry_after,
        excerpt,
    })
}

/// The resolver's refusal of a non-public address, if that is why the request failed.
fn refused_address(error: &reqwest::Error) -> Option<&AddressError> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(refusal) = cause.downcast_ref::<AddressError>() {
            return Some(refusal);
        }
        source = cause.source();
    }
    None
}

/// What went wrong, without the URL (its path may hold a token of the receiver's).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut message = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The start of the answer's body, reading at most `cap` bytes of it.
async fn read_excerpt(response: reqwest::Response, cap: usize) -> String {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = cap.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= cap {
            break;
        }
    }
    String::from_utf8_lossy(&body)
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(EXCERPT_CHARS)
        .collect()
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_judged_as_the_specification_asks() {
        assert!(matches!(judge(200, None), Verdict::Delivered));
        assert!(matches!(judge(204, None), Verdict::Delivered));
        assert!(matches!(judge(410, None), Verdict::Gone));
        assert!(matches!(judge(500, None), Verdict::Retry(None)));
        assert!(matches!(judge(503, None), Verdict::Retry(None)));
        let asked = Some(Duration::from_secs(7));
        assert!(
            matches!(judge(429, asked), Verdict::Retry(Some(d)) if d == Duration::from_secs(7))
        );
        for status in [301, 400, 401, 403, 404, 422] {
            assert!(matches!(judge(status, None), Verdict::Final), "{status}");
        }
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let wait = parse_retry_after(&later).unwrap_or_default();
        assert!(
            wait > Duration::from_secs(80) && wait <= Duration::from_secs(90),
            "{wait:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
