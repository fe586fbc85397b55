//! Recommendations (issue 15): which size a shopper should buy and what to try on next, answered
//! from per-retailer models that are built in the background from the stored events, orders and
//! catalogue, never in a request. The maths lives in `fitview-insights` (`recommend`).
//!
//! | idea | file |
//! |---|---|
//! | the service: built models behind a lock, the refresh task | `mod.rs` |
//! | when and how models are rebuilt | `refresh.rs` |
//! | what `/metrics` says about the rebuilds | `refresh_metrics.rs` |
//! | stored rows as the models' records | `records.rs` |
//! | the retailer's ordered size labels | `scale.rs` |
//! | one retailer's built models | `model.rs` |
//! | a shopper's saved measurements | `measurements.rs` |
//! | answers as routes and pages give them (live stock, purchases) | `answers.rs` |
//! | the events recorded when an answer is shown | `events.rs` |
//! | a size chart's JSON kept in the order sent | `json_text.rs` |
//! | acceptance of recommended sizes, for the retailer | `acceptance.rs` |
//! | the HTTP routes | `routes.rs` |

pub mod acceptance;
pub mod answers;
pub mod events;
pub mod json_text;
pub mod measurements;
pub mod model;
pub mod records;
pub mod refresh;
pub mod refresh_metrics;
pub mod routes;
pub mod scale;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use sqlx::AnyPool;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use model::{ShopModel, Suggested};
pub use refresh::{REFRESH_SECS, RefreshInterval, RefreshIntervalError};
pub use refresh_metrics::RefreshMetrics;

/// The recommendation service: each retailer's latest built models, and the task that
/// rebuilds them.
#[derive(Debug)]
pub struct Recommendations {
    db: AnyPool,
    interval: RefreshInterval,
    metrics: Arc<RefreshMetrics>,
    models: RwLock<HashMap<String, Arc<ShopModel>>>,
    stale: Mutex<HashSet<String>>,
    wake: Notify,
    refreshing: tokio::sync::Mutex<()>,
    task: Mutex<Option<JoinHandle<()>>>,
    closing: watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Recommendations {
    /// The service over `db`, rebuilding every `interval` and counting its rebuilds in
    /// `metrics`, with no model until the first refresh.
    pub fn new(db: AnyPool, interval: RefreshInterval, metrics: Arc<RefreshMetrics>) -> Arc<Self> {
        Arc::new(Self {
            db,
            interval,
            metrics,
            models: RwLock::new(HashMap::new()),
            stale: Mutex::new(HashSet::new()),
            wake: Notify::new(),
            refreshing: tokio::sync::Mutex::new(()),
            task: Mutex::new(None),
            closing: watch::channel(false).0,
        })
    }

    /// The latest model of a retailer's shop, if one was built.
    pub fn model(&self, retailer: &str) -> Option<Arc<ShopModel>> {
        let models = self.models.read().unwrap_or_else(|p| p.into_inner());
        models.get(retailer).cloned()
    }

    /// Every retailer's latest model, with the retailer's id.
    pub fn models(&self) -> Vec<(String, Arc<ShopModel>)> {
        let models = self.models.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<(String, Arc<ShopModel>)> = models
            .iter()
            .map(|(r, m)| (r.clone(), Arc::clone(m)))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Asks for a rebuild of a retailer's models soon (its catalogue changed).
    pub fn mark_stale(&self, retailer: &str) {
        lock(&self.stale).insert(retailer.to_owned());
        self.wake.notify_one();
    }

    /// Asks for a rebuild of every model soon (an account and its history went).
    pub fn mark_all_stale(&self) {
        let retailers: Vec<String> = self.models().into_iter().map(|(r, _)| r).collect();
        lock(&self.stale).extend(retailers);
        self.wake.notify_one();
    }

    fn install(&self, retailer: String, model: Option<ShopModel>) {
        let mut models = self.models.write().unwrap_or_else(|p| p.into_inner());
        match model {
            Some(model) => models.insert(retailer, Arc::new(model)),
            None => models.remove(&retailer),
        };
        self.metrics
            .oldest(models.values().map(|m| m.built_at).min());
    }
}
