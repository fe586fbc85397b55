//! Spend caps on what provider calls really cost ([`crate::ledger`]), enforced before a call is
//! made: a call that would take the day's spend past `budget.daily_usd` is refused with
//! [`Error::BudgetExceeded`], and counted.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ledger::SpendLedger;

/// The engine's spend caps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetConfig {
    /// Most US dollars the provider calls of a day (UTC) may cost: this process's recorded
    /// spend plus, with a result store, what other processes recorded there today. `None` for
    /// no cap.
    pub daily_usd: Option<f64>,
}

impl BudgetConfig {
    /// What is wrong with these caps.
    pub fn problems(&self) -> Vec<String> {
        match self.daily_usd {
            Some(usd) if !(usd.is_finite() && usd >= 0.0) => {
                vec!["budget.daily_usd must be a non-negative number".to_owned()]
            }
            _ => Vec::new(),
        }
    }
}

/// The daily cap at work: the ledger it counts and the calls it refused.
#[derive(Debug)]
pub(crate) struct Budget {
    config: BudgetConfig,
    ledger: SpendLedger,
    refused: AtomicU64,
}

/// Spend so far and what the caps did, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SpendStats {
    /// US dollars this process's provider calls cost today.
    pub today_usd: f64,
    /// Provider calls refused by a spend cap since the engine started.
    pub refused_calls: u64,
}

impl Budget {
    pub(crate) fn new(config: BudgetConfig, ledger: SpendLedger) -> Self {
        Self {
            config,
            ledger,
            refused: AtomicU64::new(0),
        }
    }

    pub(crate) fn ledger(&self) -> &SpendLedger {
        &self.ledger
    }

    /// Refuses a call expected to cost `next_usd` when it would take today's spend past the
    /// daily cap.
    pub(crate) async fn check(&self, next_usd: f64) -> Result<()> {
        let Some(limit) = self.config.daily_usd else {
            return Ok(());
        };
        let spent = self.ledger.spent_today().await;
        if spent + next_usd.max(0.0) > limit + 1e-9 {
            self.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                spent_usd = spent,
                limit_usd = limit,
                next_usd,
                "provider call refused: daily budget reached"
            );
            return Err(Error::BudgetExceeded {
                scope: "daily".to_owned(),
                spent_usd: spent,
                limit_usd: limit,
            });
        }
        Ok(())
    }

    pub(crate) fn stats(&self) -> SpendStats {
        SpendStats {
            today_usd: self.ledger.own_spend(&SpendLedger::today()),
            refused_calls: self.refused.load(Ordering::Relaxed),
        }
    }
}
