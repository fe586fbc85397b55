//! The offline draft provider: a real try-on on the CPU, with no key, no network and no model.
//!
//! Classical 2D try-on in four steps, each in its own file:
//!
//! 1. `person`: segment the person from a plain studio backdrop and estimate body landmarks
//!    from the silhouette (retailer-supplied landmarks take precedence);
//! 2. `garment`: read the garment's category (for `auto`) and its landmarks from its matte;
//! 3. `fit` and `warp`: pin garment landmarks to body points and warp the garment with a
//!    thin-plate spline (an inverse map precomputed on a grid, sampled bilinearly);
//! 4. `compose`: bare what the old clothes showed outside the new garment, draw the garment
//!    with the person's shading (`shading`) and soft edges, keep head, hair and hands.
//!
//! The output is deterministic (same inputs, same bytes) and takes a few tens of milliseconds on
//! one core for a 1024² canvas. When it cannot find a person (a busy background, no figure) or a
//! garment, it returns [`Error::InvalidInput`] saying which, never a broken image. See
//! `docs/draft-provider.md` for the algorithm's limits.

mod compose;
mod cutout;
mod field;
mod fit;
mod garment;
mod person;
mod shading;
pub(crate) mod silhouette;
mod warp;

use serde_json::{Map, Value, json};

use super::{Capabilities, GeneratedImage, ProviderOutput, ProviderRequest, TryOnProvider, Usage};
use crate::error::{Error, Result};
use crate::request::GarmentCategory;

/// The draft provider's model id: the algorithm's name.
pub const DRAFT_MODEL: &str = "draft-tps-1";
/// Version of the algorithm; bumped whenever the output for the same input changes.
pub const DRAFT_VERSION: &str = "draft-2";

/// Categories the draft provider fits. A kurta is fitted as a long top; `auto` reads top, bottom
/// or one-piece from the garment's outline.
const CATEGORIES: [GarmentCategory; 5] = [
    GarmentCategory::Top,
    GarmentCategory::Bottom,
    GarmentCategory::OnePiece,
    GarmentCategory::Kurta,
    GarmentCategory::Auto,
];

/// The offline draft try-on provider. Stateless and cheap to create.
///
/// ```
/// use fitview_engine::{Engine, provider::draft::DraftProvider};
/// let engine = Engine::builder().provider(DraftProvider::new()).build()?;
/// assert_eq!(engine.provider().name(), "draft");
/// # Ok::<(), fitview_engine::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct DraftProvider;

impl DraftProvider {
    /// A draft provider.
    pub fn new() -> Self {
        Self
    }

    /// Runs the try-on synchronously on the calling thread (the async [`TryOnProvider::try_on`]
    /// runs this on the blocking pool). Useful for benchmarks and batch tools.
    pub fn render(&self, request: &ProviderRequest) -> Result<ProviderOutput> {
        let caps = self.capabilities();
        let categories: Vec<GarmentCategory> =
            request.garments.iter().map(|g| g.category).collect();
        caps.check(self.name(), &categories, request.samples)?;
        if request.garments.is_empty() {
            return Err(Error::invalid_input("no garment to put on"));
        }
        let person = &*request.person;
        let vision = fitview_vision::Vision::global().map_err(person::vision_error)?;
        let body = person::analyse(vision, person, request.person_landmarks.as_ref())?;
        let scene = compose::Scene::new(person, &body);
        let mut out = person.clone();
        let mut garments_meta = Vec::new();
        for (i, prepared) in request.garments.iter().enumerate() {
            let refined = cutout::refine(vision, &prepared.image)?;
            let cut = refined.as_ref().unwrap_or(&prepared.image);
            let repaired = garment::repair_striped_matte(cut);
            let image = repaired.as_ref().unwrap_or(cut);
            let shape = garment::analyse(image, prepared.category).map_err(|e| match e {
                Error::InvalidInput { reason } => {
                    Error::invalid_input(format!("garment {}: {reason}", i + 1))
                }
                other => other,
            })?;
            let fit = fit::fit(&body, &shape)?;
            let tps = warp::Tps::fit(&fit.targets, &fit.sources)
                .ok_or_else(|| Error::internal("draft: degenerate garment landmarks"))?;
            let map = warp::GridMap::new(&tps, out.width(), out.height());
            compose::dress(&mut out, &scene, image, &shape, &fit, &map);
            garments_meta.push(json!({
                "category": shape.category.as_str(),
                "category_detected": shape.detected,
                "matte_repaired": repaired.is_some(),
                "matte_refined": refined.is_some(),
                "landmarks": Value::Object(shape.report()),
            }));
        }
        compose::keep_head_and_hands(&mut out, &scene);
        Ok(ProviderOutput {
            images: vec![GeneratedImage::Pixels(out)],
            usage: Usage::default(),
            metadata: metadata(&body, garments_meta),
        })
    }
}

fn metadata(body: &person::Body, garments: Vec<Value>) -> Map<String, Value> {
    let (points, groups) = body.report();
    let supplied = body.supplied_names();
    let estimated: Vec<String> = points
        .keys()
        .filter(|k| !supplied.contains(&k.as_str()))
        .cloned()
        .collect();
    let mut meta = Map::new();
    meta.insert(
        "algorithm".to_owned(),
        json!("BlazePose body points and person mask, thin-plate-spline warp, shading transfer"),
    );
    meta.insert("landmark_space".to_owned(), json!("provider canvas pixels"));
    meta.insert("person_landmarks".to_owned(), Value::Object(points));
    meta.insert("landmark_confidence".to_owned(), Value::Object(groups));
    meta.insert("estimated_landmarks".to_owned(), json!(estimated));
    meta.insert("supplied_landmarks".to_owned(), json!(supplied));
    meta.insert("full_body".to_owned(), json!(body.full_body));
    meta.insert("garments".to_owned(), Value::Array(garments));
    meta
}

#[async_trait::async_trait]
impl TryOnProvider for DraftProvider {
    fn name(&self) -> &str {
        "draft"
    }

    fn model(&self) -> &str {
        DRAFT_MODEL
    }

    fn prompt_version(&self) -> &str {
        DRAFT_VERSION
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            categories: CATEGORIES.to_vec(),
            max_garments: 2,
            canvas: (1024, 1024),
            supports_seed: false,
            max_samples: 1,
            pixel_aligned: true,
            styles: Vec::new(),
            cost_per_image_usd: 0.0,
        }
    }

    async fn try_on(&self, request: ProviderRequest) -> Result<ProviderOutput> {
        let provider = self.clone();
        tokio::task::spawn_blocking(move || provider.render(&request)).await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::conformance;

    #[tokio::test]
    async fn draft_passes_the_provider_conformance_suite() {
        conformance::run_all(&DraftProvider::new(), conformance::Expectations::seeded()).await;
    }

    #[tokio::test]
    async fn a_busy_background_is_a_typed_input_error() {
        let caps = DraftProvider::new().capabilities();
        let mut request = conformance::sample_request(&caps, GarmentCategory::Top);
        let noise = image::RgbaImage::from_fn(1024, 1024, |x, y| {
            let v =
                (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)).wrapping_mul(2246822519) >> 24;
            image::Rgba([v as u8, (v * 7) as u8, (v * 13) as u8, 255])
        });
        request.person = std::sync::Arc::new(noise);
        let err = DraftProvider::new().try_on(request).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert!(err.to_string().contains("person photo"), "{err}");
    }
}
