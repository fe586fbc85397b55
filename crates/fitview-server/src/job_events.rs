//! Word that a try-on job changed (it started running, or ended), for whoever waits on it: a
//! request waiting for its result, a status stream (`GET /api/v1/tryon/{id}/events`).
//!
//! Within one server the word goes through a broadcast channel. With Redis configured it also
//! goes out on a Redis pub/sub channel that every server subscribes to, so a shopper connected to
//! one server hears at once of a job another server ran. Listeners still look at the database
//! now and then: a message lost while Redis was down delays the news, it does not lose it.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{broadcast, mpsc, watch};

/// How long to wait before connecting to Redis again after it failed.
const RECONNECT: Duration = Duration::from_secs(2);
/// Changes waiting to be published to Redis at most (more are dropped: listeners re-check).
const PUBLISH_BACKLOG: usize = 1024;

/// The channel of job changes; cheap to clone.
#[derive(Debug, Clone)]
pub struct JobEvents {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    local: broadcast::Sender<String>,
    publish: Option<mpsc::Sender<String>>,
    redis: Option<(redis::Client, String)>,
    closing: watch::Sender<bool>,
    publish_rx: std::sync::Mutex<Option<mpsc::Receiver<String>>>,
}

impl JobEvents {
    /// Changes within this process only.
    pub fn local() -> Self {
        Self::build(None)
    }

    /// Changes shared through the Redis at `url` on the channel `<prefix>job-events`. Connects
    /// lazily, in [`start`](Self::start); a Redis that is down does not stop the server.
    pub fn with_redis(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        Ok(Self::build(Some((client, format!("{prefix}job-events")))))
    }

    fn build(redis: Option<(redis::Client, String)>) -> Self {
        let (local, _) = broadcast::channel(1024);
        let (publish, publish_rx) = match redis {
            Some(_) => {
                let (tx, rx) = mpsc::channel(PUBLISH_BACKLOG);
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let (closing, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                local,
                publish,
                redis,
                closing,
                publish_rx: std::sync::Mutex::new(publish_rx),
            }),
        }
    }

    /// Starts the Redis publisher and subscriber (nothing to start without Redis).
    pub fn start(&self) {
        let Some((client, channel)) = self.inner.redis.clone() else {
            return;
        };
        let receiver = self
            .inner
            .publish_rx
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(receiver) = receiver {
            tokio::spawn(publish(client.clone(), channel.clone(), receiver));
        }
        tokio::spawn(subscribe(
            client,
            channel,
            self.inner.local.clone(),
            self.inner.closing.subscribe(),
        ));
    }

    /// Says that job `job_id` changed, here and on every server.
    pub fn changed(&self, job_id: &str) {
        let _ = self.inner.local.send(job_id.to_owned());
        if let Some(publish) = &self.inner.publish
            && publish.try_send(job_id.to_owned()).is_err()
        {
            tracing::debug!("the Redis publisher is behind; a job change goes out locally only");
        }
    }

    /// The ids of jobs as they change, on this server and (with Redis) on every other.
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.inner.local.subscribe()
    }

    /// Completes when the server stops: open status streams end so that it can.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Tells the status streams that the server stops, and stops listening to Redis.
    pub fn close(&self) {
        let _ = self.inner.closing.send(true);
    }
}

/// Publishes this server's changes to Redis, reconnecting when it fails.
async fn publish(client: redis::Client, channel: String, mut changes: mpsc::Receiver<String>) {
    let mut connection = None;
    while let Some(job_id) = changes.recv().await {
        if connection.is_none() {
            connection = client.get_multiplexed_async_connection().await.ok();
        }
        let Some(conn) = connection.as_mut() else {
            continue; // Down: this change goes out locally only.
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(&job_id)
            .query_async(conn)
            .await;
        if let Err(error) = sent {
            tracing::warn!(%error, "cannot publish a job change to Redis");
            connection = None;
        }
    }
}

/// Forwards every server's changes from Redis to this server's listeners, reconnecting when the
/// subscription breaks, until the server stops.
async fn subscribe(
    client: redis::Client,
    channel: String,
    local: broadcast::Sender<String>,
    mut closing: watch::Receiver<bool>,
) {
    while !*closing.borrow() {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    let mut messages = pubsub.on_message();
                    loop {
                        tokio::select! {
                            message = messages.next() => match message {
                                Some(message) => {
                                    if let Ok(job_id) = message.get_payload::<String>() {
                                        let _ = local.send(job_id);
                                    }
                                }
                                None => break,
                            },
                            _ = closing.changed() => return,
                        }
                    }
                    tracing::warn!("the Redis subscription to job changes ended; reconnecting");
                }
                Err(error) => tracing::warn!(%error, "cannot subscribe to job changes in Redis"),
            },
            Err(error) => tracing::warn!(%error, "cannot connect to Redis for job changes"),
        }
        tokio::select! {
            () = tokio::time::sleep(RECONNECT) => {}
            _ = closing.changed() => return,
        }
    }
}
