//! Never pay for the same try-on twice: coalescing, failures and cancellation, TTL, the byte
//! bound, durable hits across engines (as across processes), retention and deletion by input.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fitview_engine::provider::mock::{Fault, MockProvider};
use fitview_engine::provider::{Capabilities, ProviderOutput, ProviderRequest, TryOnProvider};
use fitview_engine::{
    CacheConfig, CacheStatus, Engine, EngineConfig, Error, Result, ResultStore, TryOnOptions,
    TryOnRequest,
};
use futures::TryStreamExt;
use image::ImageFormat;
use tokio::sync::watch;

use crate::common;

/// Delegates to a mock, but every call waits until the gate opens: the test decides when the
/// "provider" answers, so overlap does not depend on timing.
#[derive(Debug)]
struct Gated {
    inner: MockProvider,
    gate: watch::Receiver<bool>,
    calls: AtomicU32,
}

impl Gated {
    fn new(inner: MockProvider) -> (Arc<Self>, watch::Sender<bool>) {
        let (open, gate) = watch::channel(false);
        (
            Arc::new(Self {
                inner,
                gate,
                calls: AtomicU32::new(0),
            }),
            open,
        )
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl TryOnProvider for Gated {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn model(&self) -> &str {
        TryOnProvider::model(&self.inner)
    }
    fn prompt_version(&self) -> &str {
        TryOnProvider::prompt_version(&self.inner)
    }
    fn capabilities(&self) -> Capabilities {
        TryOnProvider::capabilities(&self.inner)
    }
    async fn try_on(&self, request: ProviderRequest) -> Result<ProviderOutput> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut gate = self.gate.clone();
        let _ = gate.wait_for(|open| *open).await;
        self.inner.try_on(request).await
    }
}

fn request() -> TryOnRequest {
    TryOnRequest::new(common::person_png(300, 400), common::garment_png(200, 200))
}

fn engine_with(
    provider: Arc<dyn TryOnProvider>,
    config: EngineConfig,
    store: Option<ResultStore>,
) -> Engine {
    let mut builder = Engine::builder().config(config).shared_provider(provider);
    if let Some(store) = store {
        builder = builder.store(store);
    }
    builder.build().unwrap()
}

/// Waits (bounded) until `n` requests have reached the cache.
async fn until_requests(engine: &Engine, n: u64) {
    for _ in 0..2000 {
        if engine.cache_stats().await.requests >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!(
        "only {} of {n} requests reached the cache",
        engine.cache_stats().await.requests
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_requests_make_one_provider_call() {
    const N: usize = 24;
    let (provider, open) = Gated::new(MockProvider::new());
    let engine = engine_with(provider.clone(), EngineConfig::default(), None);
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.try_on(request()).await })
        })
        .collect();
    until_requests(&engine, N as u64).await;
    open.send(true).unwrap();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();

    assert_eq!(
        provider.calls(),
        1,
        "one provider call for {N} identical requests"
    );
    let misses = results
        .iter()
        .filter(|r| r.cache == CacheStatus::Miss)
        .count();
    let coalesced = results
        .iter()
        .filter(|r| r.cache == CacheStatus::Coalesced)
        .count();
    assert_eq!((misses, coalesced), (1, N - 1));
    for r in &results {
        assert_eq!(r.key, results[0].key);
        assert_eq!(
            r.images[0].bytes, results[0].images[0].bytes,
            "everyone gets the same bytes"
        );
    }
    let leader = results
        .iter()
        .find(|r| r.cache == CacheStatus::Miss)
        .unwrap();
    assert_eq!(leader.attempts, 1);
    assert!(
        results
            .iter()
            .filter(|r| r.cache != CacheStatus::Miss)
            .all(|r| r.attempts == 0)
    );

