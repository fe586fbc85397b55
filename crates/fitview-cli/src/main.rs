//! `fitview`: virtual try-on from the command line.

mod cli;
mod commands;
mod config;
mod exit;
mod input_file;
mod output;
mod stdout;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if let Err(problem) = init_logging(cli.verbose) {
        eprintln!("fitview: {problem}");
        return ExitCode::from(exit::CONFIG);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("fitview: cannot start the async runtime: {err}");
            return ExitCode::from(exit::INTERNAL);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped reading (`| head -1`) got what it wanted.
        Err(err) if err.chain().any(|e| e.is::<stdout::Closed>()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("fitview: {err:#}");
            ExitCode::from(exit::code_for(&err))
        }
    }
}

/// Logs go to stderr, filtered by `FITVIEW_LOG` when it is set (else by `-v`), coloured only on
/// a terminal: escape codes in a log file or a pipe are noise. A `FITVIEW_LOG` that does not parse
/// is an error, not silently replaced by the default.
fn init_logging(verbose: u8) -> Result<(), String> {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;

    let filter = match std::env::var_os(LOG_VARIABLE) {
        Some(value) => {
            let text = value
                .to_str()
                .ok_or_else(|| format!("{LOG_VARIABLE} is not valid UTF-8"))?;
            EnvFilter::builder()
                .parse(text)
                .map_err(|e| format!("{LOG_VARIABLE}={text:?} is not a valid log filter: {e}"))?
        }
        None => EnvFilter::new(match verbose {
            0 => "fitview=warn",
            1 => "fitview=info,fitview_engine=info",
            _ => "fitview=debug,fitview_engine=debug",
        }),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    Ok(())
}

/// The variable that overrides `-v` with a `tracing` filter (`fitview=debug,fitview_engine=trace`).
const LOG_VARIABLE: &str = "FITVIEW_LOG";
