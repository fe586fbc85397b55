//! `fitview-server`: the storefront API on its own (the same as `fitview serve`).

use anyhow::Context;
use clap::Parser;

/// FitView's storefront API server.
#[derive(Debug, Parser)]
#[command(name = "fitview-server", version, about)]
struct Cli {
    #[command(flatten)]
    serve: fitview_server::ServeArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FITVIEW_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = cli
        .serve
        .into_config(fitview_engine::EngineConfig::default());
    fitview_server::run(config)
        .await
        .context("the server stopped with an error")
}
