//! One batch per output directory at a time: an OS lock on `OUT/.lock`, held for the whole run.
//!
//! Two runs on the same `--out` would both generate every item (every provider call paid twice)
//! and interleave their journal lines. The lock is the operating system's (`flock`), so a run
//! killed in any way (kill -9, power loss) leaves no stale lock: the next run takes it over.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::input_file::read_bounded;

/// The lock file's name in the output directory.
pub const FILE_NAME: &str = ".lock";

/// The output directory is in use, or its lock file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds the lock.
    #[error(
        "{} is in use by another `fitview batch`{}; wait for it to finish or give another --out",
        dir.display(),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    InUse {
        /// The output directory.
        dir: PathBuf,
        /// The other run's process id, as it wrote it.
        pid: Option<u32>,
    },
    /// The lock file cannot be opened, locked or written.
    #[error("cannot lock {}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

/// The held lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct OutputLock {
    _file: File,
}

/// Takes the lock of the output directory `dir` (which must exist), or says who holds it.
pub fn lock(dir: &Path) -> Result<OutputLock, LockError> {
    let path = dir.join(FILE_NAME);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    // Not truncated on open: the holder's pid stays readable for the message.
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let pid = read_bounded("lock file", &path, 64)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| text.trim().parse().ok());
            return Err(LockError::InUse {
                dir: dir.to_owned(),
                pid,
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    Ok(OutputLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        let err = lock(dir.path()).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, LockError::InUse { pid: Some(p), .. } if p == std::process::id()));
        assert!(message.contains("another `fitview batch`"), "{message}");
        drop(held);
        lock(dir.path()).unwrap();
    }
}
