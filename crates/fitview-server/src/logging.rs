//! The log output of FitView's programs (`fitview` and `fitview-server`): to stderr, filtered by
//! `FITVIEW_LOG` when it is set, else by the program's default, coloured only on a terminal
//! (escape codes in a log file or a pipe are noise). A `FITVIEW_LOG` that does not parse is an
//! error that names it, not silently replaced by the default.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The variable that sets the filter (`fitview=debug,fitview_engine=trace`).
pub const LOG_VARIABLE: &str = "FITVIEW_LOG";

/// Sends logs to stderr, filtered by `FITVIEW_LOG` or else by `default_filter`.
pub fn init(default_filter: &str) -> Result<(), String> {
    let filter = match std::env::var_os(LOG_VARIABLE) {
        Some(value) => {
            let text = value
                .to_str()
                .ok_or_else(|| format!("{LOG_VARIABLE} is not valid UTF-8"))?;
            EnvFilter::builder()
                .parse(text)
                .map_err(|e| format!("{LOG_VARIABLE}={text:?} is not a valid log filter: {e}"))?
        }
        None => EnvFilter::new(default_filter),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    Ok(())
}
