//! The spend ledger: what provider calls really cost, per day (UTC), provider and model.
//!
//! Every provider call that returns images adds its `usage.estimated_cost_usd` (the provider's
//! billed figure where it reports one: xAI's ticks, FASHN's credits, Gemini's tokens). With a
//! result store, each process keeps its own totals of the day in one small object,
//! `ledger/{day}/{writer}.json`, rewritten after every call; [`SpendLedger::read`] sums every
//! writer's objects, which is what `fitview costs` prints and what a daily budget counts (the
//! other processes' spend of the day is read once, at the first call of the day).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::ResultStore;

/// Where ledger objects live in a result store.
const PREFIX: &str = "ledger";

/// Spend of one provider and model on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendEntry {
    /// The day, UTC (`2026-12-02`).
    pub day: String,
    /// The provider's registry name.
    pub provider: String,
    /// Its model.
    pub model: String,
    /// US dollars spent.
    pub usd: f64,
    /// Provider calls that returned images.
    pub calls: u64,
    /// Images returned.
    pub images: u64,
}

type Totals = BTreeMap<(String, String, String), SpendEntry>;

/// This process's spend, and (with a store) everyone's spend of the day.
#[derive(Debug)]
pub struct SpendLedger {
    store: Option<Arc<dyn ObjectStore>>,
    writer: String,
    own: Mutex<Totals>,
    /// Spend of the other writers, read once per day: (day, USD).
    others: tokio::sync::Mutex<Option<(String, f64)>>,
    /// Serializes the rewrites of this writer's object, so a later total never loses to an
    /// earlier one.
    writing: tokio::sync::Mutex<()>,
}

impl SpendLedger {
    /// A ledger kept in `store` (or in memory only, without one).
    pub fn new(store: Option<&ResultStore>) -> Self {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        Self {
            store: store.map(|s| s.objects().clone()),
            writer: format!("{}-{nanos:x}", std::process::id()),
            own: Mutex::new(Totals::new()),
            others: tokio::sync::Mutex::new(None),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// Today (UTC), as the ledger names days (`2026-12-02`).
    pub fn today() -> String {
        Utc::now().date_naive().to_string()
    }

    /// Adds a call's cost, then rewrites this writer's object of the day. A store failure is
    /// logged, not returned: the call was made and paid for either way.
    pub async fn record(&self, provider: &str, model: &str, usd: f64, images: usize) {
        let day = Self::today();
        let usd = if usd.is_finite() { usd.max(0.0) } else { 0.0 };
        {
            let mut own = self.own.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = own
                .entry((day.clone(), provider.to_owned(), model.to_owned()))
                .or_insert_with(|| SpendEntry {
                    day: day.clone(),
                    provider: provider.to_owned(),
                    model: model.to_owned(),
                    usd: 0.0,
                    calls: 0,
                    images: 0,
                });
            entry.usd += usd;
            entry.calls += 1;
            entry.images += images as u64;
        }
        if let Err(err) = self.persist(&day).await {
            tracing::warn!(error = %err, "cannot write the spend ledger");
        }
    }

    async fn persist(&self, day: &str) -> Result<()> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let _writing = self.writing.lock().await;
        let entries: Vec<SpendEntry> = self
            .own
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|e| e.day == day)
            .cloned()
            .collect();
        let body = serde_json::to_vec(&entries)
            .map_err(|e| Error::internal(format!("cannot encode the spend ledger: {e}")))?;
        let path = Path::from(format!("{PREFIX}/{day}/{}.json", self.writer));
        store
            .put(&path, PutPayload::from(body))
            .await
            .map_err(|e| storage("write", &path, e))?;
        Ok(())
    }