    let stats = engine.cache_stats().await;
    assert_eq!(stats.requests, N as u64);
    assert_eq!(stats.outcomes.miss, 1);
    assert_eq!(stats.outcomes.coalesced, (N - 1) as u64);
    assert_eq!(stats.memory.coalesced, (N - 1) as u64);
    assert_eq!(stats.memory.stored, 1);
    assert!((stats.hit_rate - (N - 1) as f64 / N as f64).abs() < 1e-9);

    // Afterwards the same request is a plain memory hit.
    let again = engine.try_on(request()).await.unwrap();
    assert_eq!(again.cache, CacheStatus::HitMemory);
    assert_eq!(again.images[0].bytes, results[0].images[0].bytes);
    assert_eq!(provider.calls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_leader_fails_its_waiters_and_nothing_is_cached() {
    const N: usize = 8;
    let (provider, open) =
        Gated::new(MockProvider::new().with_faults([Fault::Refusal("IMAGE_SAFETY".into())]));
    let engine = engine_with(provider.clone(), EngineConfig::default(), None);
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.try_on(request()).await })
        })
        .collect();
    until_requests(&engine, N as u64).await;
    open.send(true).unwrap();
    for outcome in futures::future::join_all(tasks).await {
        let err = outcome.unwrap().unwrap_err();
        assert!(
            matches!(&err, Error::ContentPolicy { reason } if reason == "IMAGE_SAFETY"),
            "{err}"
        );
    }
    assert_eq!(provider.calls(), 1, "waiters share the leader's failure");
    assert_eq!(engine.cache_stats().await.outcomes.failed, N as u64);

    // The failure was not cached: the next request calls the provider, which now succeeds.
    let result = engine.try_on(request()).await.unwrap();
    assert_eq!(result.cache, CacheStatus::Miss);
    assert_eq!(provider.calls(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_leader_does_not_leave_waiters_hanging() {
    let (provider, open) = Gated::new(MockProvider::new());
    let engine = engine_with(provider.clone(), EngineConfig::default(), None);
    let leader = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.try_on(request()).await })
    };
    until_requests(&engine, 1).await;
    while provider.calls() < 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let waiter = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.try_on(request()).await })
    };
    until_requests(&engine, 2).await;
    leader.abort();
    assert!(leader.await.unwrap_err().is_cancelled());
    open.send(true).unwrap();
    // A hang guard, not a timing assertion: the waiter takes over and finishes.
    let result = tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("waiter hangs")
        .unwrap()
        .unwrap();
    assert_eq!(result.cache, CacheStatus::Miss, "the waiter made it itself");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn results_expire_after_the_ttl() {
    let mock = Arc::new(MockProvider::new());
    let config = EngineConfig {
        cache: CacheConfig {
            ttl: Duration::from_millis(300),
            ..CacheConfig::default()
        },
        ..EngineConfig::default()
    };
    let engine = engine_with(mock.clone(), config, None);
    assert_eq!(
        engine.try_on(request()).await.unwrap().cache,
        CacheStatus::Miss
    );
    assert_eq!(
        engine.try_on(request()).await.unwrap().cache,
        CacheStatus::HitMemory
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        engine.try_on(request()).await.unwrap().cache,
        CacheStatus::Miss
    );
    assert_eq!(mock.calls(), 2);
}

#[tokio::test]
async fn the_memory_layer_stays_within_its_byte_bound() {
    let mock = Arc::new(MockProvider::new());
    let one = Engine::builder()
        .provider(MockProvider::new())
        .build()
        .unwrap();
    let size: u64 = {
        let r = one.try_on(request()).await.unwrap();
        r.images
            .iter()
            .map(|i| i.bytes.len() + i.thumbnails.iter().map(|t| t.bytes.len()).sum::<usize>())
            .sum::<usize>() as u64
    };
    let mut config = EngineConfig::default();
    // Room for about two results.
    config.cache.memory_bytes = size * 2 + size / 2;
    let engine = engine_with(mock.clone(), config.clone(), None);
    for seed in 0..6 {
        let options = TryOnOptions {
            seed: Some(seed),
            ..TryOnOptions::default()
        };
        engine
            .try_on(request().with_options(options))
            .await
            .unwrap();
    }
    let stats = engine.cache_stats().await;
    assert!(stats.memory_bytes <= config.cache.memory_bytes, "{stats:?}");
    assert!(stats.memory_entries <= 2, "{stats:?}");
    // Asking for all six again needs the provider for the evicted ones.
    for seed in 0..6 {
        let options = TryOnOptions {
            seed: Some(seed),
            ..TryOnOptions::default()
        };
        engine
            .try_on(request().with_options(options))
            .await
            .unwrap();
    }
    assert!(
        mock.calls() >= 10,
        "only {} calls: nothing was evicted",
        mock.calls()
    );
}

