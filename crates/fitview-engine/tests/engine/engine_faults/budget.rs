//! `budget.daily_usd`: a call that would pass the day's recorded spend is refused before it is
//! made, with `budget_exceeded`, and counted; the ledger holds what was really spent.

use std::sync::Arc;

use fitview_engine::provider::mock::MockProvider;
use fitview_engine::provider::{
    Capabilities, ModeOffer, ProviderOutput, ProviderRequest, TryOnProvider,
};
use fitview_engine::store::ResultStore;
use fitview_engine::{BudgetConfig, Engine, EngineConfig, QualityMode, SpendLedger, TryOnRequest};

use super::common;

/// A mock that bills a fixed price per call.
#[derive(Debug)]
struct Priced(f64, Arc<MockProvider>);

#[async_trait::async_trait]
impl TryOnProvider for Priced {
    fn name(&self) -> &str {
        "priced"
    }
    fn model(&self) -> &str {
        "priced-1"
    }
    fn prompt_version(&self) -> &str {
        self.1.prompt_version()
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            cost_per_image_usd: self.0,
            ..self.1.capabilities()
        }
    }
    async fn try_on(&self, request: ProviderRequest) -> fitview_engine::Result<ProviderOutput> {
        let mut out = self.1.try_on(request).await?;
        out.usage.estimated_cost_usd = self.0;
        Ok(out)
    }
}

fn request(n: u32) -> TryOnRequest {
    TryOnRequest::new(
        common::person_png(300, 400 + n),
        common::garment_png(200, 240),
    )
}

#[tokio::test]
async fn calls_past_the_daily_budget_are_refused_before_they_are_made() {
    let mock = Arc::new(MockProvider::new());
    let store = ResultStore::in_memory();
    let engine = Engine::builder()
        .config(EngineConfig {
            budget: BudgetConfig {
                daily_usd: Some(0.25),
            },
            ..EngineConfig::default()
        })
        .store(store.clone())
        .shared_provider(Arc::new(Priced(0.1, mock.clone())))
        .build()
        .unwrap();
    engine.try_on(request(0)).await.unwrap();
    engine.try_on(request(1)).await.unwrap();
    // A cache hit costs nothing and is never refused.
    engine.try_on(request(1)).await.unwrap();
    let err = engine.try_on(request(2)).await.unwrap_err();
    assert_eq!(err.code(), "budget_exceeded", "{err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("$0.25"), "{err}");
    assert_eq!(mock.calls(), 2, "the third call was not made");
    let stats = engine.spend_stats();
    assert!((stats.today_usd - 0.2).abs() < 1e-9, "{stats:?}");
    assert_eq!(stats.refused_calls, 1);

    // The ledger in the store holds the real spend, and a new engine on the same store counts
    // it against the same day's budget.
    let entries = SpendLedger::read(&store).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].provider.as_str(), entries[0].calls),
        ("priced", 2)
    );
    let again = Engine::builder()
        .config(EngineConfig {
            budget: BudgetConfig {
                daily_usd: Some(0.25),
            },
            ..EngineConfig::default()
        })
        .store(store)
        .shared_provider(Arc::new(Priced(0.1, mock.clone())))
        .build()
        .unwrap();
    assert_eq!(
        again.try_on(request(3)).await.unwrap_err().code(),
        "budget_exceeded"
    );
    assert_eq!(mock.calls(), 2);
}

/// A provider whose best mode calls a dearer model, as Gemini's do.
#[derive(Debug)]
struct TwoModels(Arc<MockProvider>);

#[async_trait::async_trait]
impl TryOnProvider for TwoModels {
    fn name(&self) -> &str {
        "two-models"
    }
    fn model(&self) -> &str {
        "cheap-1 | dear-1"
    }
    fn prompt_version(&self) -> &str {
        self.0.prompt_version()
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            cost_per_image_usd: 0.01,
            ..self.0.capabilities()
        }
    }
    fn modes(&self) -> Vec<ModeOffer> {
        QualityMode::ALL
            .map(|mode| match mode {
                QualityMode::Best => ModeOffer::flat(mode, "dear-1", 0.5),
                _ => ModeOffer::flat(mode, "cheap-1", 0.01),
            })
            .to_vec()
    }
    async fn try_on(&self, request: ProviderRequest) -> fitview_engine::Result<ProviderOutput> {
        let best = request.quality == QualityMode::Best;
        let mut out = self.0.try_on(request).await?;
        out.usage.estimated_cost_usd = if best { 0.5 } else { 0.01 };
        Ok(out)
    }
}

#[tokio::test]
async fn the_cap_counts_the_price_of_the_model_the_mode_picks_and_the_ledger_names_it() {
    let mock = Arc::new(MockProvider::new());
    let store = ResultStore::in_memory();
    let engine = Engine::builder()
        .config(EngineConfig {
            budget: BudgetConfig {
                daily_usd: Some(0.4),
            },
            ..EngineConfig::default()
        })
        .store(store.clone())
        .shared_provider(Arc::new(TwoModels(mock.clone())))
        .build()
        .unwrap();
    engine.try_on(request(0)).await.unwrap();
    // At the fast model's price the best call would fit; at its own it does not.
    let mut best = request(1);
    best.options.quality = QualityMode::Best;
    let err = engine.try_on(best).await.unwrap_err();
    assert_eq!(err.code(), "budget_exceeded", "{err}");
    assert_eq!(mock.calls(), 1, "the best call was not made");
    let entries = SpendLedger::read(&store).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].model, "cheap-1",
        "the model called, not the label"
    );
}
