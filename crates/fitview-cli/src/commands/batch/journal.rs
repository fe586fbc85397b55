//! The batch journal: one JSON line per finished item, appended and fsync'd before the item is
//! counted, so a run killed at any moment (Ctrl-C, kill -9, power loss) resumes without losing
//! or repeating finished work. A line torn by a kill (even inside a multi-byte character) or
//! otherwise damaged is ignored when read back: the journal is read as bytes, line by line, so one
//! bad line never hides the others. Items that finish
//! together are written with one write and one fsync (a group commit): an fsync costs
//! milliseconds, and at high concurrency dozens of items finish within one.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use fitview_engine::validate::check_names;
use fitview_engine::{CacheStatus, Check};
use serde::{Deserialize, Serialize};

/// The journal's file name in the output directory.
pub const FILE_NAME: &str = "journal.jsonl";

/// How an item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its images are written.
    Done,
    /// Its images are written, but at least one failed the engine's quality checks (blank, wrong
    /// size, another person, no garment): kept for review, never counted as done, so a rerun
    /// makes it again.
    Flagged,
    /// It failed; a rerun tries it again.
    Failed,
}

/// A written image that failed quality checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlaggedFile {
    /// The image, relative to the output directory.
    pub file: String,
    /// The checks it failed, with the measured values.
    pub failed_checks: Vec<Check>,
}

/// Why an item failed, by the engine's stable error code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemError {
    /// The engine's error code (`auth`, `content_policy`, ...), or `io` for local files.
    pub code: String,
    /// The message.
    pub message: String,
}

/// One finished item, as journaled and reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Model id.
    pub model: String,
    /// Product SKU.
    pub sku: String,
    /// The plan fingerprint the item was made for.
    pub fingerprint: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Where the images came from (absent on failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheStatus>,
    /// The engine's content key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Provider and model id that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Provider attempts (retries included), variations included.
    #[serde(default)]
    pub attempts: u32,
    /// The engine's stage timings of the try-on, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<serde_json::Value>,
    /// Wall time of the whole item (try-on, variations, writes), in milliseconds.
    pub elapsed_ms: u64,
    /// Estimated cost in US dollars.
    #[serde(default)]
    pub cost_usd: f64,
    /// Written images, relative to the output directory: the try-on first, then variations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// The try-on's smallest thumbnail, relative to the output directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// The written images that failed quality checks (the item is then `flagged`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flagged: Vec<FlaggedFile>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
    /// When it finished, in seconds since the Unix epoch.
    pub finished_at: u64,
}

impl Record {
    /// Why the item is not simply done, in one line: the error, or the quality checks its images
    /// failed; `None` for a good item.
    pub fn reason(&self) -> Option<String> {
        if let Some(error) = &self.error {
            return Some(format!("{}: {}", error.code, error.message));
        }
        let names = check_names(self.flagged.iter().flat_map(|f| &f.failed_checks));
        (!names.is_empty()).then(|| format!("failed quality checks: {names}"))
    }
}

/// A journal that cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("journal {}: {source}", path.display())]
pub struct JournalError {
    /// The journal file.
    pub path: PathBuf,
    /// What failed.
    #[source]
    pub source: std::io::Error,
}

/// What a journal holds: the latest record of each `model/sku`.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Latest record per slot.
    pub latest: HashMap<String, Record>,
    /// Lines that could not be read (a torn last line after a kill, or damage).
    pub unreadable: usize,
    /// What every journaled item cost, in US dollars, over all runs (an item made twice
    /// counts twice): the spend `--max-cost` counts.
    pub spent_usd: f64,
}

impl Loaded {
    /// Forgets the records whose images are no longer all in `out` (deleted or moved since), so
    /// their items count as not done: made again by the run, `not_run` in the report, never
    /// pointing at missing files. Returns how many were forgotten.
    pub fn forget_missing_outputs(&mut self, out: &Path) -> usize {
        let before = self.latest.len();
        self.latest.retain(|_, record| {
            record
                .files
                .iter()
                .chain(&record.thumbnail)
                .all(|file| out.join(file).is_file())
        });
        before - self.latest.len()
    }
}

/// Reads the journal at `path`; a missing journal is an empty one.
pub fn load(path: &Path) -> Result<Loaded, JournalError> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut file) => {
            file.read_to_end(&mut bytes)
                .map_err(|source| JournalError {
                    path: path.to_owned(),
                    source,
                })?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(source) => {
            return Err(JournalError {
                path: path.to_owned(),
                source,
            });
        }
    }
    Ok(parse(&bytes))
}

/// The records of a journal's bytes; a line that is not a whole record (torn, not UTF-8, not
/// JSON) is counted as unreadable and skipped.
pub fn parse(bytes: &[u8]) -> Loaded {
    let mut loaded = Loaded::default();
    let lines = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty());
    for line in lines {
        // `from_slice` checks the UTF-8 of the whole line, so a torn character is refused too.
        match serde_json::from_slice::<Record>(line) {
            Ok(record) => {
                if record.cost_usd.is_finite() && record.cost_usd > 0.0 {
                    loaded.spent_usd += record.cost_usd;
                }
                loaded
                    .latest
                    .insert(super::plan::slot(&record.model, &record.sku), record);
            }
            Err(_) => loaded.unreadable += 1,
        }
    }
    loaded
}

