//! `fitview providers`: what is available and what each can do.

use fitview_engine::EngineConfig;
use fitview_engine::provider::ProviderRegistry;
use serde::Serialize;

use crate::cli::ProvidersArgs;

#[derive(Serialize)]
struct Listed {
    name: String,
    kind: &'static str,
    model: Option<String>,
    capabilities: Option<fitview_engine::Capabilities>,
    unavailable: Option<String>,
}

pub fn run(config: EngineConfig, args: ProvidersArgs) -> anyhow::Result<()> {
    let registry = ProviderRegistry::with_builtins();
    let mut listed = Vec::new();
    for name in registry.try_on_names() {
        listed.push(match registry.try_on(name, &config.providers) {
            Ok(p) => Listed {
                name: name.to_owned(),
                kind: "try-on",
                model: Some(p.model().to_owned()),
                capabilities: Some(p.capabilities()),
                unavailable: None,
            },
            Err(e) => Listed {
                name: name.to_owned(),
                kind: "try-on",
                model: None,
                capabilities: None,
                unavailable: Some(e.to_string()),
            },
        });
    }
    for name in registry.style_names() {
        listed.push(match registry.style(name, &config.providers) {
            Ok(p) => Listed {
                name: name.to_owned(),
                kind: "style",
                model: Some(p.model().to_owned()),
                capabilities: Some(p.capabilities()),
                unavailable: None,
            },
            Err(e) => Listed {
                name: name.to_owned(),
                kind: "style",
                model: None,
                capabilities: None,
                unavailable: Some(e.to_string()),
            },
        });
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(());
    }
    for p in &listed {
        match (&p.model, &p.capabilities) {
            (Some(model), Some(caps)) => {
                let categories: Vec<&str> = caps.categories.iter().map(|c| c.as_str()).collect();
                println!(
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
                );
            }
            _ => println!(
                "{:<12} {:<7} unavailable: {}",
                p.name,
                p.kind,
                p.unavailable.as_deref().unwrap_or("?")
            ),
        }
    }
    Ok(())
}
