//! `fitview serve`: the storefront API server (the same as the `fitview-server` binary).

use anyhow::Context;
use fitview_engine::EngineConfig;

use crate::cli::ServeArgs;

/// Runs the server with the engine configuration loaded from `--config` / the environment until
/// Ctrl-C or SIGTERM, then finishes the accepted try-ons.
pub async fn run(config: EngineConfig, args: ServeArgs) -> anyhow::Result<()> {
    let server = args.into_config(config);
    fitview_server::run(server)
        .await
        .context("the server stopped with an error")
}
