//! The product catalog cache of the design: what the shop's pages read of the catalog (a
//! product, a page of a listing, the category and shop choices) is kept for 6 hours and dropped
//! whenever the catalog changes: a product is added, edited, re-photographed, deleted or sold
//! (stock), a retailer is created, disabled or deleted.
//!
//! A change drops everything cached (catalog writes are rare next to reads, and a listing page
//! depends on many products). The word goes through the job-change channel ([`JobEvents`]),
//! which with Redis reaches every server, so no server keeps showing an edited product.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use sqlx::AnyPool;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::Role;
use crate::db::{self, products::ProductFilter, products::ProductRow, users::UserRow};
use crate::job_events::JobEvents;

/// How long catalog reads are kept (the design's product catalog cache).
pub const CATALOG_TTL: Duration = Duration::from_secs(6 * 60 * 60);
/// The word on the job-change channel that the catalog changed (job ids are UUIDs).
const CATALOG_CHANGED: &str = "catalog-changed";
/// Most entries of each kind.
const CAPACITY: u64 = 50_000;
/// Most shops the catalog's shop filter offers.
const MAX_SHOPS: i64 = 200;

/// Cached catalog reads. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CatalogCache {
    db: AnyPool,
    events: JobEvents,
    products: Cache<String, Option<ProductRow>>,
    listings: Cache<String, Arc<Vec<ProductRow>>>,
    categories: Cache<(), Arc<Vec<(String, i64)>>>,
    shops: Cache<(), Arc<Vec<UserRow>>>,
}

fn cache<K, V>() -> Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(CAPACITY)
        .time_to_live(CATALOG_TTL)
        .build()
}

impl CatalogCache {
    /// Reads of `db`, dropped when `events` carries word of a catalog change.
    pub fn new(db: AnyPool, events: JobEvents) -> CatalogCache {
        CatalogCache {
            db,
            events,
            products: cache(),
            listings: cache(),
            categories: cache(),
            shops: cache(),
        }
    }

    /// Listens for catalog changes, from this server and (with Redis) every other.
    pub fn start(&self) {
        let this = self.clone();
        let mut changes = self.events.subscribe();
        let mut closing = self.events.closing();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    change = changes.recv() => match change {
                        Ok(word) if word == CATALOG_CHANGED => this.drop_all(),
                        Ok(_) => {}
                        // Words were missed: one of them may have been a catalog change.
                        Err(RecvError::Lagged(_)) => this.drop_all(),
                        Err(RecvError::Closed) => return,
                    },
                    _ = closing.changed() => return,
                }
            }
        });
    }

    /// Says that the catalog changed: every server drops what it cached. This server drops it
    /// at once too, so its next page already shows the change.
    pub fn changed(&self) {
        self.drop_all();
        self.events.changed(CATALOG_CHANGED);
    }

    fn drop_all(&self) {
        self.products.invalidate_all();
        self.listings.invalidate_all();
        self.categories.invalidate_all();
        self.shops.invalidate_all();
    }

    /// The product with this id, of any retailer.
    pub async fn product(&self, id: &str) -> Result<Option<ProductRow>, sqlx::Error> {
        let db = self.db.clone();
        let key = id.to_owned();
        self.products
            .try_get_with(id.to_owned(), async move {
                db::products::get(&db, &key, None).await
            })
            .await
            .map_err(shared_error)
    }

    /// A page of the listing matching `filter`.
    pub async fn list(
        &self,
        filter: &ProductFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Arc<Vec<ProductRow>>, sqlx::Error> {
        let key = format!("{filter:?}|{limit}|{offset}");
        let db = self.db.clone();
        let filter = filter.clone();
        self.listings
            .try_get_with(key, async move {
                db::products::list(&db, &filter, limit, offset)
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(shared_error)
    }

    /// The shop categories with their product counts.
    pub async fn categories(&self) -> Result<Arc<Vec<(String, i64)>>, sqlx::Error> {
        let db = self.db.clone();
        self.categories
            .try_get_with((), async move {
                db::products::categories(&db, None).await.map(Arc::new)
            })
            .await
            .map_err(shared_error)
    }

    /// The shops (retailers) the catalog can be filtered by.
    pub async fn shops(&self) -> Result<Arc<Vec<UserRow>>, sqlx::Error> {
        let db = self.db.clone();
        self.shops
            .try_get_with((), async move {
                db::users::list_by_role(&db, Role::Retailer.as_str(), MAX_SHOPS, 0)
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(shared_error)
    }
}

/// The error of a load that several callers waited on, as one of theirs.
fn shared_error(error: Arc<sqlx::Error>) -> sqlx::Error {
    sqlx::Error::Protocol(error.to_string())
}