    /// What this process spent on `day`.
    pub fn own_spend(&self, day: &str) -> f64 {
        self.own
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|e| e.day == day)
            .map(|e| e.usd)
            .sum()
    }

    /// What was spent today: this process's spend, plus (with a store) the other writers'
    /// spend as read at this process's first look of the day.
    pub async fn spent_today(&self) -> f64 {
        let day = Self::today();
        let own = self.own_spend(&day);
        let Some(store) = &self.store else {
            return own;
        };
        let mut others = self.others.lock().await;
        if let Some((seen, usd)) = others.as_ref()
            && *seen == day
        {
            return own + usd;
        }
        let usd = match read_day(store.as_ref(), &day).await {
            Ok(entries) => entries
                .into_iter()
                .filter(|(writer, _)| *writer != self.writer)
                .flat_map(|(_, e)| e)
                .map(|e| e.usd)
                .sum(),
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the spend ledger; counting this process only");
                0.0
            }
        };
        *others = Some((day, usd));
        own + usd
    }

    /// Every writer's spend in `store`, summed per day, provider and model, oldest day first.
    pub async fn read(store: &ResultStore) -> Result<Vec<SpendEntry>> {
        use futures::TryStreamExt as _;
        let objects = store.objects();
        let prefix = Path::from(PREFIX);
        let metas: Vec<_> = objects
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| storage("list", &prefix, e))?;
        let mut totals = Totals::new();
        for meta in metas {
            for entry in read_object(objects.as_ref(), &meta.location).await? {
                add(&mut totals, entry);
            }
        }
        Ok(totals.into_values().collect())
    }
}

fn add(totals: &mut Totals, entry: SpendEntry) {
    let key = (
        entry.day.clone(),
        entry.provider.clone(),
        entry.model.clone(),
    );
    match totals.get_mut(&key) {
        Some(sum) => {
            sum.usd += entry.usd;
            sum.calls += entry.calls;
            sum.images += entry.images;
        }
        None => {
            totals.insert(key, entry);
        }
    }
}

/// Each writer's entries of `day`: (writer, entries).
async fn read_day(store: &dyn ObjectStore, day: &str) -> Result<Vec<(String, Vec<SpendEntry>)>> {
    use futures::TryStreamExt as _;
    let prefix = Path::from(format!("{PREFIX}/{day}"));
    let metas: Vec<_> = store
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(|e| storage("list", &prefix, e))?;
    let mut out = Vec::new();
    for meta in metas {
        let writer = meta
            .location
            .filename()
            .and_then(|f| f.strip_suffix(".json"))
            .unwrap_or_default()
            .to_owned();
        out.push((writer, read_object(store, &meta.location).await?));
    }
    Ok(out)
}

async fn read_object(store: &dyn ObjectStore, path: &Path) -> Result<Vec<SpendEntry>> {
    let bytes = store
        .get(path)
        .await
        .map_err(|e| storage("read", path, e))?
        .bytes()
        .await
        .map_err(|e| storage("read", path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Storage {
        detail: format!("spend ledger {path} is not valid: {e}"),
    })
}

fn storage(what: &str, path: &Path, err: object_store::Error) -> Error {
    Error::Storage {
        detail: format!("cannot {what} {path}: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spend_adds_up_per_provider_and_model_across_writers() {
        let store = ResultStore::in_memory();
        let a = SpendLedger::new(Some(&store));
        a.record("fashn", "tryon-v1.6", 0.075, 1).await;
        a.record("fashn", "tryon-v1.6", 0.15, 2).await;
        a.record("nano-banana", "gemini-3.1-flash-image", 0.068, 1)
            .await;
        let b = SpendLedger::new(Some(&store));
        b.record("fashn", "tryon-v1.6", 0.075, 1).await;

        let entries = SpendLedger::read(&store).await.unwrap();
        assert_eq!(entries.len(), 2, "{entries:?}");
        let fashn = entries.iter().find(|e| e.provider == "fashn").unwrap();
        assert!((fashn.usd - 0.3).abs() < 1e-9, "{fashn:?}");
        assert_eq!((fashn.calls, fashn.images), (3, 4));
        assert_eq!(fashn.day, SpendLedger::today());

        // b sees a's spend of the day beside its own.
        assert!((b.spent_today().await - 0.368).abs() < 1e-9);
        assert!((a.own_spend(&SpendLedger::today()) - 0.293).abs() < 1e-9);
    }

    #[tokio::test]
    async fn without_a_store_the_ledger_counts_this_process() {
        let ledger = SpendLedger::new(None);
        ledger.record("mock", "mock-1", 0.5, 1).await;
        ledger.record("mock", "mock-1", f64::NAN, 1).await;
        assert!((ledger.spent_today().await - 0.5).abs() < 1e-9);
    }
}
