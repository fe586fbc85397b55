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
    parse(&text).map_err(|e| fitview_engine::Error::Config {
        problems: vec![format!("config file {}: {}", path.display(), e.trim_end())],
    })
}

fn parse(text: &str) -> Result<EngineConfig, String> {
    toml::from_str(text).map_err(|e: toml::de::Error| e.to_string())
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
        assert!(err.contains("max_widht"), "{err}");
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
