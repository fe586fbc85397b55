//! Quality validation before serving: provider outputs that are blank, the wrong size, with
//! another face or without the garment are flagged with the right check; a provider that takes
//! seeds is asked once more; a flagged result is never cached or stored; the built-in draft and
//! mock providers pass on the committed fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use fitview_engine::provider::draft::DraftProvider;
use fitview_engine::provider::mock::MockProvider;
use fitview_engine::provider::{
    Capabilities, GeneratedImage, ProviderOutput, ProviderRequest, StyleProvider, StyleRequest,
    TryOnProvider,
};
use fitview_engine::{
    CacheStatus, CheckName, Engine, EngineConfig, Error, GarmentCategory, OutputOptions, Result,
    ResultStore, Style, TryOnOptions, TryOnRequest,
};
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use tokio::sync::watch;

use crate::common;

/// The test person's head on the photo: centre and radii in pixels.
const HEAD: (f32, f32, f32, f32) = (384.0, 115.0, 58.0, 72.0);
/// Where the 768×1024 photo sits on the 1024² canvas.
const CANVAS_X: f32 = 128.0;

/// A studio person (768×1024, so the 1024² canvas holds it at x = 128, scale 1) with a face —
/// hair, eyes, a mouth — on a neck, in a blue-grey outfit, arms by the sides.
fn person() -> RgbImage {
    let (cx, cy, rx, ry) = HEAD;
    RgbImage::from_fn(768, 1024, |x, y| {
        let (x, y) = (x as f32, y as f32);
        let head = ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) < 1.0;
        let hair = head && y < cy - 32.0;
        let eye = |ex: f32| ((x - ex).powi(2) + (y - (cy - 6.0)).powi(2)).sqrt() < 7.0;
        let mouth = (x - cx).abs() < 18.0 && (y - (cy + 35.0)).abs() < 3.0;
        let neck = (x - cx).abs() < 26.0 && (180.0..215.0).contains(&y);
        let torso = (230.0..538.0).contains(&x) && (205.0..600.0).contains(&y);
        let arms = ((170.0..230.0).contains(&x) || (538.0..598.0).contains(&x))
            && (210.0..560.0).contains(&y);
        let legs = ((276.0..376.0).contains(&x) || (392.0..492.0).contains(&x))
            && (600.0..980.0).contains(&y);
        Rgb(if hair {
            [60, 40, 30]
        } else if head && (eye(cx - 24.0) || eye(cx + 24.0)) {
            [40, 30, 30]
        } else if head && mouth {
            [150, 70, 70]
        } else if head || neck || (arms && y > 520.0) {
            [214, 170, 140]
        } else if torso || arms || legs {
            [60, 70, 90]
        } else {
            [228, 228, 226]
        })
    })
}

fn person_png() -> Vec<u8> {
    common::encode(&person(), ImageFormat::Png)
}

fn request() -> TryOnRequest {
    TryOnRequest::new(person_png(), common::garment_png(400, 400))
        .with_category(GarmentCategory::Top)
}

/// What a [`Double`] answers with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    /// The mock's composition: the red garment on the person.
    Good,
    /// Flat grey.
    Blank,
    /// The good answer at half the size asked.
    HalfSize,
    /// The good answer squeezed to 4:3.
    Squeezed,
    /// The good answer with another person's head.
    OtherFace,
    /// The person as they came, without the garment.
    NoGarment,
}

/// A try-on provider that answers what the test says, call by call (the last answer repeats),
/// built on the mock's composition so that "good" is realistic.
#[derive(Debug)]
struct Double {
    answers: Vec<Answer>,
    seeds: bool,
    calls: AtomicU32,
    seen_seeds: Mutex<Vec<Option<u64>>>,
    mock: MockProvider,
    gate: Option<watch::Receiver<bool>>,
}

impl Double {
    fn new(answers: &[Answer], seeds: bool) -> Arc<Self> {
        Arc::new(Self::build(answers, seeds, None))
    }

