//! The engine-wide bound on provider calls (`EngineConfig::provider_calls`) and
//! `Engine::stop_provider_calls`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use fitview_engine::provider::mock::MockProvider;
use fitview_engine::provider::throttle::ThrottleConfig;
use fitview_engine::{
    Engine, EngineConfig, Error, OutputOptions, Style, TryOnOptions, TryOnRequest,
};
use tokio::task::JoinSet;

use crate::common;

const LATENCY: Duration = Duration::from_secs(1);

/// An engine whose try-on and style provider are `mock`, with at most `calls` provider calls in
/// flight.
fn engine(mock: &Arc<MockProvider>, calls: usize) -> Engine {
    let config = EngineConfig {
        provider_calls: Some(ThrottleConfig {
            max_concurrency: calls,
            requests_per_minute: None,
            burst: 1,
        }),
        ..EngineConfig::default()
    };
    Engine::builder()
        .config(config)
        .shared_provider(mock.clone())
        .style_provider(mock.clone())
        .build()
        .unwrap()
}

/// The `n`th of several different requests (each with its own seed, so its own key).
fn request(n: u64) -> TryOnRequest {
    TryOnRequest::new(common::person_png(300, 400), common::garment_png(200, 240)).with_options(
        TryOnOptions {
            seed: Some(n),
            ..TryOnOptions::default()
        },
    )
}

/// Waits (really) until the provider has been called `n` times.
async fn until_called(mock: &MockProvider, n: u32) {
    while mock.calls() < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Time is paused: the provider's latency costs no real time.
#[tokio::test(start_paused = true)]
async fn try_ons_and_variations_together_never_have_more_calls_in_flight_than_the_bound() {
    let mock = Arc::new(MockProvider::new().with_latency(LATENCY));
    let engine = engine(&mock, 2);
    let styled = engine.try_on(request(0)).await.unwrap().images[0]
        .bytes
        .clone();
    let mut tasks = JoinSet::new();
    for n in 1..=4 {
        let engine = engine.clone();
        tasks.spawn(async move { engine.try_on(request(n)).await.map(drop) });
    }
    for color in ["red", "teal"] {
        let (engine, styled) = (engine.clone(), styled.clone());
        let style = Style::ColorVariant {
            color: color.to_owned(),
        };
        tasks.spawn(async move {
            engine
                .variations(styled, style, 1, OutputOptions::default())
                .await
                .map(drop)
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }
    assert_eq!(mock.calls(), 7);
    assert_eq!(
        mock.most_in_flight(),
        2,
        "the bound is reached, never passed"
    );
}

/// Real time: the preparation of a request (on the blocking pool) must not race a paused clock.
/// The call in flight holds the only slot for a whole second, so the stop comes well before
/// the waiting request could get it.
#[tokio::test]
async fn stopping_provider_calls_cancels_waiting_requests_but_not_calls_in_flight_or_cache_hits() {
    let mock = Arc::new(MockProvider::new().with_latency(LATENCY));
    let engine = engine(&mock, 1);
    engine.try_on(request(0)).await.unwrap();

    let in_flight = tokio::spawn({
        let engine = engine.clone();
        async move { engine.try_on(request(1)).await }
    });
    until_called(&mock, 2).await;
    let waiting = tokio::spawn({
        let engine = engine.clone();
        async move { engine.try_on(request(2)).await }
    });
    tokio::time::sleep(LATENCY / 10).await;
    engine.stop_provider_calls();

    let err = waiting.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    in_flight
        .await
        .unwrap()
        .expect("a call already made finishes");
    let err = engine.try_on(request(3)).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(mock.calls(), 2, "no call after the stop");
    engine
        .try_on(request(0))
        .await
        .expect("a cached result is still answered");
}
