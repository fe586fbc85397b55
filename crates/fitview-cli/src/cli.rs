//! Command-line flags, parsed into a raw form; commands turn them into engine objects.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// FitView: put a garment on a person's photo.
#[derive(Debug, Parser)]
#[command(name = "fitview", version, about, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug); FITVIEW_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Configuration file (TOML); FITVIEW_* variables and flags override it.
    #[arg(long, global = true, env = "FITVIEW_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where results are kept and reused.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Dress a person in a garment and write the image (and thumbnails beside it).
    Tryon(TryonArgs),
    /// Make style variations (scene, colour, background) of a finished try-on image.
    Variations(VariationsArgs),
    /// List the providers, their models and capabilities.
    Providers(ProvidersArgs),
    /// What provider calls cost: the spend ledger per day, provider and model.
    Costs(CostsArgs),
    /// Delete stored results older than a given age (and partial writes, kept uploads).
    Gc(GcArgs),
    /// Delete every stored result made from given photos, and the kept photos (erasure requests).
    Forget(ForgetArgs),
    /// Generate a whole catalog (models × products) from a manifest, resumably, with a report
    /// and an HTML gallery.
    Batch(BatchArgs),
    /// Serve the storefront API (accounts, catalog, try-on jobs) over HTTP.
    Serve(ServeArgs),
}

/// `fitview serve` flags (shared with the `fitview-server` binary).
pub use fitview_server::ServeArgs;

/// Result store and shared cache, for every command.
#[derive(Debug, Args)]
pub struct StorageArgs {
    /// Result store: a directory, memory://, s3://bucket/prefix, gs://..., az://... or `none`
    /// (default for tryon, gc and forget: .fitview/store under the current directory).
    #[arg(long, global = true, env = "FITVIEW_STORE", value_name = "URL")]
    pub store: Option<String>,
    /// Redis shared by several processes (redis://host:6379/0).
    #[arg(long, global = true, env = "FITVIEW_REDIS_URL", value_name = "URL")]
    pub redis: Option<String>,
}

/// `fitview gc`
#[derive(Debug, Args)]
pub struct GcArgs {
    /// Delete results older than this: a number and a unit, s, m, h, d or w (e.g. 90d).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub older_than: std::time::Duration,
    /// Only report what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON report.
    #[arg(long)]
    pub json: bool,
}

/// `fitview costs`
#[derive(Debug, Args)]
pub struct CostsArgs {
    /// First day to show (UTC, YYYY-MM-DD), inclusive.
    #[arg(long, value_name = "DAY", value_parser = parse_day)]
    pub from: Option<String>,
    /// Last day to show (UTC, YYYY-MM-DD), inclusive.
    #[arg(long, value_name = "DAY", value_parser = parse_day)]
    pub to: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Parses a day as the ledger names days: `2026-12-04`.
pub fn parse_day(text: &str) -> Result<String, String> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('-').collect();
    let number = |part: &str, len: usize| {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    match parts.as_slice() {
        [y, m, d]
            if number(y, 4).is_some()
                && number(m, 2).is_some_and(|m| (1..=12).contains(&m))
                && number(d, 2).is_some_and(|d| (1..=31).contains(&d)) =>
        {
            Ok(text.to_owned())
        }
        _ => Err(format!("`{text}` is not a day like 2026-12-04")),
    }
}

/// `fitview forget`
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("inputs").required(true).multiple(true))]
pub struct ForgetArgs {
    /// A photo (person or garment) whose derived results are deleted; repeatable.
    #[arg(long, alias = "person", value_name = "PATH", group = "inputs")]
    pub photo: Vec<PathBuf>,
    /// An input hash (from a result's sidecar) instead of the photo; repeatable.
    #[arg(long, value_name = "HASH", group = "inputs")]
    pub hash: Vec<String>,
    /// Only report what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON report.
    #[arg(long)]
    pub json: bool,
}

/// Parses an age such as `90d`, `12h`, `30m`, `45s`, `2w` (or `0`).
pub fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an age like 90d, 12h or 30m"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "`{text}`: the unit must be s, m, h, d or w (e.g. 90d)"
            ));
        }
    };
    number
        .checked_mul(seconds)
        .filter(|&secs| secs <= MAX_AGE_SECS)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long (at most 36500d, a hundred years)"))
}

