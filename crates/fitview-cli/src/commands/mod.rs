//! One module per subcommand.

mod providers;
mod tryon;
mod variations;

use fitview_engine::{OutputFormat, OutputOptions};

use crate::cli::{Cli, Command, FormatArg, OutputArgs};

/// Runs the chosen subcommand.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = crate::config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Tryon(args) => tryon::run(config, args).await,
        Command::Variations(args) => variations::run(config, args).await,
        Command::Providers(args) => providers::run(config, args),
    }
}

/// Builds output options from flags; `fallback_format` applies when no `--format` is given.
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
