//! One module per subcommand.

pub(crate) mod batch;
mod costs;
mod gc;
mod providers;
mod serve;
mod tryon;
mod variations;

use fitview_engine::{OutputFormat, OutputOptions};

use crate::cli::{Cli, Command, FormatArg, OutputArgs, StorageArgs};

/// Runs the chosen subcommand.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = crate::config::load(cli.config.as_deref())?;
    // A durable store by default where it cannot surprise: commands about one try-on and the
    // store's own maintenance. Others use one when asked (flag, FITVIEW_STORE, config file).
    let default_store = matches!(
        cli.command,
        Command::Tryon(_) | Command::Gc(_) | Command::Forget(_) | Command::Costs(_)
    );
    apply_storage_args(&mut config, &cli.storage, default_store);
    match cli.command {
        Command::Tryon(args) => tryon::run(config, args).await,
        Command::Variations(args) => variations::run(config, args).await,
        Command::Providers(args) => providers::run(config, args),
        Command::Costs(args) => costs::run(config, args).await,
        Command::Batch(args) => batch::run(config, args).await,
        Command::Gc(args) => gc::gc(config, args).await,
        Command::Forget(args) => gc::forget(config, args).await,
        Command::Serve(args) => serve::run(config, args).await,
    }
}

/// Builds output options from flags; `fallback_format` applies when no `--format` is given.
/// Reads a photo the user named and checks its header against the limits (bytes, format,
/// width, height, pixels), so a photo that cannot be used is refused before any work, with a
/// message saying which photo it is and where: `person photo big.png: image too large: width is
/// 9000, the limit is 8192`. `what` is the photo's role, `flag` the option that named it.
fn read_photo(
    what: &str,
    flag: &str,
    path: &std::path::Path,
    limits: &fitview_engine::Limits,
) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    let bytes = crate::input_file::read_bounded(flag, path, limits.max_input_bytes)?;
    fitview_engine::pipeline::probe(&bytes, limits)
        .with_context(|| format!("{what} {} ({flag})", path.display()))?;
    Ok(bytes)
}

fn output_options(args: &OutputArgs, fallback_format: OutputFormat) -> OutputOptions {
    let mut options = OutputOptions::default();
    if let Some(size) = args.size {
        options.long_edge = size;
    }
    options.format = match args.format {
        Some(FormatArg::Webp) => OutputFormat::Webp,
        Some(FormatArg::WebpLossless) => OutputFormat::WebpLossless,
        Some(FormatArg::Jpeg) => OutputFormat::Jpeg,
        Some(FormatArg::Png) => OutputFormat::Png,
        None => fallback_format,
    };
    if let Some(quality) = args.quality {
        options.quality = quality;
    }
    if let Some(widths) = &args.thumbnails {
        options.thumbnail_widths = widths.clone();
    }
    options.color_correct = args.color_correct;
    options.sharpen = !args.no_sharpen;
    options
}

/// Flags (and their variables) over the file's store and Redis settings; then the default
/// store directory if nothing named one and `default_store` holds.
fn apply_storage_args(
    config: &mut fitview_engine::EngineConfig,
    args: &StorageArgs,
    default_store: bool,
) {
    if let Some(store) = &args.store {
        config.store.url = Some(store.clone());
    }
    if config.store.url.is_none() && default_store {
        config.store.url = Some(fitview_engine::store::DEFAULT_DIR.to_owned());
    }
    if let Some(redis) = &args.redis {
        config.cache.redis_url = Some(redis.clone());
    }
}
