//! `fitview variations`: scene, colour and background variations of a finished try-on image.

use fitview_engine::{Engine, EngineConfig, OutputFormat, Style};
use serde::Serialize;

use crate::cli::{SceneArg, VariationsArgs};
use crate::output::{WrittenImage, write_image};
use crate::stdout::outln;

#[derive(Serialize)]
struct Written {
    style: String,
    provider: String,
    model: String,
    files: Vec<WrittenImage>,
}

pub async fn run(mut config: EngineConfig, args: VariationsArgs) -> anyhow::Result<()> {
    crate::config::apply_provider_args(
        &mut config,
        &args.provider,
        crate::config::ProviderRole::Style,
    );
    let styles = styles(&args);
    if styles.is_empty() {
        anyhow::bail!(fitview_engine::Error::invalid_input(
            "no variation asked for: give --style, --color or --background"
        ));
    }
    let input = bytes::Bytes::from(super::read_photo(
        "input image",
        "--input",
        &args.input,
        &config.limits,
    )?);
    let engine = Engine::builder().config(config).build()?;
    let output = super::output_options(&args.output, OutputFormat::Webp);
    let mut written = Vec::new();
    for style in styles {
        let slug = style.slug();
        let result = engine
            .variations(input.clone(), style, args.samples, output.clone())
            .await?;
        let mut files = Vec::new();
        for (i, image) in result.images.iter().enumerate() {
            let path = args
                .out
                .join(format!("{slug}-{}.{}", i + 1, image.format.extension()));
            files.push(write_image(&path, image)?);
        }
        if !args.output.json {
            for file in &files {
                outln!(
                    "wrote {} ({}x{}) [{slug}]",
                    file.path.display(),
                    file.width,
                    file.height
                )?;
            }
        }
        written.push(Written {
            style: slug,
            provider: result.provider,
            model: result.model,
            files,
        });
    }
    if args.output.json {
        outln!("{}", serde_json::to_string_pretty(&written)?)?;
    }
    Ok(())
}

fn styles(args: &VariationsArgs) -> Vec<Style> {
    let scenes = args.style.iter().map(|s| match s {
        SceneArg::Casual => Style::Casual,
        SceneArg::Formal => Style::Formal,
        SceneArg::Party => Style::Party,
    });
    let colors = args
        .color
        .iter()
        .map(|c| Style::ColorVariant { color: c.clone() });
    let backgrounds = args.background.iter().map(|b| Style::Background {
        description: b.clone(),
    });
    scenes.chain(colors).chain(backgrounds).collect()
}
