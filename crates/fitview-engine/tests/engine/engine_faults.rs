//! How the engine behaves when its provider fails: what is retried, what is not, and what the
//! caller sees. Time is paused, so waits are asserted without really waiting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use fitview_engine::provider::mock::{Fault, MockProvider};
use fitview_engine::{Engine, EngineConfig, Error, RetryPolicy, TryOnRequest};

use crate::common;

fn engine_with(mock: Arc<MockProvider>) -> Engine {
    let config = EngineConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(60),
        },
        ..EngineConfig::default()
    };
    Engine::builder()
        .config(config)
        .shared_provider(mock)
        .build()
        .unwrap()
}

fn request() -> TryOnRequest {
    TryOnRequest::new(common::person_png(300, 400), common::garment_png(200, 240))
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_not_retried() {
    let mock = Arc::new(MockProvider::new().with_faults([Fault::Refusal("IMAGE_SAFETY".into())]));
    let err = engine_with(mock.clone())
        .try_on(request())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ContentPolicy { reason } if reason == "IMAGE_SAFETY"),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(mock.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_is_retried_after_the_asked_delay() {
    let mock = Arc::new(
        MockProvider::new().with_faults([Fault::RateLimited(Some(Duration::from_secs(3)))]),
    );
    let started = tokio::time::Instant::now();
    let result = engine_with(mock.clone()).try_on(request()).await.unwrap();
    assert_eq!(mock.calls(), 2);
    assert_eq!(result.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "waited {:?}",
        started.elapsed()
    );
    assert!(result.timings.provider >= Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_hanging_provider_surfaces_as_a_timeout() {
    let mock = Arc::new(MockProvider::new().with_faults([Fault::Hang, Fault::Hang, Fault::Hang]));
    let err = engine_with(mock.clone())
        .try_on(request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after } if after == Duration::from_secs(10)),
        "{err}"
    );
    assert_eq!(mock.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn an_upstream_timeout_is_retried_and_can_recover() {
    let mock = Arc::new(MockProvider::new().with_faults([Fault::Timeout, Fault::ServerError]));
    let result = engine_with(mock.clone()).try_on(request()).await.unwrap();
    assert_eq!(result.attempts, 3);
    assert_eq!(mock.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn server_errors_give_up_after_the_last_attempt() {
    let mock =
        Arc::new(MockProvider::new().with_faults(std::iter::repeat_n(Fault::ServerError, 5)));
    let err = engine_with(mock.clone())
        .try_on(request())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err}");
    assert_eq!(mock.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn auth_and_malformed_responses_are_not_retried() {
    for (fault, code) in [
        (Fault::Auth, "auth"),
        (Fault::Malformed, "malformed_response"),
    ] {
        let mock = Arc::new(MockProvider::new().with_faults([fault]));
        let err = engine_with(mock.clone())
            .try_on(request())
            .await
            .unwrap_err();
        assert_eq!(err.code(), code);
        assert_eq!(mock.calls(), 1);
    }
}

#[tokio::test]
async fn bad_input_fails_before_any_provider_call() {
    let mock = Arc::new(MockProvider::new());
    let engine = engine_with(mock.clone());
    let empty = TryOnRequest::new(Vec::new(), common::garment_png(100, 100));
    assert_eq!(
        engine.try_on(empty).await.unwrap_err().code(),
        "invalid_input"
    );
    let text = TryOnRequest::new(
        b"hello, not an image".to_vec(),
        common::garment_png(100, 100),
    );
    let err = engine.try_on(text).await.unwrap_err();
    assert_eq!(err.code(), "unsupported_format");
    assert!(err.to_string().contains("person photo"), "{err}");
    assert_eq!(mock.calls(), 0);
}

/// Fallback chains: the next provider after a failure the policy moves on after.
mod chain;

/// The daily spend cap on recorded cost.
mod budget;