    fn build(answers: &[Answer], seeds: bool, gate: Option<watch::Receiver<bool>>) -> Self {
        Double {
            answers: answers.to_vec(),
            seeds,
            calls: AtomicU32::new(0),
            seen_seeds: Mutex::new(Vec::new()),
            mock: MockProvider::new(),
            gate,
        }
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Paints another person's head over the test person's on the 1024² canvas: larger, lower and
/// to the side, darker skin framed by long fair hair, no features.
fn other_face(img: &mut RgbaImage) {
    let (cx, cy, rx, ry) = HEAD;
    let (ox, oy, orx, ory) = (CANVAS_X + cx + 30.0, cy + 12.0, rx * 1.25, ry * 1.1);
    let backdrop = img.get_pixel(0, 0).0;
    for y in 0..230u32 {
        for x in 380..680u32 {
            let (dx, dy) = ((x as f32 - ox) / orx, (y as f32 - oy) / ory);
            let px = if dx * dx + dy * dy < 1.0 {
                if dy < -0.2 || dx.abs() > 0.6 {
                    [225, 190, 110, 255]
                } else {
                    [120, 80, 60, 255]
                }
            } else if y < 200 {
                backdrop
            } else {
                continue;
            };
            img.put_pixel(x, y, Rgba(px));
        }
    }
}

fn answer(kind: Answer, request: &ProviderRequest, good: RgbaImage) -> RgbaImage {
    let (w, h) = good.dimensions();
    match kind {
        Answer::Good => good,
        Answer::Blank => RgbaImage::from_pixel(w, h, Rgba([118, 118, 118, 255])),
        Answer::HalfSize => {
            image::imageops::resize(&good, w / 2, h / 2, image::imageops::FilterType::Triangle)
        }
        Answer::Squeezed => {
            image::imageops::resize(&good, w, h * 3 / 4, image::imageops::FilterType::Triangle)
        }
        Answer::OtherFace => {
            let mut img = good;
            other_face(&mut img);
            img
        }
        Answer::NoGarment => (*request.person).clone(),
    }
}

#[async_trait::async_trait]
impl TryOnProvider for Double {
    fn name(&self) -> &str {
        "double"
    }
    fn model(&self) -> &str {
        "double-1"
    }
    fn prompt_version(&self) -> &str {
        "1"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            supports_seed: self.seeds,
            ..TryOnProvider::capabilities(&self.mock)
        }
    }
    async fn try_on(&self, request: ProviderRequest) -> Result<ProviderOutput> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) as usize;
        self.seen_seeds.lock().unwrap().push(request.seed);
        if let Some(gate) = &self.gate {
            let _ = gate.clone().wait_for(|open| *open).await;
        }
        let kind = self.answers[call.min(self.answers.len() - 1)];
        let mut output = self.mock.try_on(request.clone()).await?;
        let GeneratedImage::Pixels(good) = output.images.remove(0) else {
            panic!("the mock makes pixels")
        };
        output.images = vec![GeneratedImage::Pixels(answer(kind, &request, good))];
        Ok(output)
    }
}

fn engine(provider: Arc<dyn TryOnProvider>) -> Engine {
    Engine::builder().shared_provider(provider).build().unwrap()
}

fn failed_names(result: &fitview_engine::TryOnResult) -> Vec<CheckName> {
    result.failed_checks.iter().map(|c| c.name).collect()
}

#[tokio::test]
async fn the_good_answer_passes_every_check() {
    let double = Double::new(&[Answer::Good], false);
    let result = engine(double.clone()).try_on(request()).await.unwrap();
    assert!(!result.is_flagged(), "{:#?}", result.failed_checks);
    assert_eq!(result.cache, CacheStatus::Miss);
}

/// Each bad answer, from a provider without seeds, comes back flagged with exactly the check
/// that catches it (a blank frame fails everything that looks at content).
#[tokio::test]
async fn each_bad_answer_is_flagged_with_the_right_check() {
    let cases = [
        (
            Answer::Blank,
            vec![
                CheckName::NotBlank,
                CheckName::ColourVariety,
                CheckName::KeepsPerson,
                CheckName::ShowsGarment,
            ],
        ),
        (Answer::HalfSize, vec![CheckName::Size]),
        (Answer::Squeezed, vec![CheckName::Aspect]),
        (Answer::OtherFace, vec![CheckName::KeepsPerson]),
        (Answer::NoGarment, vec![CheckName::ShowsGarment]),
    ];
    for (kind, expected) in cases {
        let double = Double::new(&[kind], false);
        let result = engine(double.clone()).try_on(request()).await.unwrap();
        let mut names = failed_names(&result);
        names.dedup();
        if kind == Answer::Squeezed {
            // A squeezed frame is also a bit smaller; only the aspect must fail for sure.
            names.retain(|n| *n != CheckName::Size);
        }
        assert_eq!(names, expected, "{kind:?}: {:#?}", result.failed_checks);
        assert_eq!(double.calls(), 1, "{kind:?}: no seeds, no second call");
        assert_eq!(result.attempts, 1);
        for check in &result.failed_checks {
            assert!(!check.passed(), "{check:?}");
            assert_eq!(check.image, 0);
        }
        assert!(
            !result.images.is_empty(),
            "a flagged result still has its images"
        );
    }
}

