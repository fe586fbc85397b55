//! Running the app on a socket, over plain HTTP or HTTPS, with graceful shutdown that finishes
//! accepted try-ons.
//!
//! Connections are HTTP/1.1 served by hyper with a header-read timeout
//! ([`ServerLimits::header_read_timeout`](crate::config::ServerLimits)): a client that never
//! finishes its headers, or connects and sends nothing, or keeps an idle connection, is closed
//! after it. At most [`ServerLimits::max_connections_per_ip`](crate::config::ServerLimits)
//! connections are open at once from one IP ([`crate::connections`]).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::serve::{Listener, ListenerExt};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::config::ServerConfig;
use crate::connections::PerIpConnections;
use crate::state::{AppState, StartError};
use crate::tls::TlsListener;

/// Serves `state` over plain HTTP on `listener` until `shutdown` completes, then stops accepting
/// connections, lets open requests finish, and waits for every accepted try-on job.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Small responses go out at once instead of waiting for Nagle's algorithm.
    let listener = listener.tap_io(|tcp| set_nodelay(tcp));
    serve_connections(listener, &state, shutdown).await;
    drain(&state).await;
    Ok(())
}

/// Like [`serve`], over HTTPS: every connection is a TLS session made with `tls` (see
/// [`crate::tls::server_config`]).
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TlsListener::new(listener, tls)?.tap_io(|tls| set_nodelay(tls.get_ref().0));
    serve_connections(listener, &state, shutdown).await;
    drain(&state).await;
    Ok(())
}

/// Accepts connections until `shutdown`, then asks each to finish its request and waits for
/// them all.
async fn serve_connections<L>(
    mut listener: L,
    state: &AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    L: Listener<Addr = SocketAddr>,
{
    let app = crate::app(state.clone());
    let limits = &state.config.limits;
    let per_ip = PerIpConnections::new(limits.max_connections_per_ip);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    // `stop` tells the connections to finish; `open` is held by every connection.
    let (stop, stopping) = watch::channel(());
    let (open, open_held) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (io, addr) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let Some(claim) = per_ip.claim(addr.ip()) else {
            tracing::debug!(ip = %addr.ip(), "too many connections from this IP; closed");
            continue;
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(addr));
            app.clone().oneshot(request)
        });
        let connection = http.serve_connection(TokioIo::new(io), service);
        let mut stopping = stopping.clone();
        let held = open_held.clone();
        tokio::spawn(async move {
            let mut connection = pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = served {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop((claim, held));
        });
    }
    drop(listener);
    // Status streams would keep their connections open until their jobs end.
    state.jobs.events().close();
    let _ = stop.send(());
    drop(open_held);
    open.closed().await;
}

fn set_nodelay(tcp: &tokio::net::TcpStream) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
}

/// After the listener has stopped: waits for the accepted try-ons.
async fn drain(state: &AppState) {
    tracing::info!("shutting down: finishing the try-ons being made; queued ones stay queued");
    state.shutdown().await;
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
