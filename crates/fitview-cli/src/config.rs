//! Layered configuration: defaults → TOML file (`--config` / `FITVIEW_CONFIG`) → flags and their
//! `FITVIEW_*` variables (clap reads those).

use std::path::Path;

use fitview_engine::EngineConfig;

use crate::cli::ProviderArgs;
use crate::input_file::{MAX_SMALL_TEXT_BYTES, read_text_bounded};

/// Loads the engine configuration from the file, if given, or the defaults. A file that cannot
/// be read or parsed is a configuration error (exit 6), like an invalid setting.
pub fn load(path: Option<&Path>) -> Result<EngineConfig, fitview_engine::Error> {
    let Some(path) = path else {
        return Ok(EngineConfig::default());
    };
    let text = read_text_bounded("config file", path, MAX_SMALL_TEXT_BYTES).map_err(|e| {
        fitview_engine::Error::Config {
            problems: vec![e.to_string()],
        }
    })?;
    parse(&text).map_err(|problems| fitview_engine::Error::Config {
        problems: problems
            .iter()
            .map(|p| format!("config file {}: {}", path.display(), p.trim_end()))
            .collect(),
    })
}

/// Parses the file's text; on failure every key that is wrong (unknown: a typo each; or of the
/// wrong type), each with its line, or the syntax error.
fn parse(text: &str) -> Result<EngineConfig, Vec<String>> {
    let first = match toml::from_str(text) {
        Ok(config) => return Ok(config),
        Err(e) => e,
    };
    // The typed parse stops at the first wrong key; find the others by taking each one out and
    // parsing again. A syntax error has nothing to take out.
    let Ok(mut table) = text.parse::<toml::Table>() else {
        return Err(vec![first.to_string()]);
    };
    let mut problems = Vec::new();
    // Each round removes one key, so this ends; the bound is for a file of thousands of typos.
    for _ in 0..MAX_PROBLEMS {
        let value = toml::Value::Table(table.clone());
        let Err(e) = serde_path_to_error::deserialize::<_, EngineConfig>(value) else {
            break;
        };
        let keys: Option<Vec<String>> = e
            .path()
            .iter()
            .map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .collect();
        let Some(keys) = keys.filter(|keys| remove(&mut table, keys)) else {
            break;
        };
        let line = key_line(text, &keys).map_or(String::new(), |l| format!("line {l}: "));
        let message = e.inner().message().trim_end();
        problems.push(if message.starts_with("unknown field") {
            format!("{line}unknown key `{}`: {message}", keys.join("."))
        } else {
            format!("{line}`{}`: {message}", keys.join("."))
        });
    }
    if problems.is_empty() {
        problems.push(first.to_string());
    }
    Err(problems)
}

/// Most problems reported from one file.
const MAX_PROBLEMS: usize = 100;

/// Removes the key at `keys` (a path of table keys); whether it was there.
fn remove(table: &mut toml::Table, keys: &[String]) -> bool {
    match keys {
        [] => false,
        [key] => table.remove(key).is_some(),
        [key, rest @ ..] => match table.get_mut(key) {
            Some(toml::Value::Table(inner)) => remove(inner, rest),
            _ => false,
        },
    }
}

/// The 1-based line where the key at `keys` is written.
fn key_line(text: &str, keys: &[String]) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut start = None;
    for key in keys {
        let (k, value) = table.iter().find(|(k, _)| k.get_ref() == key)?;
        start = Some(k.span().start);
        if let DeValue::Table(inner) = value.get_ref() {
            table = inner;
        }
    }
    Some(text.get(..start?)?.matches('\n').count() + 1)
}

/// Which of the engine's two providers a command's provider flags choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderRole {
    /// The try-on provider (`tryon`, `batch`, `serve`).
    TryOn,
    /// The style-variation provider (`variations`).
    Style,
}

