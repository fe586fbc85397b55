//! A graceful shutdown flushes the buffer: a restarted server counts every event accepted.

use std::sync::atomic::Ordering;
use std::time::Duration;

use fitview_server::AppState;
use serde_json::json;

use super::shop::{Shop, figures, id, product_counts, send_ok};
use super::truth::tweak;
use crate::common::{Db, TestServer, mock_engine, test_state};

async fn serve(
    state: AppState,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(fitview_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    (base, stop, serving)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn a_graceful_restart_loses_no_buffered_event(db: Db) {
    let (state, dir) = test_state(db, mock_engine(), tweak).await;
    let config = state.config.clone();
    let (base, stop, serving) = serve(state.clone()).await;
    let server = TestServer::new(base, client(), state, dir);
    let shop = Shop::open(&server).await;
    let (shopper, _, _) = server.register("customer").await;
    let views: Vec<_> = (0..42)
        .map(|_| json!({"id": id(), "type": "product_viewed", "product_id": shop.products[1]}))
        .collect();
    // Fewer than 100 events and an hour between flushes: all of them wait in the buffer.
    for chunk in views.chunks(21) {
        send_ok(&server, &shopper, chunk.to_vec()).await;
    }
    let counters = &server.state.metrics.analytics;
    assert_eq!(counters.written.load(Ordering::Relaxed), 0);
    assert_eq!(counters.buffered.load(Ordering::Relaxed), 42);

    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
    assert_eq!(counters.written.load(Ordering::Relaxed), 42);

    // A new process on the same database (the data directory stays with the first server).
    let restarted = AppState::with_engine(config, mock_engine()).await.unwrap();
    let (base, _stop, _serving) = serve(restarted.clone()).await;
    let second = TestServer::new(base, client(), restarted, tempfile::tempdir().unwrap());
    let products = product_counts(&figures(&second, &shop.retailer, "products").await);
    assert_eq!(products[shop.products[1].as_str()], [42, 0, 0, 0, 0]);
}

crate::common::on_both_databases!(a_graceful_restart_loses_no_buffered_event);