#[tokio::test]
async fn a_second_engine_on_the_same_store_hits_even_from_a_re_encoded_photo() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("store");
    let mut config = EngineConfig::default();
    config.store.url = Some(url.to_str().unwrap().to_owned());

    let person = common::person(300, 400);
    let garment = common::garment_png(200, 200);
    let first_mock = Arc::new(MockProvider::new());
    let first = engine_with(first_mock.clone(), config.clone(), None);
    let made = first
        .try_on(TryOnRequest::new(
            common::encode(&person, ImageFormat::Png),
            garment.clone(),
        ))
        .await
        .unwrap();
    assert_eq!(made.cache, CacheStatus::Miss);
    assert!(made.timings.store > Duration::ZERO);
    assert_eq!(first.cache_stats().await.store.stored, 1);

    // A fresh engine (as a fresh process) with the same store, given the photo as lossless WebP.
    let second_mock = Arc::new(MockProvider::new());
    let second = engine_with(second_mock.clone(), config, None);
    let webp = TryOnRequest::new(common::encode(&person, ImageFormat::WebP), garment);
    let hit = second.try_on(webp).await.unwrap();
    assert_eq!(hit.cache, CacheStatus::HitStore);
    assert_eq!(hit.key, made.key);
    assert_eq!(hit.images[0].bytes, made.images[0].bytes);
    assert_eq!(hit.images[0].thumbnails.len(), 2);
    assert_eq!((hit.attempts, hit.provider.as_str()), (0, "mock"));
    assert_eq!(second_mock.calls(), 0);
    // Now in the second engine's memory too.
    assert!(
        second
            .cached(&made.key)
            .await
            .is_some_and(|r| r.cache == CacheStatus::HitMemory)
    );

    // The layout: image, thumbnails and sidecar by key; the uploads by their hash.
    let result_dir = url.join("results").join(made.key.as_str());
    for file in [
        "image.webp",
        "thumb-256.webp",
        "thumb-512.webp",
        "sidecar.json",
    ] {
        assert!(result_dir.join(file).is_file(), "{file} missing");
    }
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(result_dir.join("sidecar.json")).unwrap()).unwrap();
    let person_hash = fitview_engine::input_hash(
        &common::encode(&person, ImageFormat::Png),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(sidecar["inputs"][0]["role"], "person");
    assert_eq!(sidecar["inputs"][0]["hash"], person_hash.as_str());
    assert_eq!(sidecar["provider"], "mock");
    assert!(sidecar["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(url.join("inputs").join(person_hash.as_str()).is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_forgotten_while_its_try_on_runs_leaves_no_result() {
    let store = ResultStore::in_memory();
    let (provider, open) = Gated::new(MockProvider::new());
    let engine = engine_with(
        provider.clone(),
        EngineConfig::default(),
        Some(store.clone()),
    );
    let running = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.try_on(request()).await })
    };
    for _ in 0..2000 {
        if provider.calls() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(provider.calls(), 1, "the try-on is at the provider");

    // Forgotten while the provider works: nothing to delete yet.
    let person = engine
        .input_hash(common::person_png(300, 400).into())
        .await
        .unwrap();
    let report = engine.delete_derived_from(&person, false).await.unwrap();
    assert!(report.results.is_empty(), "{report:?}");
    open.send(true).unwrap();
    let err = running.await.unwrap().unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("forgotten"), "{err}");
    assert!(store.keys().await.unwrap().is_empty(), "no result kept");
    let markers: Vec<_> = store
        .objects()
        .list(Some(&object_store::path::Path::from("by-input")))
        .try_collect()
        .await
        .unwrap();
    assert!(markers.is_empty(), "no marker names the photo: {markers:?}");

    // A try-on of the same photo begun after the forgetting is made and kept.
    let again = engine.try_on(request()).await.unwrap();
    assert_eq!(again.cache, CacheStatus::Miss);
    assert_eq!(store.keys().await.unwrap(), vec![again.key]);
}

