//! Running the app on a socket, over plain HTTP or HTTPS, with graceful shutdown that finishes
//! accepted try-ons.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::config::ServerConfig;
use crate::state::{AppState, StartError};
use crate::tls::TlsListener;

/// Serves `state` over plain HTTP on `listener` until `shutdown` completes, then stops accepting
/// connections, lets open requests finish, and waits for every accepted try-on job.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    // Small responses go out at once instead of waiting for Nagle's algorithm.
    let listener = listener.tap_io(|tcp| set_nodelay(tcp));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    drain(&state, served).await
}

/// Like [`serve`], over HTTPS: every connection is a TLS session made with `tls` (see
/// [`crate::tls::server_config`]).
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let listener = TlsListener::new(listener, tls)?.tap_io(|tls| set_nodelay(tls.get_ref().0));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    drain(&state, served).await
}

fn set_nodelay(tcp: &tokio::net::TcpStream) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
}

/// After the listener has stopped: waits for the accepted try-ons.
async fn drain(state: &AppState, served: std::io::Result<()>) -> std::io::Result<()> {
    tracing::info!(
        queued = state.jobs.depth(),
        "shutting down: finishing accepted try-ons"
    );
    state.shutdown().await;
    served
}

/// Builds the state from `config`, binds `config.addr` and serves (HTTPS when `config.tls` is
/// set, plain HTTP otherwise) until Ctrl-C or SIGTERM.
pub async fn run(config: ServerConfig) -> Result<(), StartError> {
    let addr = config.addr;
    let tls = match &config.tls {
        Some(files) => Some(crate::tls::server_config(&files.cert, &files.key)?),
        None => None,
    };
    let state = AppState::new(config).await?;
    if state.config.demo && crate::demo::seed(&state).await.map_err(StartError::Demo)? {
        tracing::info!("seeded the demo shop");
    }
    let listener = TcpListener::bind(addr).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(addr = %listener.local_addr()?, scheme, "fitview server listening");
    match tls {
        Some(tls) => serve_tls(listener, tls, state, shutdown_signal()).await?,
        None => serve(listener, state, shutdown_signal()).await?,
    }
    Ok(())
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
