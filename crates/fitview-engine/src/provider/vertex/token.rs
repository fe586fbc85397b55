//! Where Vertex AI's OAuth bearer token comes from: a fixed token, or a command that prints one
//! (`gcloud auth print-access-token`), run when a token is first needed and again once the last
//! one is old. Google's access tokens live an hour; one is reused for at most [`REUSE_FOR`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::super::http::{Secret, redact};
use super::super::registry::ProviderSettings;
use crate::error::{Error, Result};

/// Environment variable holding an OAuth access token.
pub const TOKEN_VAR: &str = "GOOGLE_OAUTH_ACCESS_TOKEN";
/// How long a token printed by the command is reused.
const REUSE_FOR: Duration = Duration::from_secs(30 * 60);

/// A source of bearer tokens. `Debug` never shows a token.
#[derive(Clone)]
pub struct TokenSource(Source);

#[derive(Clone)]
enum Source {
    Fixed(Secret),
    Command {
        command: String,
        cached: Arc<Mutex<Option<(Secret, Instant)>>>,
    },
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Fixed(_) => f.write_str("TokenSource::Fixed(<redacted>)"),
            Source::Command { command, .. } => write!(f, "TokenSource::Command({command:?})"),
        }
    }
}

impl TokenSource {
    /// Always `token`.
    pub fn fixed(token: impl Into<String>) -> Self {
        Self(Source::Fixed(Secret::new(token)))
    }

    /// What `command` prints (through `sh -c`), trimmed.
    pub fn command(command: impl Into<String>) -> Self {
        Self(Source::Command {
            command: command.into(),
            cached: Arc::default(),
        })
    }

    /// From settings: `api_key` as a fixed token, else `token_command`, else
    /// `GOOGLE_OAUTH_ACCESS_TOKEN`.
    pub(crate) fn from_settings(settings: &ProviderSettings) -> Result<Self> {
        if let Some(token) = settings.api_key.as_deref().filter(|t| !t.trim().is_empty()) {
            return Ok(Self::fixed(token.trim()));
        }
        if let Some(command) = settings
            .token_command
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            return Ok(Self::command(command));
        }
        std::env::var(TOKEN_VAR)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Self::fixed(t.trim()))
            .ok_or_else(|| Error::Auth {
                detail: format!(
                    "no Vertex AI access token: set {TOKEN_VAR} or `token_command` (e.g. \
                     \"gcloud auth print-access-token\") in the provider's settings"
                ),
            })
    }

    /// A token to send now.
    pub(crate) async fn token(&self) -> Result<Secret> {
        let (command, cached) = match &self.0 {
            Source::Fixed(token) => return Ok(token.clone()),
            Source::Command { command, cached } => (command, cached),
        };
        let mut cached = cached.lock().await;
        if let Some((token, at)) = cached.as_ref()
            && at.elapsed() < REUSE_FOR
        {
            return Ok(token.clone());
        }
        let command = command.clone();
        let token = tokio::task::spawn_blocking(move || run(&command)).await??;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }
}

fn run(command: &str) -> Result<Secret> {
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .output()
        .map_err(|e| Error::Auth {
            detail: format!("cannot run the Vertex AI token command: {e}"),
        })?;
    if !output.status.success() {
        return Err(Error::Auth {
            detail: format!(
                "the Vertex AI token command failed ({}): {}",
                output.status,
                redact(String::from_utf8_lossy(&output.stderr).trim())
            ),
        });
    }
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(Error::Auth {
            detail: "the Vertex AI token command printed no single token".to_owned(),
        });
    }
    Ok(Secret::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_command_token_is_run_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let count = dir.path().join("count");
        let command = format!(
            // The token is spelt in two pieces so that the command itself (which Debug may
            // show) does not contain it.
            "echo run >> '{}'; echo \"ya\"\"29.token-from-command\"",
            count.display()
        );
        let source = TokenSource::command(command);
        for _ in 0..3 {
            assert_eq!(
                source.token().await.unwrap(),
                Secret::new("ya29.token-from-command")
            );
        }
        let runs = std::fs::read_to_string(&count).unwrap();
        assert_eq!(runs.lines().count(), 1, "the token was reused");
        assert!(!format!("{source:?}").contains("ya29"));
    }

    #[tokio::test]
    async fn a_failing_or_silent_command_is_an_auth_error() {
        let err = TokenSource::command("echo 'not logged in' >&2; exit 3")
            .token()
            .await
            .unwrap_err();
        assert_eq!(err.code(), "auth");
        assert!(err.to_string().contains("not logged in"), "{err}");
        let err = TokenSource::command("true").token().await.unwrap_err();
        assert_eq!(err.code(), "auth");
    }

    #[test]
    fn settings_pick_the_token_the_command_or_the_variable() {
        let settings = ProviderSettings {
            api_key: Some("ya29.fixed".into()),
            token_command: Some("gcloud auth print-access-token".into()),
            ..Default::default()
        };
        assert!(matches!(
            TokenSource::from_settings(&settings).unwrap().0,
            Source::Fixed(_)
        ));
        let settings = ProviderSettings {
            token_command: Some("gcloud auth print-access-token".into()),
            ..Default::default()
        };
        assert!(matches!(
            TokenSource::from_settings(&settings).unwrap().0,
            Source::Command { .. }
        ));
        if std::env::var_os(TOKEN_VAR).is_none() {
            let err = TokenSource::from_settings(&ProviderSettings::default()).unwrap_err();
            assert!(err.to_string().contains(TOKEN_VAR), "{err}");
        }
    }
}
