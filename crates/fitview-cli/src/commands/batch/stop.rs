//! Stopping a batch before the end: because the provider keeps refusing, or because the user
//! pressed Ctrl-C.
//!
//! The first Ctrl-C stops new items from starting and lets those in flight finish (their
//! provider calls are paid for), so the run ends as usual (journal, `report.json`, gallery) and
//! then exits with 130. The second Ctrl-C quits at once: it waits only for a journal write in
//! progress, so the journal never holds a torn line, and the items in flight run again next time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

use super::journal::Journal;
use super::progress::Progress;

/// Shared by the scheduler and the items: once set, no new item starts.
#[derive(Debug, Clone)]
pub struct StopFlag {
    stopped: Arc<watch::Sender<bool>>,
    interrupted: Arc<AtomicBool>,
}

impl Default for StopFlag {
    fn default() -> Self {
        Self {
            stopped: Arc::new(watch::Sender::new(false)),
            interrupted: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl StopFlag {
    /// Starts no new item from now on.
    pub fn stop(&self) {
        self.stopped.send_replace(true);
    }

    /// Stops because the user asked to.
    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::SeqCst);
        self.stop();
    }

    /// Whether new items may no longer start.
    pub fn is_stopped(&self) -> bool {
        *self.stopped.borrow()
    }

    /// Whether the stop came from Ctrl-C.
    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// Resolves once the batch is stopped (at once if it already is).
    pub async fn stopped(&self) {
        let mut changes = self.stopped.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = changes.wait_for(|stopped| *stopped).await;
    }
}

/// Handles Ctrl-C for the rest of the process: the first press interrupts `stop`; the second
/// exits with status 130 ([`crate::exit::INTERRUPTED`]) as soon as no journal write is in progress.
pub fn listen_for_ctrl_c(stop: StopFlag, journal: Journal, progress: Arc<Progress>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        stop.interrupt();
        progress.note(
            "interrupted",
            "interrupted: finishing the items in flight and starting no new ones \
             (press Ctrl-C again to quit at once)",
        );
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        let _no_write_in_progress = journal.hold();
        progress.abandon();
        progress.note(
            "quit",
            &format!(
                "quitting now: the items in flight run again next time; {}",
                resume_hint()
            ),
        );
        std::process::exit(i32::from(crate::exit::INTERRUPTED));
    });
}

/// How to resume: this process's command line.
pub fn resume_hint() -> String {
    format!("to resume, run the same command:\n  {}", resume_command())
}

/// This process's command line, quoted for a POSIX shell.
fn resume_command() -> String {
    std::env::args()
        .enumerate()
        .map(|(i, arg)| {
            if i == 0 {
                // The program as the user is likely to type it.
                return std::path::Path::new(&arg)
                    .file_name()
                    .map_or(arg.clone(), |name| name.to_string_lossy().into_owned());
            }
            quote(&arg)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_items_wake_when_the_batch_stops() {
        let stop = StopFlag::default();
        assert!(!stop.is_stopped());
        let waiter = tokio::spawn({
            let stop = stop.clone();
            async move { stop.stopped().await }
        });
        stop.interrupt();
        waiter.await.unwrap();
        assert!(stop.is_stopped() && stop.is_interrupted());
        // Stopping for another reason is not an interruption.
        let refused = StopFlag::default();
        refused.stop();
        refused.stopped().await;
        assert!(!refused.is_interrupted());
    }

    #[test]
    fn arguments_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(quote("--out"), "--out");
        assert_eq!(quote("shop/catalog.toml"), "shop/catalog.toml");
        assert_eq!(quote("my shop.toml"), "'my shop.toml'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