/// An open journal, appending. Clones share the file.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
    file: Arc<Mutex<File>>,
}

impl Journal {
    /// Opens (or creates) the journal for appending; a torn last line is closed off first so the
    /// next record starts on a line of its own.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let err = |source| JournalError {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        let len = file.metadata().map_err(err)?.len();
        if len > 0 {
            let mut last = [0u8];
            file.seek(SeekFrom::Start(len - 1)).map_err(err)?;
            file.read_exact(&mut last).map_err(err)?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(err)?;
            }
        }
        Ok(Self {
            path: path.to_owned(),
            file: Arc::new(Mutex::new(file)),
        })
    }

    /// Appends records, one line each, and waits until they are on disk. Blocks: call it off
    /// the async threads.
    pub fn append<'r>(
        &self,
        records: impl IntoIterator<Item = &'r Record>,
    ) -> Result<(), JournalError> {
        let err = |source| JournalError {
            path: self.path.clone(),
            source,
        };
        let mut lines = Vec::new();
        for record in records {
            serde_json::to_writer(&mut lines, record).map_err(|e| err(std::io::Error::other(e)))?;
            lines.push(b'\n');
        }
        let mut file = self.hold();
        // One write call: an interrupted write leaves whole lines and at most one torn one.
        file.write_all(&lines).map_err(err)?;
        file.sync_data().map_err(err)
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits for a write in progress and keeps further writes out while the guard lives (held
    /// while the process quits on a second Ctrl-C).
    pub fn hold(&self) -> MutexGuard<'_, File> {
        self.file.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sku: &str, outcome: Outcome) -> Record {
        Record {
            model: "ava".into(),
            sku: sku.into(),
            fingerprint: "f".into(),
            outcome,
            cache: None,
            key: None,
            provider: None,
            attempts: 1,
            timings: None,
            elapsed_ms: 5,
            cost_usd: 0.0,
            files: Vec::new(),
            thumbnail: None,
            flagged: Vec::new(),
            error: None,
            finished_at: 0,
        }
    }

    #[test]
    fn latest_record_wins_and_a_torn_last_line_is_skipped_then_closed_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let journal = Journal::open(&path).unwrap();
        journal.append(&[record("A", Outcome::Failed)]).unwrap();
        journal
            .append(&[record("A", Outcome::Done), record("B", Outcome::Done)])
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
        drop(journal);
        // A kill in the middle of a write leaves half a line.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"model\":\"ava\",\"sku\":\"C\",\"fing")
            .unwrap();
        drop(file);
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.unreadable, 1);
        assert_eq!(loaded.latest.len(), 2);
        assert_eq!(loaded.latest["ava/A"].outcome, Outcome::Done);

        let journal = Journal::open(&path).unwrap();
        journal.append(&[record("C", Outcome::Done)]).unwrap();
        let loaded = load(&path).unwrap();
        assert_eq!(
            loaded.latest.len(),
            3,
            "the record after the torn line is read"
        );
        assert_eq!(loaded.unreadable, 1);
    }

    #[test]
    fn lines_with_invalid_utf8_or_a_torn_character_are_skipped_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let journal = Journal::open(&path).unwrap();
        let mut failed = record("A", Outcome::Failed);
        failed.error = Some(ItemError {
            code: "content_policy".into(),
            message: "refusé: « vêtement » non autorisé".into(),
        });
        journal.append(&[failed.clone()]).unwrap();
        drop(journal);
        let good = std::fs::read(&path).unwrap();
        // One invalid byte in an otherwise good line.
        let mut damaged = good.clone();
        let at = damaged.iter().position(|&b| b == b'A').unwrap();
        damaged[at] = 0xff;
        // A line torn inside the two-byte `é`.
        let cut = good.iter().position(|&b| b == 0xc3).unwrap() + 1;
        let mut bytes = damaged;
        bytes.extend_from_slice(&serde_json::to_vec(&record("B", Outcome::Done)).unwrap());
        bytes.push(b'\n');
        bytes.extend_from_slice(&good[..cut]);
        std::fs::write(&path, &bytes).unwrap();

        let loaded = load(&path).unwrap();
        assert_eq!(loaded.unreadable, 2);
        assert_eq!(loaded.latest.len(), 1);
        assert_eq!(loaded.latest["ava/B"].outcome, Outcome::Done);
        // The torn last line is closed off and the next record is read back.
        let journal = Journal::open(&path).unwrap();
        journal.append(&[failed]).unwrap();
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.latest["ava/A"].outcome, Outcome::Failed);
        assert_eq!(loaded.unreadable, 2);
    }

    #[test]
    fn a_missing_journal_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(&dir.path().join(FILE_NAME)).unwrap().latest.is_empty());
    }
}
