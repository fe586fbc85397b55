//! `fitview providers`: what is available and what each can do.

use fitview_engine::EngineConfig;
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
    unavailable: Option<String>,
}

impl Listed {
    /// One line of the listing: the provider's model and capabilities, or why it cannot be built.
    fn new(
        name: &str,
        kind: &'static str,
        built: fitview_engine::Result<(String, fitview_engine::Capabilities)>,
    ) -> Self {
        let (model, capabilities, unavailable) = match built {
            Ok((model, capabilities)) => (Some(model), Some(capabilities), None),
            Err(e) => (None, None, Some(e.to_string())),
        };
        Self {
            name: name.to_owned(),
            kind,
            model,
            capabilities,
            unavailable,
        }
    }
}

pub fn run(config: EngineConfig, args: ProvidersArgs) -> anyhow::Result<()> {
    let registry = ProviderRegistry::with_builtins();
    let mut listed = Vec::new();
    for name in registry.try_on_names() {
        let built = registry
            .try_on(name, &config.provider_settings)
            .map(|p| (p.model().to_owned(), p.capabilities()));
        listed.push(Listed::new(name, "try-on", built));
    }
    for name in registry.style_names() {
        let built = registry
            .style(name, &config.style_provider_settings)
            .map(|p| (p.model().to_owned(), p.capabilities()));
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
