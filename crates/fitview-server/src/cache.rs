//! The try-on result cache: finished results by (model, product), in memory in front of the
//! `tryon_results` table, so a repeated try-on is answered without touching the database.

use std::sync::Arc;
use std::time::Duration;

use fitview_engine::{Engine, PIPELINE_VERSION};
use moka::future::Cache;

use crate::db::models::ModelRow;
use crate::db::products::ProductRow;
use crate::results::StoredImage;

/// A finished result of one model wearing one product.
#[derive(Debug, Clone)]
pub struct PairEntry {
    /// The retailer owning both.
    pub retailer_id: String,
    /// The engine's content key (the directory of the images).
    pub result_key: String,
    /// The images.
    pub images: Vec<StoredImage>,
}

/// In-memory caches of results and of recently recorded history entries.
#[derive(Debug)]
pub struct ResultCache {
    pairs: Cache<(String, String), Arc<PairEntry>>,
    recent: Cache<(String, String, String), String>,
}

impl Default for ResultCache {
    fn default() -> Self {
        Self {
            pairs: Cache::builder()
                .max_capacity(100_000)
                .support_invalidation_closures()
                .build(),
            recent: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(600))
                .build(),
        }
    }
}

impl ResultCache {
    /// The cached result of a model wearing a product.
    pub async fn get(&self, model_id: &str, product_id: &str) -> Option<Arc<PairEntry>> {
        self.pairs
            .get(&(model_id.to_owned(), product_id.to_owned()))
            .await
    }

    /// Caches a result.
    pub async fn put(&self, model_id: &str, product_id: &str, entry: PairEntry) {
        self.pairs
            .insert(
                (model_id.to_owned(), product_id.to_owned()),
                Arc::new(entry),
            )
            .await;
    }

    /// Drops every result involving this model or product (after it changed or went away).
    pub fn invalidate(&self, id: &str) {
        let id = id.to_owned();
        if let Err(error) = self
            .pairs
            .invalidate_entries_if(move |(m, p), _| *m == id || *p == id)
        {
            // Only possible if the cache was built without invalidation closures.
            tracing::error!(%error, "result cache invalidation failed; clearing it");
            self.pairs.invalidate_all();
        }
    }

    /// The history entry recorded lately for this user, model and product, if any.
    pub async fn recent_job(
        &self,
        user_id: &str,
        model_id: &str,
        product_id: &str,
    ) -> Option<String> {
        self.recent
            .get(&(
                user_id.to_owned(),
                model_id.to_owned(),
                product_id.to_owned(),
            ))
            .await
    }

    /// Remembers the history entry recorded for this user, model and product.
    pub async fn remember_job(
        &self,
        user_id: &str,
        model_id: &str,
        product_id: &str,
        job_id: &str,
    ) {
        self.recent
            .insert(
                (
                    user_id.to_owned(),
                    model_id.to_owned(),
                    product_id.to_owned(),
                ),
                job_id.to_owned(),
            )
            .await;
    }

    /// Forgets the recently recorded history entries (after a user's data was deleted).
    ///
    /// `recent` has no invalidation closures, so this clears it whole: it only saves inserts.
    pub fn forget_recent_history(&self) {
        self.recent.invalidate_all();
    }
}

/// The durable cache key of a model wearing a product: changes whenever the provider, FitView's
/// pipeline, either photo, the landmarks or the garment category change.
pub fn durable_key(engine: &Engine, model: &ModelRow, product: &ProductRow) -> String {
    let provider = engine.provider();
    let mut hasher = blake3::Hasher::new();
    for part in [
        PIPELINE_VERSION,
        provider.name(),
        provider.model(),
        &model.image_file,
        model.landmarks.as_deref().unwrap_or(""),
        product.image_file.as_deref().unwrap_or(""),
        &product.garment_category,
    ] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_hex().to_string()
}
