//! Reading a file the user named (a flag, a variable, a manifest entry): regular files only, and
//! never more than a limit.
//!
//! Every path the CLI opens for input goes through [`read_bounded`], so `--person /dev/zero`, a
//! FIFO or a directory is refused at once with a message naming the file, and a file that is (or
//! grows) larger than its limit is refused after reading at most one byte past the limit.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Most bytes of a text file the CLI reads: manifests and product CSVs.
pub const MAX_TEXT_BYTES: u64 = 64 * 1024 * 1024;
/// Most bytes of a small text file: the configuration file and landmarks JSON.
pub const MAX_SMALL_TEXT_BYTES: u64 = 1024 * 1024;

/// An input file that cannot be used; the message names what it is for and the file.
#[derive(Debug)]
pub struct InputFileError {
    /// What the file is for: the flag that named it (`--person`) or a description.
    pub what: String,
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: InputFileProblem,
}

/// Why an input file cannot be used.
#[derive(Debug)]
pub enum InputFileProblem {
    /// Opening, inspecting or reading it failed.
    Io(std::io::Error),
    /// It is not a regular file; names what it is instead ("a directory", "a FIFO").
    NotRegular(&'static str),
    /// It holds more bytes than the limit (`size` when known from its metadata).
    TooLarge {
        /// Its size, when the file system knows it.
        size: Option<u64>,
        /// The limit.
        limit: u64,
    },
}

/// Reads the regular file at `path` whole, refusing anything else and anything over `limit`
/// bytes. `what` names the file in errors (`--person`, `config file`).
pub fn read_bounded(what: &str, path: &Path, limit: u64) -> Result<Vec<u8>, InputFileError> {
    let fail = |problem| InputFileError {
        what: what.to_owned(),
        path: path.to_owned(),
        problem,
    };
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    let metadata = std::fs::metadata(path).map_err(|e| fail(InputFileProblem::Io(e)))?;
    check_metadata(&metadata, limit).map_err(fail)?;
    let file = std::fs::File::open(path).map_err(|e| fail(InputFileProblem::Io(e)))?;
    // The path may have been swapped between the check and the open: check what was opened.
    let opened = file.metadata().map_err(|e| fail(InputFileProblem::Io(e)))?;
    check_metadata(&opened, limit).map_err(fail)?;
    let capacity = usize::try_from(opened.len().min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| fail(InputFileProblem::Io(e)))?;
    if bytes.len() as u64 > limit {
        return Err(fail(InputFileProblem::TooLarge { size: None, limit }));
    }
    Ok(bytes)
}

/// [`read_bounded`] for text: the bytes must be UTF-8 (a leading byte-order mark, as
/// spreadsheets write one, is dropped).
pub fn read_text_bounded(what: &str, path: &Path, limit: u64) -> Result<String, InputFileError> {
    let mut bytes = read_bounded(what, path, limit)?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| InputFileError {
        what: what.to_owned(),
        path: path.to_owned(),
        problem: InputFileProblem::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )),
    })
}

fn check_metadata(metadata: &std::fs::Metadata, limit: u64) -> Result<(), InputFileProblem> {
    let kind = metadata.file_type();
    if !kind.is_file() {
        return Err(InputFileProblem::NotRegular(describe(kind)));
    }
    if metadata.len() > limit {
        return Err(InputFileProblem::TooLarge {
            size: Some(metadata.len()),
            limit,
        });
    }
    Ok(())
}

/// What a file that is not a regular file is.
fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

impl InputFileProblem {
    /// The problem in a few words, as it follows the file's name.
    pub fn describe(&self) -> String {
        match self {
            InputFileProblem::Io(e) => match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_owned(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
                std::io::ErrorKind::IsADirectory => "is a directory, not a file".to_owned(),
                _ => e.to_string(),
            },
            InputFileProblem::NotRegular(kind) => format!("is {kind}, not a regular file"),
            InputFileProblem::TooLarge { size, limit } => match size {
                Some(size) => format!("{size} bytes, larger than the {limit}-byte limit"),
                None => format!("larger than the {limit}-byte limit"),
            },
        }
    }
}

impl fmt::Display for InputFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.what,
            self.path.display(),
            self.problem.describe()
        )
    }
}

impl std::error::Error for InputFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            InputFileProblem::Io(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_within_the_limit_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"hello").unwrap();
        assert_eq!(read_bounded("--x", &path, 5).unwrap(), b"hello");
        let err = read_bounded("--x", &path, 4).unwrap_err();
        assert!(matches!(
            err.problem,
            InputFileProblem::TooLarge {
                size: Some(5),
                limit: 4
            }
        ));
        assert!(err.to_string().starts_with("--x "), "{err}");
    }

    #[test]
    fn directories_devices_and_fifos_are_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_bounded("--person", dir.path(), 10).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        // Reading /dev/zero would never end; refused from its metadata.
        let err = read_bounded("--person", Path::new("/dev/zero"), 10).unwrap_err();
        assert!(err.to_string().contains("a device"), "{err}");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Opening a FIFO with no writer would block forever.
        let err = read_bounded("--person", &fifo, 10).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
    }

    #[test]
    fn files_that_report_no_size_are_still_cut_at_the_limit() {
        // procfs files report size 0 whatever they hold.
        let path = Path::new("/proc/self/status");
        let err = read_bounded("--x", path, 8).unwrap_err();
        assert!(matches!(
            err.problem,
            InputFileProblem::TooLarge { size: None, .. }
        ));
    }

    #[test]
    fn text_must_be_utf8_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.csv");
        std::fs::write(&path, b"sku,name\nA,caf\xe9\n").unwrap();
        let err = read_text_bounded("product CSV", &path, 100).unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
        assert!(err.to_string().contains("offset 14"), "{err}");
        std::fs::write(&path, b"\xEF\xBB\xBFsku\n").unwrap();
        assert_eq!(
            read_text_bounded("product CSV", &path, 100).unwrap(),
            "sku\n"
        );
    }
}
