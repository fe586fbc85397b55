//! When models are rebuilt: every [`RefreshInterval`] (5 minutes unless configured) and once
//! at start for every retailer with products, and within moments for a retailer whose catalogue
//! changed. One rebuild runs at a time (so an older one never replaces a newer model); the CPU
//! work runs on the blocking pool, and the previous model answers until the new one is
//! installed. Each rebuild is counted in [`super::RefreshMetrics`].

use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::recommend::Recommendations;
use crate::recommend::model::ShopModel;
use crate::recommend::records::{ShopRecords, load};

/// The seconds a [`RefreshInterval`] may be: from 10 s (a rebuild reads a year of events) to a
/// day (models older than that miss a day of shopping).
pub const REFRESH_SECS: RangeInclusive<u64> = 10..=86_400;

/// How often every retailer's models are rebuilt (`--recommend-refresh-secs`), within
/// [`REFRESH_SECS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshInterval(Duration);

/// Why a refresh interval was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshIntervalError {
    /// Not a whole number of seconds.
    #[error("{0:?} is not a whole number of seconds")]
    NotSeconds(String),
    /// Outside [`REFRESH_SECS`].
    #[error("{secs} s is outside {}..={} seconds", REFRESH_SECS.start(), REFRESH_SECS.end())]
    OutOfRange {
        /// The seconds asked for.
        secs: u64,
    },
}

impl RefreshInterval {
    /// An interval of `secs` seconds.
    ///
    /// # Errors
    /// [`RefreshIntervalError::OutOfRange`] outside [`REFRESH_SECS`].
    pub fn from_secs(secs: u64) -> Result<Self, RefreshIntervalError> {
        if REFRESH_SECS.contains(&secs) {
            Ok(Self(Duration::from_secs(secs)))
        } else {
            Err(RefreshIntervalError::OutOfRange { secs })
        }
    }

    /// The interval.
    pub fn get(self) -> Duration {
        self.0
    }
}

impl Default for RefreshInterval {
    fn default() -> Self {
        Self(Duration::from_secs(5 * 60))
    }
}

impl FromStr for RefreshInterval {
    type Err = RefreshIntervalError;

    /// Whole seconds, as the flag and `FITVIEW_RECOMMEND_REFRESH_SECS` give them.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let secs = text
            .trim()
            .parse::<u64>()
            .map_err(|_| RefreshIntervalError::NotSeconds(text.to_owned()))?;
        Self::from_secs(secs)
    }
}

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
                        next_full = tokio::time::Instant::now() + service.interval.get();
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
                self.metrics.failed();
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

    /// Rebuilds one retailer's models now, counted in the metrics either way.
    ///
    /// # Errors
    /// [`RefreshError`] when the rows cannot be read or the models built.
    pub async fn refresh(&self, retailer: &str) -> Result<(), RefreshError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let started = Instant::now();
        let now = crate::db::now();
        match self.rebuild(retailer, now).await {
            Ok(model) => {
                let took = started.elapsed();
                tracing::info!(
                    retailer,
                    elapsed_ms = took.as_millis() as u64,
                    "recommendation models rebuilt"
                );
                self.install(retailer.to_owned(), model);
                self.metrics.succeeded(now, took);
                Ok(())
            }
            Err(error) => {
                self.metrics.failed();
                Err(error)
            }
        }
    }

    /// A retailer's models from its rows as of `now`; `None` for a shop without products.
    async fn rebuild(&self, retailer: &str, now: i64) -> Result<Option<ShopModel>, RefreshError> {
        let (products, events, orders) = load(&self.db, retailer, now).await?;
        if products.is_empty() {
            return Ok(None);
        }
        let model = tokio::task::spawn_blocking(move || {
            ShopRecords::from_rows(&products, &events, &orders)
                .map(|records| ShopModel::build(records, now))
        })
        .await??;
        Ok(Some(model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_whole_seconds_from_ten_to_a_day() {
        assert_eq!(RefreshInterval::default().get(), Duration::from_secs(300));
        assert_eq!(
            "60".parse::<RefreshInterval>().map(RefreshInterval::get),
            Ok(Duration::from_secs(60))
        );
        assert!(RefreshInterval::from_secs(10).is_ok());
        assert!(RefreshInterval::from_secs(86_400).is_ok());
        assert_eq!(
            RefreshInterval::from_secs(9),
            Err(RefreshIntervalError::OutOfRange { secs: 9 })
        );
        let error = "86401".parse::<RefreshInterval>().unwrap_err();
        assert_eq!(error.to_string(), "86401 s is outside 10..=86400 seconds");
        assert_eq!(
            "5m".parse::<RefreshInterval>(),
            Err(RefreshIntervalError::NotSeconds("5m".to_owned()))
        );
        assert!("-30".parse::<RefreshInterval>().is_err());
    }
}
