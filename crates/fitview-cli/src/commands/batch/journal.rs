//! The batch journal: one JSON line per finished item, appended and fsync'd before the item is
//! counted, so a run killed at any moment (Ctrl-C, kill -9, power loss) resumes without losing
//! or repeating finished work. A line torn by a kill is ignored when read back. Items that finish
//! together are written with one write and one fsync (a group commit): an fsync costs
//! milliseconds, and at high concurrency dozens of items finish within one.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
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
}

/// Reads the journal at `path`; a missing journal is an empty one.
pub fn load(path: &Path) -> Result<Loaded, JournalError> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut file) => {
            file.read_to_string(&mut text)
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
    let mut loaded = Loaded::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Record>(line) {
            Ok(record) => {
                loaded
                    .latest
                    .insert(super::plan::slot(&record.model, &record.sku), record);
            }
            Err(_) => loaded.unreadable += 1,
        }
    }
    Ok(loaded)
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
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(err)?;
        if text.last().is_some_and(|&b| b != b'\n') {
            file.write_all(b"\n").map_err(err)?;
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
    fn a_missing_journal_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(&dir.path().join(FILE_NAME)).unwrap().latest.is_empty());
    }
}
