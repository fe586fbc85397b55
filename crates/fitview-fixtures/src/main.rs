//! `fitview-fixtures [DIR]`: regenerates every fixture into DIR (default `fixtures`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("fixtures"), PathBuf::from);
    match fitview_fixtures::write_all(&dir) {
        Ok(paths) => {
            println!("wrote {} files under {}", paths.len(), dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fitview-fixtures: {e}");
            ExitCode::FAILURE
        }
    }
}
