//! The shared layer against a real Redis (`FITVIEW_TEST_REDIS_URL`, started by `.ci/run`): engines
//! with separate memory (as separate processes) share hits and coalesce, deletion by input reaches
//! Redis, and the engine keeps working when Redis goes away and reconnects when it is back.
#![cfg(feature = "redis")]
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fitview_engine::provider::mock::MockProvider;
use fitview_engine::provider::{Capabilities, ProviderOutput, ProviderRequest, TryOnProvider};
use fitview_engine::{CacheStatus, Engine, EngineConfig, Result, TryOnOptions, TryOnRequest};
use tokio::sync::watch;

use crate::common;

fn redis_url() -> Option<String> {
    match std::env::var("FITVIEW_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("FITVIEW_TEST_REDIS_URL is not set in CI: see .ci/services/redis.sh")
        }
        _ => {
            eprintln!("skipped: FITVIEW_TEST_REDIS_URL is not set (bash .ci/services/redis.sh)");
            None
        }
    }
}

/// A key prefix of its own, so runs and tests never see each other's entries.
fn prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("fitview-test-{test}-{}-{nanos}", std::process::id())
}

fn config(url: &str, prefix: &str) -> EngineConfig {
    let mut config = EngineConfig::default();
    config.cache.redis_url = Some(url.to_owned());
    config.cache.key_prefix = prefix.to_owned();
    config.cache.poll_interval = Duration::from_millis(20);
    config.cache.redis_retry = Duration::from_millis(200);
    config
}

fn request() -> TryOnRequest {
    TryOnRequest::new(common::person_png(300, 400), common::garment_png(200, 200))
}

fn seeded(seed: u64) -> TryOnRequest {
    request().with_options(TryOnOptions {
        seed: Some(seed),
        ..TryOnOptions::default()
    })
}

/// A mock whose calls wait for a gate, and count.
#[derive(Debug)]
struct Gated {
    inner: MockProvider,
    gate: watch::Receiver<bool>,
    calls: AtomicU32,
}

#[async_trait::async_trait]
impl TryOnProvider for Gated {
    fn name(&self) -> &str {
        "mock"
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
        let _ = self.gate.clone().wait_for(|open| *open).await;
        self.inner.try_on(request).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_sharing_redis_make_one_provider_call() {
    let Some(url) = redis_url() else { return };
    let prefix = prefix("coalesce");
    let (open, gate) = watch::channel(false);
    let providers: Vec<Arc<Gated>> = (0..2)
        .map(|_| {
            Arc::new(Gated {
                inner: MockProvider::new(),
                gate: gate.clone(),
                calls: AtomicU32::new(0),
            })
        })
        .collect();
    let engines: Vec<Engine> = providers
        .iter()
        .map(|p| {
            Engine::builder()
                .config(config(&url, &prefix))
                .shared_provider(p.clone())
                .build()
                .unwrap()
        })
        .collect();
    let tasks: Vec<_> = engines
        .iter()
        .map(|e| {
            let e = e.clone();
            tokio::spawn(async move { e.try_on(request()).await })
        })
        .collect();
    // Until one engine holds the lock and calls its provider, and the other is waiting on it.
    for _ in 0..2000 {
        let calls: u32 = providers
            .iter()
            .map(|p| p.calls.load(Ordering::SeqCst))
            .sum();
        let requests =
            engines[0].cache_stats().await.requests + engines[1].cache_stats().await.requests;
        if calls >= 1 && requests >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    open.send(true).unwrap();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();

    let calls: u32 = providers
        .iter()
        .map(|p| p.calls.load(Ordering::SeqCst))
        .sum();
    assert_eq!(calls, 1, "one provider call across both engines");
    let mut statuses: Vec<CacheStatus> = results.iter().map(|r| r.cache).collect();
    statuses.sort_by_key(|s| format!("{s:?}"));
    assert!(
        statuses == [CacheStatus::Coalesced, CacheStatus::Miss]
            || statuses == [CacheStatus::HitShared, CacheStatus::Miss],
        "{statuses:?}"
    );
    assert_eq!(results[0].images[0].bytes, results[1].images[0].bytes);
}

#[tokio::test]
async fn a_second_engine_hits_redis_and_deletion_by_input_reaches_it() {
    let Some(url) = redis_url() else { return };
    let prefix = prefix("share");
    let make = || {
        Engine::builder()
            .config(config(&url, &prefix))
            .provider(MockProvider::new())
            .build()
            .unwrap()
    };
    let first = make();
    let made = first.try_on(request()).await.unwrap();
    assert_eq!(made.cache, CacheStatus::Miss);
    assert_eq!(first.cache_stats().await.shared.stored, 1);

    let second = make();
    let hit = second.try_on(request()).await.unwrap();
    assert_eq!(hit.cache, CacheStatus::HitShared);
    assert_eq!(hit.images[0].bytes, made.images[0].bytes);
    assert_eq!(second.cache_stats().await.shared.hits, 1);

    let third = make();
    let person = third
        .input_hash(common::person_png(300, 400).into())
        .await
        .unwrap();
    let report = third.delete_derived_from(&person, false).await.unwrap();
    assert_eq!(report.results, vec![made.key.clone()]);
    assert_eq!(
        third.try_on(request()).await.unwrap().cache,
        CacheStatus::Miss,
        "gone from Redis"
    );
}

/// A free port on loopback.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_redis(port: u16) -> Child {
    let server =
        std::env::var("FITVIEW_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
    let child = Command::new(server)
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server (installed by .ci/services/redis.sh)");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();
    panic!("redis-server did not start on port {port}");
}

#[tokio::test]
async fn the_engine_keeps_working_when_redis_goes_away_and_reconnects() {
    if redis_url().is_none() {
        return;
    }
    let port = free_port();
    let mut redis = start_redis(port);
    let url = format!("redis://127.0.0.1:{port}/");
    let engine = Engine::builder()
        .config(config(&url, &prefix("outage")))
        .provider(MockProvider::new())
        .build()
        .unwrap();
    assert_eq!(
        engine.try_on(seeded(1)).await.unwrap().cache,
        CacheStatus::Miss
    );
    let before = engine.cache_stats().await;
    assert_eq!(before.shared.stored, 1);
    assert_eq!(before.shared_available, Some(true));

    redis.kill().unwrap();
    redis.wait().unwrap();
    // New work and memory hits go on without Redis.
    assert_eq!(
        engine.try_on(seeded(2)).await.unwrap().cache,
        CacheStatus::Miss
    );
    assert_eq!(
        engine.try_on(seeded(1)).await.unwrap().cache,
        CacheStatus::HitMemory
    );
    let during = engine.cache_stats().await;
    assert!(during.shared.errors > 0, "{during:?}");
    assert_eq!(during.shared_available, Some(false));

    // Back again: after cache.redis_retry the engine reconnects and shares results again.
    let mut redis = start_redis(port);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        engine.try_on(seeded(3)).await.unwrap().cache,
        CacheStatus::Miss
    );
    let after = engine.cache_stats().await;
    assert_eq!(after.shared.stored, 2, "{after:?}");
    assert_eq!(after.shared_available, Some(true));
    redis.kill().unwrap();
    redis.wait().unwrap();
}