#[tokio::test]
async fn deleting_by_input_removes_its_results_from_every_layer() {
    let store = ResultStore::in_memory();
    let mock = Arc::new(MockProvider::new());
    let engine = engine_with(mock.clone(), EngineConfig::default(), Some(store.clone()));
    let alice = common::person_png(300, 400);
    let bob = common::person_png(320, 400);
    let garment = common::garment_png(200, 200);
    let a1 = engine
        .try_on(TryOnRequest::new(alice.clone(), garment.clone()))
        .await
        .unwrap();
    let options = TryOnOptions {
        seed: Some(5),
        ..TryOnOptions::default()
    };
    let a2 = engine
        .try_on(TryOnRequest::new(alice.clone(), garment.clone()).with_options(options))
        .await
        .unwrap();
    let b1 = engine
        .try_on(TryOnRequest::new(bob, garment.clone()))
        .await
        .unwrap();

    let hash = engine.input_hash(alice.clone().into()).await.unwrap();
    let dry = engine.delete_derived_from(&hash, true).await.unwrap();
    let mut expected = vec![a1.key.clone(), a2.key.clone()];
    expected.sort();
    assert_eq!(dry.results, expected);
    assert!(
        engine.cached(&a1.key).await.is_some(),
        "a dry run deletes nothing"
    );

    let done = engine.delete_derived_from(&hash, false).await.unwrap();
    assert_eq!(done.results, expected);
    assert!(done.input_deleted);
    assert!(store.get(&a1.key).await.unwrap().is_none());
    assert!(
        engine.cached(&a2.key).await.is_none(),
        "gone from memory too"
    );
    assert!(
        engine.cached(&b1.key).await.is_some(),
        "another person's result stays"
    );
    let calls = mock.calls();
    assert_eq!(
        engine
            .try_on(TryOnRequest::new(alice, garment))
            .await
            .unwrap()
            .cache,
        CacheStatus::Miss
    );
    assert_eq!(mock.calls(), calls + 1);
}

#[tokio::test]
async fn a_photo_used_by_many_try_ons_is_prepared_once_and_forgotten_on_erasure() {
    let mock = Arc::new(MockProvider::new());
    let engine = engine_with(mock.clone(), EngineConfig::default(), None);
    let model = common::person_png(300, 400);
    let garments = [common::garment_png(200, 200), common::garment_png(180, 200)];
    let mut keys = Vec::new();
    for garment in &garments {
        let result = engine
            .try_on(TryOnRequest::new(model.clone(), garment.clone()))
            .await
            .unwrap();
        assert_eq!(result.cache, CacheStatus::Miss);
        keys.push(result.key);
    }
    // The same model in the first garment again, with another seed: a new try-on, nothing new
    // to prepare.
    let seeded = TryOnOptions {
        seed: Some(3),
        ..TryOnOptions::default()
    };
    let again = engine
        .try_on(TryOnRequest::new(model.clone(), garments[0].clone()).with_options(seeded))
        .await
        .unwrap();
    assert_eq!(again.cache, CacheStatus::Miss);
    assert_eq!(mock.calls(), 3);
    let inputs = engine.cache_stats().await.inputs;
    assert_eq!(
        (inputs.prepared, inputs.reused),
        (3, 3),
        "the model once, each garment once: {inputs:?}"
    );
    assert_ne!(keys[0], keys[1]);

    // A prepared input gives the same key as a fresh engine preparing it from scratch.
    let fresh = engine_with(Arc::new(MockProvider::new()), EngineConfig::default(), None);
    let key = fresh
        .try_on(TryOnRequest::new(model.clone(), garments[1].clone()))
        .await
        .unwrap()
        .key;
    assert_eq!(key, keys[1]);

    // An erasure request drops the kept inputs: the next try-on prepares the photos again.
    let hash = engine.input_hash(model.clone().into()).await.unwrap();
    engine.delete_derived_from(&hash, false).await.unwrap();
    engine
        .try_on(TryOnRequest::new(model, garments[0].clone()))
        .await
        .unwrap();
    assert_eq!(engine.cache_stats().await.inputs.prepared, 5);
}