/// Applies the provider flags over the file's settings of the provider `role` names.
pub fn apply_provider_args(config: &mut EngineConfig, args: &ProviderArgs, role: ProviderRole) {
    let (name, settings) = match role {
        ProviderRole::TryOn => (&mut config.provider, &mut config.provider_settings),
        ProviderRole::Style => (
            &mut config.style_provider,
            &mut config.style_provider_settings,
        ),
    };
    if let Some(provider) = &args.provider {
        name.clone_from(provider);
    }
    if let Some(model) = &args.model {
        settings.model = Some(model.clone());
    }
    if let Some(base_url) = &args.base_url {
        settings.base_url = Some(base_url.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_override_defaults_and_unknown_keys_are_errors() {
        let config = parse("provider = \"mock\"\n[limits]\nmax_width = 2048\n").unwrap();
        assert_eq!(config.limits.max_width, 2048);
        assert_eq!(
            config.limits.max_height,
            EngineConfig::default().limits.max_height
        );
        let err = parse("[limits]\nmax_widht = 10\n").unwrap_err();
        assert!(err[0].contains("max_widht"), "{err:?}");
    }

    #[test]
    fn per_mode_settings_and_mock_faults_read_from_the_file_by_mode_name() {
        use fitview_engine::QualityMode;
        let config = parse(
            "[provider_settings]\nfaults = [\"refusal\", \"slow:5\"]\n\
             [provider_settings.modes.best]\nusd_per_image = 0.12\n\
             [providers.grok.modes.quality]\nusd_per_image = 0.06\n\
             [providers.nano-banana.modes.fast]\nmodel = \"gemini-3.1-flash-image\"\n",
        )
        .unwrap();
        assert_eq!(
            config.provider_settings.mode_price(QualityMode::Best),
            Some(0.12)
        );
        assert_eq!(config.provider_settings.faults, ["refusal", "slow:5"]);
        assert_eq!(
            config.providers["grok"].mode_price(QualityMode::Best),
            Some(0.06),
            "`quality` names the best mode"
        );
        assert_eq!(
            config.providers["nano-banana"].mode_model(QualityMode::Fast),
            Some("gemini-3.1-flash-image")
        );
        let problems = parse("[provider_settings.modes.turbo]\nusd_per_image = 1\n").unwrap_err();
        assert!(problems[0].contains("turbo"), "{problems:?}");
    }

    #[test]
    fn every_wrong_key_is_reported_with_its_line_not_only_the_first() {
        let text = "provider = \"mock\"\nprovidr = \"x\"\n[limits]\nmax_widht = 10\n\
                    max_width = \"big\"\nmax_heigth = 5\n";
        let problems = parse(text).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        for (key, line) in [
            ("unknown key `providr`", 2),
            ("unknown key `limits.max_widht`", 4),
            ("`limits.max_width`: invalid type", 5),
            ("unknown key `limits.max_heigth`", 6),
        ] {
            assert!(
                problems
                    .iter()
                    .any(|p| p.starts_with(&format!("line {line}: {key}"))),
                "{key}: {problems:?}"
            );
        }
    }

    #[test]
    fn try_on_and_style_providers_are_configured_separately() {
        let mut config = parse(
            "provider = \"nano-banana\"\nstyle_provider = \"grok\"\n\
             [provider_settings]\nbase_url = \"http://127.0.0.1:9001\"\n\
             [provider_settings.throttle]\nmax_concurrency = 8\nrequests_per_minute = 60\n\
             [style_provider_settings]\nmodel = \"grok-imagine-image\"\n",
        )
        .unwrap();
        assert_eq!(
            config.provider_settings.throttle.map(|t| t.max_concurrency),
            Some(8)
        );
        let flags = ProviderArgs {
            provider: Some("mock".to_owned()),
            model: None,
            base_url: Some("http://127.0.0.1:9002".to_owned()),
        };
        apply_provider_args(&mut config, &flags, ProviderRole::Style);
        assert_eq!(config.style_provider, "mock");
        assert_eq!(config.provider, "nano-banana", "try-on side untouched");
        assert_eq!(
            config.provider_settings.base_url.as_deref(),
            Some("http://127.0.0.1:9001")
        );
        assert_eq!(
            config.style_provider_settings.base_url.as_deref(),
            Some("http://127.0.0.1:9002")
        );
        assert_eq!(
            config.style_provider_settings.model.as_deref(),
            Some("grok-imagine-image")
        );
    }

    #[test]
    fn bad_provider_limits_are_reported_with_their_section() {
        let config = parse("[style_provider_settings.throttle]\nmax_concurrency = 0\n").unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("style_provider_settings.throttle.max_concurrency"),
            "{err}"
        );
    }
}
