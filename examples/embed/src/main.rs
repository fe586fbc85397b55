//! Embeds the engine: `cargo run -p fitview-example-embed -- PERSON GARMENT OUT`.
//!
//! With no arguments it uses the committed fixtures and writes `out/embed.webp`.

use fitview_engine::{Engine, EngineConfig, GarmentCategory, TryOnRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let person = args
        .next()
        .unwrap_or_else(|| "fixtures/persons/average-medium-full.jpg".to_owned());
    let garment = args
        .next()
        .unwrap_or_else(|| "fixtures/garments/shirt-striped.jpg".to_owned());
    let out = args.next().unwrap_or_else(|| "out/embed.webp".to_owned());

    // The defaults: offline provider, safe decode limits, three attempts within two minutes.
    let engine = Engine::builder().config(EngineConfig::default()).build()?;
    let request = TryOnRequest::new(std::fs::read(&person)?, std::fs::read(&garment)?)
        .with_category(GarmentCategory::Top);
    let result = engine.try_on(request).await?;

    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let image = &result.images[0];
    std::fs::write(&out, &image.bytes)?;
    println!(
        "{out}: {}x{} by {} ({}) in {:?}, key {}",
        image.width, image.height, result.provider, result.model, result.timings.total, result.key
    );
    Ok(())
}
