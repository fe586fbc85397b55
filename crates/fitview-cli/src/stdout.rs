//! Writing to standard output. A reader that goes away (`fitview providers | head -1`) ends the
//! command quietly, as a closed pipe ends other command-line tools, instead of a panic.

use std::fmt;
use std::io::Write;

/// Standard output was closed by its reader; `main` exits quietly with success.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct Closed;

/// Writes one line to standard output; [`Closed`] when the reader has gone.
pub fn write_line(line: fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// `println!` that returns an error instead of panicking: `outln!("{x}")?`.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::stdout::write_line(format_args!($($arg)*))
    };
}
pub(crate) use outln;
