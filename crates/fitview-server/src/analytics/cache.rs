//! The analytics cache: answers per retailer for 30 minutes (the design's TTL), dropped for a
//! retailer as soon as a flush changes its figures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// Cached answers, keyed by retailer, the retailer's generation and the request.
#[derive(Debug)]
pub struct AnswerCache {
    answers: moka::future::Cache<String, Arc<Value>>,
    generations: Mutex<HashMap<String, u64>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AnswerCache {
    /// A cache keeping answers for `ttl`, at most `capacity` of them.
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        Self {
            answers: moka::future::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(capacity)
                .build(),
            generations: Mutex::new(HashMap::new()),
        }
    }

    fn key(&self, retailer: &str, request: &str) -> String {
        let generation = lock(&self.generations).get(retailer).copied().unwrap_or(0);
        format!("{retailer}\u{1f}{generation}\u{1f}{request}")
    }

    /// The cached answer to `request` of `retailer`.
    pub async fn get(&self, retailer: &str, request: &str) -> Option<Arc<Value>> {
        self.answers.get(&self.key(retailer, request)).await
    }

    /// Keeps an answer.
    pub async fn put(&self, retailer: &str, request: &str, answer: Arc<Value>) {
        self.answers
            .insert(self.key(retailer, request), answer)
            .await;
    }

    /// Forgets every answer of these retailers (their older entries are never read again and
    /// expire with the TTL).
    pub fn invalidate<'a>(&self, retailers: impl IntoIterator<Item = &'a String>) {
        let mut generations = lock(&self.generations);
        for retailer in retailers {
            *generations.entry(retailer.clone()).or_default() += 1;
        }
    }
}