/// The longest age `parse_age` accepts: older than that is older than any stored result.
const MAX_AGE_SECS: u64 = 36_500 * 86_400;

/// Parses a number of seconds for an estimate: finite, not negative, at most a day.
pub fn parse_latency(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(0.0..=86_400.0).contains(&secs) {
        return Err(format!(
            "`{text}`: give a number of seconds from 0 to 86400"
        ));
    }
    Ok(secs)
}

/// Parses an amount of US dollars: finite and not negative.
pub fn parse_usd(text: &str) -> Result<f64, String> {
    let usd: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not an amount of US dollars"))?;
    if !usd.is_finite() || usd < 0.0 {
        return Err(format!("`{text}`: give an amount of 0 or more US dollars"));
    }
    Ok(usd)
}

/// Provider choice shared by commands that call one.
#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// Provider name (see `fitview providers`).
    #[arg(long, env = "FITVIEW_PROVIDER")]
    pub provider: Option<String>,
    /// Model id to use instead of the provider's default.
    #[arg(long, env = "FITVIEW_MODEL")]
    pub model: Option<String>,
    /// Base URL of the provider's API (a proxy or a local fake).
    #[arg(long, env = "FITVIEW_BASE_URL")]
    pub base_url: Option<String>,
}

/// Output encoding choice shared by commands that write images.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Longer side of the output in pixels (the person photo's aspect is kept).
    #[arg(long, value_name = "PIXELS")]
    pub size: Option<u32>,
    /// Image format; default from --out's extension, else webp.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Encoder quality 1-100 (lossy formats).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: Option<u8>,
    /// Thumbnail widths, comma-separated (default 256,512; empty for none).
    #[arg(long, value_delimiter = ',', num_args = 0..)]
    pub thumbnails: Option<Vec<u32>>,
    /// Apply automatic white balance to the result.
    #[arg(long)]
    pub color_correct: bool,
    /// Skip the light sharpening of the result.
    #[arg(long)]
    pub no_sharpen: bool,
    /// Print a JSON object instead of the one-line summary.
    #[arg(long)]
    pub json: bool,
}

/// `fitview tryon`
#[derive(Debug, Args)]
pub struct TryonArgs {
    /// Photo of the person (JPEG, PNG or WebP).
    #[arg(long, value_name = "PATH")]
    pub person: PathBuf,
    /// Product photo of the garment (JPEG, PNG or WebP).
    #[arg(long, value_name = "PATH")]
    pub garment: PathBuf,
    /// Where the garment goes.
    #[arg(long, value_enum, default_value_t = CategoryArg::Auto)]
    pub category: CategoryArg,
    /// The person's body landmarks (JSON, in the photo's pixels); override the provider's estimates.
    #[arg(long, value_name = "PATH")]
    pub landmarks: Option<PathBuf>,
    /// Output file; thumbnails are written beside it (`NAME.256.EXT`).
    #[arg(long, short, value_name = "PATH", default_value = "tryon.webp")]
    pub out: PathBuf,
    /// Seed, for providers that support one.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of alternative images.
    #[arg(long, default_value_t = 1)]
    pub samples: u8,
    #[command(flatten)]
    pub mode: QualityArgs,
    #[command(flatten)]
    pub provider: ProviderArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The quality mode, shared by the commands that make try-ons.
#[derive(Debug, Args)]
pub struct QualityArgs {
    /// Quality mode, the speed/quality trade-off: each provider maps it to a model or
    /// setting, priced per mode (see `fitview providers`). (`--quality` is the encoder's.)
    #[arg(long, value_enum, default_value_t = QualityArg::Fast)]
    pub mode: QualityArg,
    /// The same as --mode best.
    #[arg(long, conflicts_with = "mode")]
    pub best: bool,
}

impl QualityArgs {
    /// The mode the flags choose.
    pub fn mode(&self) -> fitview_engine::QualityMode {
        use fitview_engine::QualityMode;
        if self.best {
            return QualityMode::Best;
        }
        match self.mode {
            QualityArg::Fast => QualityMode::Fast,
            QualityArg::Balanced => QualityMode::Balanced,
            QualityArg::Best => QualityMode::Best,
        }
    }
}

/// Quality mode flag.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum QualityArg {
    /// The fastest, cheapest model or setting (default).
    Fast,
    /// The middle one.
    Balanced,
    /// The best, slower and dearer (`quality` is its earlier name).
    #[value(alias = "quality")]
    Best,
}