#[tokio::test]
async fn gc_expires_old_results_from_the_store_and_memory() {
    let store = ResultStore::in_memory();
    let engine = engine_with(
        Arc::new(MockProvider::new()),
        EngineConfig::default(),
        Some(store.clone()),
    );
    let made = engine.try_on(request()).await.unwrap();
    assert!(
        engine
            .gc(Duration::from_secs(90 * 86400), false)
            .await
            .unwrap()
            .results
            .is_empty()
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let dry = engine.gc(Duration::ZERO, true).await.unwrap();
    assert_eq!(dry.results, vec![made.key.clone()]);
    assert!(engine.cached(&made.key).await.is_some());
    let done = engine.gc(Duration::ZERO, false).await.unwrap();
    assert_eq!(done.results, vec![made.key.clone()]);
    assert!(engine.cached(&made.key).await.is_none());
    let no_store = Engine::builder()
        .provider(MockProvider::new())
        .build()
        .unwrap();
    assert_eq!(
        no_store.gc(Duration::ZERO, true).await.unwrap_err().code(),
        "config"
    );
}

#[tokio::test]
async fn nothing_but_the_inputs_and_output_options_changes_the_key() {
    let person = common::person(300, 400);
    let garment = common::garment(200, 200);
    let base = Engine::builder()
        .provider(MockProvider::new())
        .build()
        .unwrap();
    let key = base.try_on(request()).await.unwrap().key;

    // Other engine settings: retries, CPU workers, cache, store, limits (below the output cap).
    let mut config = EngineConfig::default();
    config.retry.max_attempts = 7;
    config.cpu_workers = 1;
    config.cache.memory_bytes = 1;
    config.cache.ttl = Duration::from_secs(5);
    config.limits.max_input_bytes = 10 * 1024 * 1024;
    let tuned = engine_with(
        Arc::new(MockProvider::new()),
        config,
        Some(ResultStore::in_memory()),
    );
    assert_eq!(tuned.try_on(request()).await.unwrap().key, key);

    // Other encodings of the same pixels.
    let webp = TryOnRequest::new(
        common::encode(&person, ImageFormat::WebP),
        common::encode(&garment, ImageFormat::WebP),
    );
    assert_eq!(base.try_on(webp).await.unwrap().key, key);

    // An output size past the cap is the capped size.
    let mut capped = EngineConfig::default();
    capped.limits.max_output_dimension = 512;
    let capped = engine_with(Arc::new(MockProvider::new()), capped, None);
    let big = TryOnOptions {
        output: fitview_engine::OutputOptions {
            long_edge: 4096,
            ..Default::default()
        },
        ..Default::default()
    };
    let exact = TryOnOptions {
        output: fitview_engine::OutputOptions {
            long_edge: 512,
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        capped
            .try_on(request().with_options(big))
            .await
            .unwrap()
            .key,
        capped
            .try_on(request().with_options(exact))
            .await
            .unwrap()
            .key
    );
}