#[tokio::test]
async fn a_seeded_provider_is_asked_once_more_and_the_good_second_answer_is_returned() {
    let double = Double::new(&[Answer::Blank, Answer::Good], true);
    let engine = engine(double.clone());
    let options = TryOnOptions {
        seed: Some(7),
        ..TryOnOptions::default()
    };
    let result = engine
        .try_on(request().with_options(options.clone()))
        .await
        .unwrap();
    assert!(!result.is_flagged(), "{:#?}", result.failed_checks);
    assert_eq!(double.calls(), 2);
    assert_eq!(result.attempts, 2);
    let seeds = double.seen_seeds.lock().unwrap().clone();
    assert_eq!(seeds[0], Some(7));
    assert!(matches!(seeds[1], Some(s) if s != 7), "{seeds:?}");
    // The good answer is cached like any other.
    let again = engine
        .try_on(request().with_options(options))
        .await
        .unwrap();
    assert_eq!(again.cache, CacheStatus::HitMemory);
    assert_eq!(double.calls(), 2);
}

#[tokio::test]
async fn without_a_seed_the_second_answer_still_gets_a_new_deterministic_seed() {
    let seeds_of = |double: &Double| double.seen_seeds.lock().unwrap().clone();
    let a = Double::new(&[Answer::Blank, Answer::Good], true);
    engine(a.clone()).try_on(request()).await.unwrap();
    let b = Double::new(&[Answer::Blank, Answer::Good], true);
    engine(b.clone()).try_on(request()).await.unwrap();
    let (a, b) = (seeds_of(&a), seeds_of(&b));
    assert_eq!(a[0], None);
    assert!(a[1].is_some());
    assert_eq!(a, b, "the same inputs retry with the same seed");
}

#[tokio::test]
async fn when_both_answers_fail_the_better_one_is_returned_flagged() {
    let double = Double::new(&[Answer::Blank, Answer::OtherFace], true);
    let result = engine(double.clone()).try_on(request()).await.unwrap();
    assert_eq!(double.calls(), 2);
    assert_eq!(failed_names(&result), [CheckName::KeepsPerson]);
    assert_eq!(result.attempts, 2);
}

#[tokio::test]
async fn a_flagged_result_is_neither_cached_nor_stored() {
    let double = Double::new(&[Answer::NoGarment], false);
    let store = ResultStore::in_memory();
    let engine = Engine::builder()
        .shared_provider(double.clone())
        .store(store.clone())
        .build()
        .unwrap();
    let first = engine.try_on(request()).await.unwrap();
    assert!(first.is_flagged());
    assert_eq!(first.cache, CacheStatus::Miss);
    assert!(engine.cached(&first.key).await.is_none());
    assert!(store.get(&first.key).await.unwrap().is_none());

    let second = engine.try_on(request()).await.unwrap();
    assert_eq!(second.cache, CacheStatus::Miss, "not a cache hit");
    assert!(second.is_flagged());
    assert_eq!(double.calls(), 2);
    assert_eq!(second.key, first.key);
    let stats = engine.cache_stats().await;
    assert_eq!(stats.outcomes.hits(), 0);
    assert_eq!(stats.memory_entries, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_identical_request_gets_an_error_not_the_flagged_images() {
    let (open, gate) = watch::channel(false);
    let double = Arc::new(Double::build(&[Answer::Blank], false, Some(gate)));
    let engine = engine(double.clone());
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.try_on(request()).await })
        })
        .collect();
    for _ in 0..2000 {
        if engine.cache_stats().await.requests >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    open.send(true).unwrap();
    let outcomes: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(double.calls(), 1, "the requests still coalesce");
    let flagged = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(r) if r.is_flagged()))
        .count();
    assert_eq!(flagged, 1, "{outcomes:?}");
    let waiter = outcomes.iter().find_map(|o| o.as_ref().err()).unwrap();
    assert!(
        matches!(waiter, Error::MalformedResponse { .. }),
        "{waiter}"
    );
    assert!(waiter.to_string().contains("not_blank"), "{waiter}");
}

