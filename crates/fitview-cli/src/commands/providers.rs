//! `fitview providers`: what is available and what each can do.

use fitview_engine::EngineConfig;
use fitview_engine::ModeOffer;
use fitview_engine::provider::ProviderRegistry;
use serde::Serialize;

use crate::cli::ProvidersArgs;
use crate::stdout::outln;

#[derive(Serialize)]
struct Listed {
    name: String,
    kind: &'static str,
    model: Option<String>,
    capabilities: Option<fitview_engine::Capabilities>,
    /// What each quality mode calls and costs (try-on providers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    modes: Vec<ModeOffer>,
    unavailable: Option<String>,
}

impl Listed {
    /// One line of the listing: the provider's model and capabilities, or why it cannot be built.
    fn new(
        name: &str,
        kind: &'static str,
        built: fitview_engine::Result<(String, fitview_engine::Capabilities, Vec<ModeOffer>)>,
    ) -> Self {
        let (model, capabilities, modes, unavailable) = match built {
            Ok((model, capabilities, modes)) => (Some(model), Some(capabilities), modes, None),
            Err(e) => (None, None, Vec::new(), Some(e.to_string())),
        };
        Self {
            name: name.to_owned(),
            kind,
            model,
            capabilities,
            modes,
            unavailable,
        }
    }
}

pub fn run(config: EngineConfig, args: ProvidersArgs) -> anyhow::Result<()> {
    let registry = ProviderRegistry::with_builtins();
    let mut listed = Vec::new();
    for name in registry.try_on_names() {
        // A provider's own `[providers.<name>]` settings, else the single-provider table.
        let settings = config
            .providers
            .get(name)
            .unwrap_or(&config.provider_settings);
        let built = registry
            .try_on(name, settings)
            .map(|p| (p.model().to_owned(), p.capabilities(), p.modes()));
        listed.push(Listed::new(name, "try-on", built));
    }
    for name in registry.style_names() {
        let built = registry
            .style(name, &config.style_provider_settings)
            .map(|p| (p.model().to_owned(), p.capabilities(), Vec::new()));
        listed.push(Listed::new(name, "style", built));
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&listed)?)?;
        return Ok(());
    }
    for p in &listed {
        match (&p.model, &p.capabilities) {
            (Some(model), Some(caps)) => {
                let categories: Vec<&str> = caps.categories.iter().map(|c| c.as_str()).collect();
                outln!(
                    "{:<12} {:<7} model {:<28} canvas {}x{} · categories {} · seeds {} · up to {} samples · ${:.3}/image",
                    p.name,
                    p.kind,
                    model,
                    caps.canvas.0,
                    caps.canvas.1,
                    categories.join(","),
                    if caps.supports_seed { "yes" } else { "no" },
                    caps.max_samples,
                    caps.cost_per_image_usd
                )?;
                for m in &p.modes {
                    let setting = if m.setting.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", m.setting)
                    };
                    outln!(
                        "{:<12} {:<7}   {:<9} {}{} · ${:.3}/image",
                        "",
                        "",
                        m.mode.as_str(),
                        m.model,
                        setting,
                        m.usd_per_image
                    )?;
                }
            }
            _ => outln!(
                "{:<12} {:<7} unavailable: {}",
                p.name,
                p.kind,
                p.unavailable.as_deref().unwrap_or("?")
            )?,
        }
    }
    Ok(())
}
