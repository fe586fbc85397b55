//! Running the app on a socket, with graceful shutdown that finishes accepted try-ons.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::config::ServerConfig;
use crate::state::{AppState, StartError};

/// Serves `state` on `listener` until `shutdown` completes, then stops accepting connections,
/// lets open requests finish, and waits for every accepted try-on job.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    tracing::info!(
        queued = state.jobs.depth(),
        "shutting down: finishing accepted try-ons"
    );
    state.shutdown().await;
    served
}

/// Builds the state from `config`, binds `config.addr` and serves until Ctrl-C or SIGTERM.
pub async fn run(config: ServerConfig) -> Result<(), StartError> {
    let addr = config.addr;
    let state = AppState::new(config).await?;
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "fitview server listening");
    serve(listener, state, shutdown_signal()).await?;
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