#[tokio::test]
async fn the_json_result_lists_the_failed_checks() {
    let result = engine(Double::new(&[Answer::HalfSize], false))
        .try_on(request())
        .await
        .unwrap();
    let json = serde_json::to_value(&result).unwrap();
    let check = &json["failed_checks"][0];
    assert_eq!(check["name"], "size");
    assert_eq!(check["value"], 0.5);
    assert_eq!(check["threshold"], 0.9);
    assert_eq!(check["bound"], "at_least");
    assert!(json["timings"]["validate"].as_f64().is_some());
    let good = engine(Double::new(&[Answer::Good], false))
        .try_on(request())
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&good).unwrap()["failed_checks"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn with_validation_disabled_nothing_is_flagged() {
    let mut config = EngineConfig::default();
    config.validation.enabled = false;
    let double = Double::new(&[Answer::Blank], true);
    let engine = Engine::builder()
        .config(config)
        .shared_provider(double.clone())
        .build()
        .unwrap();
    let result = engine.try_on(request()).await.unwrap();
    assert!(!result.is_flagged());
    assert_eq!(double.calls(), 1);
}

/// A style provider answering flat grey.
#[derive(Debug)]
struct BlankStyles {
    seeds: bool,
    calls: AtomicU32,
}

#[async_trait::async_trait]
impl StyleProvider for BlankStyles {
    fn name(&self) -> &str {
        "blank-styles"
    }
    fn model(&self) -> &str {
        "b1"
    }
    fn prompt_version(&self) -> &str {
        "1"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            supports_seed: self.seeds,
            ..StyleProvider::capabilities(&MockProvider::new())
        }
    }
    async fn stylize(&self, request: StyleRequest) -> Result<ProviderOutput> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let (w, h) = request.image.dimensions();
        Ok(ProviderOutput {
            images: vec![GeneratedImage::Pixels(RgbaImage::from_pixel(
                w,
                h,
                Rgba([5, 5, 5, 255]),
            ))],
            ..ProviderOutput::default()
        })
    }
}

#[tokio::test]
async fn style_variations_get_the_image_checks() {
    let tryon = common::encode(&person(), ImageFormat::Png);
    let blank = Arc::new(BlankStyles {
        seeds: true,
        calls: AtomicU32::new(0),
    });
    let engine = Engine::builder()
        .provider(MockProvider::new())
        .style_provider(blank.clone())
        .build()
        .unwrap();
    let result = engine
        .variations(
            tryon.clone().into(),
            Style::Party,
            1,
            OutputOptions::default(),
        )
        .await
        .unwrap();
    let names: Vec<CheckName> = result.failed_checks.iter().map(|c| c.name).collect();
    assert_eq!(names, [CheckName::NotBlank, CheckName::ColourVariety]);
    assert_eq!(
        blank.calls.load(Ordering::SeqCst),
        2,
        "asked once more with a new seed"
    );
    assert_eq!(result.attempts, 2);

    // The mock's variations are good images of the asked size.
    let engine = Engine::builder()
        .provider(MockProvider::new())
        .style_provider(Arc::new(MockProvider::new()))
        .build()
        .unwrap();
    for style in [Style::Casual, Style::Formal, Style::Party] {
        let result = engine
            .variations(tryon.clone().into(), style, 2, OutputOptions::default())
            .await
            .unwrap();
        assert!(!result.is_flagged(), "{:#?}", result.failed_checks);
        assert_eq!(result.attempts, 1);
    }
}

fn fixtures(dir: &str, extensions: &[&str]) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
        })
        .collect();
    files.sort();
    files
}

/// The built-in providers' answers on the committed fixtures are never flagged: every person
/// with every garment, through the draft provider (category read from the garment) and the
/// mock. A draft try-on the provider itself declines (an input it cannot handle) is skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draft_and_mock_pass_the_checks_on_every_fixture() {
    use futures::StreamExt;

    let persons = fixtures("persons", &["jpg", "png"]);
    let garments = fixtures("garments", &["jpg", "png"]);
    assert!(persons.len() >= 4 && garments.len() >= 5);
    let draft = Engine::builder()
        .provider(DraftProvider::new())
        .build()
        .unwrap();
    let mock = Engine::builder()
        .provider(MockProvider::new())
        .build()
        .unwrap();
    let mut jobs = Vec::new();
    for person in &persons {
        for garment in &garments {
            for (provider, engine) in [("draft", &draft), ("mock", &mock)] {
                let name = format!(
                    "{provider}: {} + {}",
                    person.file_stem().unwrap().to_string_lossy(),
                    garment.file_stem().unwrap().to_string_lossy()
                );
                let request = TryOnRequest::new(
                    std::fs::read(person).unwrap(),
                    std::fs::read(garment).unwrap(),
                )
                .with_category(GarmentCategory::Auto);
                let engine = engine.clone();
                jobs.push(async move { (provider, name, engine.try_on(request).await) });
            }
        }
    }
    let outcomes: Vec<_> = futures::stream::iter(jobs)
        .buffer_unordered(4)
        .collect()
        .await;
    let mut checked = 0;
    let mut problems = Vec::new();
    for (provider, name, outcome) in outcomes {
        match outcome {
            Ok(result) => {
                checked += 1;
                if result.is_flagged() {
                    problems.push(format!("{name}: {:?}", result.failed_checks));
                }
            }
            Err(err) if provider == "draft" && err.is_input_error() => {}
            Err(err) => problems.push(format!("{name}: {err}")),
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        checked >= persons.len() * garments.len() * 3 / 2,
        "only {checked} checked"
    );
}
