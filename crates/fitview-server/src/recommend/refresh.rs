//! When models are rebuilt: every [`REFRESH_INTERVAL`] and once at start for every retailer
//! with products, and within moments for a retailer whose catalogue changed. One rebuild runs
//! at a time (so an older one never replaces a newer model); the CPU work runs on the blocking
//! pool, and the previous model answers until the new one is installed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::recommend::Recommendations;
use crate::recommend::model::ShopModel;
use crate::recommend::records::{ShopRecords, load};

/// How often every retailer's models are rebuilt.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// Why a rebuild failed (the previous model stays).
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The rows could not be read.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The catalogue's sizes do not fit one scale.
    #[error("size scale: {0}")]
    Scale(#[from] fitview_insights::recommend::size::ScaleError),
    /// The build task ended abnormally.
    #[error("build task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl Recommendations {
    /// Starts the refresh task: a full rebuild now, then every interval, and a retailer's own
    /// rebuild whenever it is marked stale.
    pub fn start(self: &Arc<Self>) {
        let service = Arc::clone(self);
        let mut closing = self.closing.subscribe();
        let task = tokio::spawn(async move {
            let mut next_full = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    () = tokio::time::sleep_until(next_full) => {
                        next_full = tokio::time::Instant::now() + service.interval;
                        service.refresh_all().await;
                    }
                    () = service.wake.notified() => {
                        let stale: Vec<String> = super::lock(&service.stale).drain().collect();
                        for retailer in stale {
                            if let Err(error) = service.refresh(&retailer).await {
                                tracing::warn!(%error, retailer, "recommendation model not rebuilt");
                            }
                        }
                    }
                    _ = closing.changed() => break,
                }
            }
        });
        *super::lock(&self.task) = Some(task);
    }

    /// Stops the refresh task.
    pub async fn close(&self) {
        self.closing.send_replace(true);
        let task = super::lock(&self.task).take();
        if let Some(task) = task
            && let Err(error) = task.await
        {
            tracing::error!(%error, "recommendation refresh ended abnormally");
        }
    }

    /// Rebuilds every retailer's models now (failures are logged; the old model stays).
    pub async fn refresh_all(&self) {
        let retailers: Result<Vec<String>, sqlx::Error> =
            sqlx::query_scalar("SELECT DISTINCT retailer_id FROM products ORDER BY retailer_id")
                .fetch_all(&self.db)
                .await;
        let retailers = match retailers {
            Ok(retailers) => retailers,
            Err(error) => {
                tracing::warn!(%error, "cannot list the retailers to rebuild models for");
                return;
            }
        };
        for (gone, _) in self.models() {
            if !retailers.contains(&gone) {
                self.install(gone, None);
            }
        }
        for retailer in retailers {
            if let Err(error) = self.refresh(&retailer).await {
                tracing::warn!(%error, retailer, "recommendation model not rebuilt");
            }
        }
    }

    /// Rebuilds one retailer's models now.
    ///
    /// # Errors
    /// [`RefreshError`] when the rows cannot be read or the models built.
    pub async fn refresh(&self, retailer: &str) -> Result<(), RefreshError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let started = Instant::now();
        let now = crate::db::now();
        let (products, events, orders) = load(&self.db, retailer, now).await?;
        if products.is_empty() {
            self.install(retailer.to_owned(), None);
            return Ok(());
        }
        let model = tokio::task::spawn_blocking(move || {
            ShopRecords::from_rows(&products, &events, &orders)
                .map(|records| ShopModel::build(records, now))
        })
        .await??;
        tracing::info!(
            retailer,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "recommendation models rebuilt"
        );
        self.install(retailer.to_owned(), Some(model));
        Ok(())
    }
}
