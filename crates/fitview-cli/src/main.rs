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

/// Logs go to stderr (see `fitview_server::logging`), filtered by `FITVIEW_LOG` when it is set,
/// else by `-v`.
fn init_logging(verbose: u8) -> Result<(), String> {
    fitview_server::logging::init(match verbose {
        0 => "fitview=warn",
        1 => "fitview=info,fitview_engine=info",
        _ => "fitview=debug,fitview_engine=debug",
    })
}
