//! Layered configuration: defaults → TOML file (`--config` / `FITVIEW_CONFIG`) → flags and their
//! `FITVIEW_*` variables (clap reads those).

use std::path::Path;

use anyhow::Context;
use fitview_engine::EngineConfig;

use crate::cli::ProviderArgs;

/// Loads the engine configuration from the file, if given, or the defaults.
pub fn load(path: Option<&Path>) -> anyhow::Result<EngineConfig> {
    let Some(path) = path else {
        return Ok(EngineConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    parse(&text).with_context(|| format!("invalid config file {}", path.display()))
}

fn parse(text: &str) -> anyhow::Result<EngineConfig> {
    let config: EngineConfig = toml::from_str(text)?;
    Ok(config)
}

/// Applies the provider flags over the file's settings.
pub fn apply_provider_args(config: &mut EngineConfig, args: &ProviderArgs) {
    if let Some(provider) = &args.provider {
        config.provider = provider.clone();
        config.style_provider = provider.clone();
    }
    if let Some(model) = &args.model {
        config.providers.model = Some(model.clone());
    }
    if let Some(base_url) = &args.base_url {
        config.providers.base_url = Some(base_url.clone());
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
        assert!(format!("{err:#}").contains("max_widht"), "{err:#}");
    }
}