/// `fitview variations`
#[derive(Debug, Args)]
pub struct VariationsArgs {
    /// The finished try-on image.
    #[arg(long, value_name = "PATH")]
    pub input: PathBuf,
    /// Scene styles to make (repeatable).
    #[arg(long, value_enum)]
    pub style: Vec<SceneArg>,
    /// Colour variants of the garment (repeatable), e.g. `navy` or `#1f3a5f`.
    #[arg(long, value_name = "COLOUR")]
    pub color: Vec<String>,
    /// A new background, described in words (repeatable).
    #[arg(long, value_name = "DESCRIPTION")]
    pub background: Vec<String>,
    /// Variations per style.
    #[arg(long, default_value_t = 1)]
    pub samples: u8,
    /// Output directory.
    #[arg(long, short, value_name = "DIR", default_value = "variations")]
    pub out: PathBuf,
    #[command(flatten)]
    pub provider: ProviderArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fitview batch`
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The catalog manifest (TOML or JSON; see docs/batch.md).
    #[arg(value_name = "MANIFEST")]
    pub manifest: PathBuf,
    /// Output directory: images, journal.jsonl, report.json, index.html.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Provider calls in flight at once (the next items are prepared meanwhile).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Provider calls started per minute, at most.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rpm: Option<u32>,
    /// Show what would be generated, how many calls, expected cost and time; call nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Generate at most this many items in this run.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Most US dollars the batch may spend in this output directory, earlier runs included:
    /// counted from what each call really cost (recorded in the journal), and a call is not
    /// started when its price would pass it. Raise it and run again to resume.
    #[arg(long, value_name = "USD", value_parser = parse_usd)]
    pub max_cost: Option<f64>,
    /// Seconds one provider call is assumed to take, for --dry-run's time estimate.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_latency)]
    pub assume_latency: f64,
    #[command(flatten)]
    pub mode: QualityArgs,
    #[command(flatten)]
    pub provider: ProviderArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `fitview providers`
#[derive(Debug, Args)]
pub struct ProvidersArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Garment category flag.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CategoryArg {
    /// Shirts, t-shirts, jackets.
    Top,
    /// Trousers, skirts, shorts.
    Bottom,
    /// Dresses, jumpsuits.
    OnePiece,
    /// Saree (drape, pleats, pallu).
    Saree,
    /// Lehenga skirt.
    Lehenga,
    /// Salwar kameez (tunic over trousers).
    SalwarKameez,
    /// Kurta (long tunic).
    Kurta,
    /// Dupatta (long scarf).
    Dupatta,
    /// Let the provider decide.
    Auto,
}

/// Output format flag.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Lossy WebP.
    Webp,
    /// Lossless WebP.
    WebpLossless,
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
}

/// Scene style flag.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SceneArg {
    /// Relaxed everyday scene.
    Casual,
    /// Office or evening-formal scene.
    Formal,
    /// Party scene.
    Party,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ages_take_a_unit() {
        assert_eq!(parse_age("90d").unwrap().as_secs(), 90 * 86_400);
        assert_eq!(parse_age("12h").unwrap().as_secs(), 12 * 3600);
        assert_eq!(parse_age("0").unwrap().as_secs(), 0);
        assert_eq!(parse_age("0s").unwrap().as_secs(), 0);
        assert!(parse_age("90").unwrap_err().contains("unit"));
        assert!(parse_age("d").is_err());
        assert!(parse_age("99999999999999999w").is_err());
        assert!(parse_age("100000000d").unwrap_err().contains("too long"));
        assert_eq!(parse_age("36500d").unwrap().as_secs(), MAX_AGE_SECS);
    }

    #[test]
    fn estimates_and_budgets_are_finite() {
        assert_eq!(parse_latency("2.5"), Ok(2.5));
        for bad in ["inf", "1e300", "-1", "NaN", "x"] {
            assert!(parse_latency(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_day("2026-12-04"), Ok("2026-12-04".to_owned()));
        for bad in [
            "2026-13-01",
            "2026-1-01",
            "26-12-04",
            "yesterday",
            "2026-12-32",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_usd("0"), Ok(0.0));
        for bad in ["nan", "inf", "-0.5", "x"] {
            assert!(parse_usd(bad).is_err(), "{bad}");
        }
    }
}
