//! `fitview-server`: the storefront API on its own (the same as `fitview serve`).

use anyhow::Context;
use clap::Parser;

/// FitView's storefront API server.
#[derive(Debug, Parser)]
#[command(name = "fitview-server", version, about)]
struct Cli {
    /// Result store: a directory, s3://bucket/prefix, gs://..., az://... (default: the data
    /// directory). The same as `fitview --store`.
    #[arg(long, env = "FITVIEW_STORE", value_name = "URL")]
    store: Option<String>,
    /// Redis shared by several servers (redis://host:6379/0): rate limits, browser sessions,
    /// job and catalog changes, and the engine's shared cache. The same as `fitview --redis`.
    #[arg(
        long = "redis-url",
        visible_alias = "redis",
        env = "FITVIEW_REDIS_URL",
        value_name = "URL"
    )]
    redis_url: Option<String>,
    /// Try-on provider (`draft`, `nano-banana`, `grok`, `mock`; see `fitview providers`).
    #[arg(long, env = "FITVIEW_PROVIDER", value_name = "NAME")]
    provider: Option<String>,
    /// How long each call of the `mock` provider takes, in milliseconds (demos and tests).
    #[arg(long, env = "FITVIEW_MOCK_LATENCY_MS", value_name = "MS")]
    mock_latency_ms: Option<u64>,
    #[command(flatten)]
    serve: fitview_server::ServeArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Err(problem) = fitview_server::logging::init("info") {
        eprintln!("fitview-server: {problem}");
        // The exit status of every other invalid setting (clap's).
        std::process::exit(2);
    }
    let mut engine = fitview_engine::EngineConfig::default();
    engine.store.url = cli.store;
    engine.cache.redis_url = cli.redis_url;
    if let Some(provider) = cli.provider {
        engine.provider = provider;
    }
    engine.provider_settings.mock_latency_ms = cli.mock_latency_ms;
    let config = cli.serve.into_config(engine);
    fitview_server::run(config)
        .await
        .context("the server stopped with an error")
}
