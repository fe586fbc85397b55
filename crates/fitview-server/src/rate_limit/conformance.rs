//! The shared conformance suite of rate limits: every implementation (memory, Redis) runs the
//! same scenarios, so they limit the same way. Each scenario gets a fresh limit from `make`
//! (events per minute → limit) and uses keys of its own. No scenario measures time: the limits
//! are chosen so that a whole scenario runs well within one interval.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use super::RateLimit;

/// Runs every scenario.
pub async fn run_all<L: RateLimit>(make: &impl Fn(u32) -> L) {
    the_burst_then_a_refusal_with_the_wait(&make(5)).await;
    keys_are_independent(&make(1)).await;
    zero_means_one(&make(0)).await;
    concurrent_events_are_each_counted_once(&make(10)).await;
}

/// `n` events pass, the next is refused with a wait of at most one interval.
pub async fn the_burst_then_a_refusal_with_the_wait(limit: &impl RateLimit) {
    for i in 0..5 {
        limit
            .acquire("burst")
            .await
            .unwrap_or_else(|w| panic!("event {i} refused ({w:?})"));
    }
    let wait = limit.acquire("burst").await.unwrap_err();
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(12),
        "{wait:?}"
    );
    // A refused event is not counted: the next is refused with no longer a wait.
    let again = limit.acquire("burst").await.unwrap_err();
    assert!(again <= wait, "{again:?} > {wait:?}");
}

/// Every key has its own budget.
pub async fn keys_are_independent(limit: &impl RateLimit) {
    for i in 0..20 {
        limit.acquire(&format!("key-{i}")).await.unwrap();
    }
    assert!(limit.acquire("key-7").await.is_err());
    // Keys are opaque: separators and addresses are fine.
    limit.acquire("127.0.0.1|someone@shop.test").await.unwrap();
    assert!(limit.acquire("127.0.0.1|someone@shop.test").await.is_err());
}

/// A limit of 0 per minute allows one event per minute.
pub async fn zero_means_one(limit: &impl RateLimit) {
    limit.acquire("zero").await.unwrap();
    let wait = limit.acquire("zero").await.unwrap_err();
    assert!(wait <= Duration::from_secs(60), "{wait:?}");
}

/// Events racing for one key are counted atomically: exactly the burst passes.
pub async fn concurrent_events_are_each_counted_once(limit: &impl RateLimit) {
    let results = futures::future::join_all((0..30).map(|_| limit.acquire("race"))).await;
    let passed = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(passed, 10, "{results:?}");
}
