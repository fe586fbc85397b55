//! Exit codes: a script can tell bad input from a provider problem without parsing messages.

use fitview_engine::Error;

/// Something unexpected (a bug or the environment).
pub const INTERNAL: u8 = 1;
// 2 is clap's usage error.
/// The input is at fault: missing file, not an image, too large, invalid option.
pub const INPUT: u8 = 3;
/// The provider refused the request (content policy, unsupported category).
pub const REFUSED: u8 = 4;
/// The provider failed transiently (rate limit, timeout, unavailable); try again later.
pub const TRANSIENT: u8 = 5;
/// Configuration or credentials are wrong.
pub const CONFIG: u8 = 6;
/// Reading or writing files or the store failed.
pub const IO: u8 = 7;
/// A batch ran to its end but some items failed or were flagged by the quality checks (the
/// report says which); running the same command again retries them.
pub const ITEMS_FAILED: u8 = 8;
/// A spend cap stopped the work: `--max-cost` of a batch, or the engine's `budget.daily_usd`
/// (error code `budget_exceeded`); raise the cap, or wait for the next day, to go on.
pub const BUDGET: u8 = 9;
/// The user stopped the command with Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

/// The user stopped the command with Ctrl-C; the work done so far is kept.
#[derive(Debug, thiserror::Error)]
#[error("interrupted (Ctrl-C)")]
pub struct Interrupted;

/// A batch ran to its end with items that are not done.
#[derive(Debug, thiserror::Error)]
#[error(
    "{failed} items failed and {flagged} were flagged by the quality checks (see the report); \
     run the same command again to retry them"
)]
pub struct ItemsFailed {
    /// Items that failed.
    pub failed: usize,
    /// Items whose images failed the quality checks.
    pub flagged: usize,
}

/// The exit code for an error, from the engine error at its root when there is one.
pub fn code_for(err: &anyhow::Error) -> u8 {
    if err
        .chain()
        .any(|e| e.downcast_ref::<Interrupted>().is_some())
    {
        return INTERRUPTED;
    }
    if err.chain().any(|e| e.is::<ItemsFailed>()) {
        return ITEMS_FAILED;
    }
    if err
        .chain()
        .any(|e| e.is::<crate::commands::batch::lock::LockError>())
    {
        return IO;
    }
    if let Some(engine) = err.chain().find_map(|e| e.downcast_ref::<Error>()) {
        return match engine {
            e if e.is_input_error() => INPUT,
            e if e.is_retryable() => TRANSIENT,
            Error::ContentPolicy { .. }
            | Error::NotSupported { .. }
            | Error::MalformedResponse { .. } => REFUSED,
            Error::Config { .. } | Error::Auth { .. } => CONFIG,
            Error::Storage { .. } => IO,
            Error::BudgetExceeded { .. } => BUDGET,
            _ => INTERNAL,
        };
    }
    if err.chain().any(|e| {
        e.downcast_ref::<crate::input_file::InputFileError>()
            .is_some()
    }) {
        return INPUT;
    }
    if err
        .chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some())
    {
        return IO;
    }
    INTERNAL
}
