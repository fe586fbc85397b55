//! A deterministic in-process provider for tests and demos, with injectable faults.
//!
//! It overlays the garment onto the person where the category says it goes, tinted by the seed
//! and sample index, so the same inputs and seed always give the same pixels and different seeds
//! give different ones. Faults queued with [`MockProvider::with_faults`] are returned by the next
//! calls in order, so tests can exercise the engine's retry and error handling.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use image::{Rgba, RgbaImage};

use super::{
    Capabilities, GeneratedImage, ProviderOutput, ProviderRequest, Style, StyleProvider,
    StyleRequest, TryOnProvider, Usage,
};
use crate::error::{Error, Result};
use crate::pipeline::resize;
use crate::request::GarmentCategory;

/// The mock's model id.
pub const MOCK_MODEL: &str = "mock-compositor-1";

/// A failure the mock returns instead of images.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// `Error::RateLimited` with this wait.
    RateLimited(Option<Duration>),
    /// `Error::Timeout` reported by the "upstream".
    Timeout,
    /// Never answers: the engine's own per-attempt timeout must fire.
    Hang,
    /// `Error::ContentPolicy` with this reason.
    Refusal(String),
    /// `Error::Unavailable` as from an HTTP 500.
    ServerError,
    /// `Error::Auth`.
    Auth,
    /// A response that is not an image.
    Malformed,
    /// A well-formed but blank image (flat grey, the canvas size): what a provider that answers
    /// without doing the work looks like. The engine's quality checks flag it.
    Blank,
    /// Answers with images, this much later than usual.
    Slow(Duration),
}

/// A fault name from configuration that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultParseError {
    /// No fault has this name.
    #[error("unknown mock fault `{0}` (known: {known})", known = Fault::NAMES.join(", "))]
    Unknown(String),
    /// The fault takes a number of milliseconds (`slow:2000`), and this is not one.
    #[error("mock fault `{0}` needs a number of milliseconds up to 600000, e.g. `slow:2000`")]
    BadMilliseconds(String),
}

impl Fault {
    /// The names [`FromStr`](std::str::FromStr) reads (`slow` and `rate_limited` take an optional `:<ms>`).
    pub const NAMES: [&'static str; 9] = [
        "rate_limited",
        "timeout",
        "hang",
        "refusal",
        "server_error",
        "auth",
        "malformed",
        "blank",
        "slow:<ms>",
    ];
}

impl std::str::FromStr for Fault {
    type Err = FaultParseError;

    /// Reads a fault as configuration names it: `rate_limited` (`rate_limited:<ms>` with a
    /// wait), `timeout`, `hang`, `refusal`, `server_error`, `auth`, `malformed`, `blank`,
    /// `slow:<ms>`.
    fn from_str(text: &str) -> std::result::Result<Self, FaultParseError> {
        let text = text.trim();
        let (name, argument) = match text.split_once(':') {
            Some((name, argument)) => (name, Some(argument)),
            None => (text, None),
        };
        let millis = || {
            argument
                .and_then(|a| a.trim().parse::<u64>().ok())
                .filter(|&ms| ms <= 600_000)
                .map(Duration::from_millis)
                .ok_or_else(|| FaultParseError::BadMilliseconds(text.to_owned()))
        };
        let fault = match (name, argument) {
            ("rate_limited", None) => Fault::RateLimited(None),
            ("rate_limited", Some(_)) => Fault::RateLimited(Some(millis()?)),
            ("slow", _) => Fault::Slow(millis()?),
            ("timeout", None) => Fault::Timeout,
            ("hang", None) => Fault::Hang,
            ("refusal", None) => Fault::Refusal("mock refusal (configured fault)".to_owned()),
            ("server_error", None) => Fault::ServerError,
            ("auth", None) => Fault::Auth,
            ("malformed", None) => Fault::Malformed,
            ("blank", None) => Fault::Blank,
            _ => return Err(FaultParseError::Unknown(text.to_owned())),
        };
        Ok(fault)
    }
}

/// The deterministic mock provider.
#[derive(Debug, Default)]
pub struct MockProvider {
    latency: Duration,
    usd_per_image: f64,
    faults: Mutex<VecDeque<Fault>>,
    calls: AtomicU32,
    in_flight: AtomicU32,
    most_in_flight: AtomicU32,
}

impl MockProvider {
    /// A mock that answers at once and never fails.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every call takes this long, its images made meanwhile (uses tokio's clock, so
    /// paused-time tests do not really wait).
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Every image costs this many US dollars (recorded in `usage`, priced in the capabilities),
    /// to rehearse spend caps.
    pub fn with_cost(mut self, usd_per_image: f64) -> Self {
        self.usd_per_image = usd_per_image.max(0.0);
        self
    }

    /// The next calls fail with these faults, in order; later calls succeed.
    pub fn with_faults(self, faults: impl IntoIterator<Item = Fault>) -> Self {
        self.queue_faults(faults);
        self
    }

    /// Queues faults for the calls after those already queued (e.g. mid-test, on a shared mock).
    pub fn queue_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        if let Ok(mut queue) = self.faults.lock() {
            queue.extend(faults);
        }
    }

    /// How many times the provider was called (successful or not).
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    /// The most calls in flight at the same time (try-on and style calls together).
    pub fn most_in_flight(&self) -> u32 {
        self.most_in_flight.load(Ordering::SeqCst)
    }

    /// One call: counts it and plays the next fault, or makes its images with `make(blank)`
    /// (`blank` for [`Fault::Blank`]). A remote service working while the client waits is what
    /// the mock stands for, so the images are made off the async threads while the latency
    /// runs: a call takes the latency, and longer only when making its images takes longer.
    async fn answer<F>(&self, make: F) -> Result<Vec<GeneratedImage>>
    where
        F: FnOnce(bool) -> Result<Vec<GeneratedImage>> + Send + 'static,
    {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let fault = self
            .faults
            .lock()
            .ok()
            .and_then(|mut queue| queue.pop_front());
        let _in_flight = InFlight::enter(self);
        let extra = match fault {
            Some(Fault::Slow(extra)) => extra,
            _ => Duration::ZERO,
        };
        let answered_at = tokio::time::Instant::now() + self.latency + extra;
        let blank = matches!(fault, Some(Fault::Blank));
        let error = match fault {
            None | Some(Fault::Blank) | Some(Fault::Slow(_)) => None,
            Some(Fault::Hang) => std::future::pending().await,
            Some(Fault::RateLimited(retry_after)) => Some(Error::RateLimited { retry_after }),
            Some(Fault::Timeout) => Some(Error::Timeout {
                after: self.latency,
            }),
            Some(Fault::Refusal(reason)) => Some(Error::ContentPolicy { reason }),
            Some(Fault::ServerError) => Some(Error::Unavailable {
                detail: "HTTP 500 from mock".to_owned(),
            }),
            Some(Fault::Auth) => Some(Error::Auth {
                detail: "mock rejects the key".to_owned(),
            }),
            Some(Fault::Malformed) => Some(Error::MalformedResponse {
                detail: "mock returned no image part".to_owned(),
            }),
        };
        if let Some(error) = error {
            tokio::time::sleep_until(answered_at).await;
            return Err(error);
        }
        let (images, ()) = tokio::join!(
            tokio::task::spawn_blocking(move || make(blank)),
            tokio::time::sleep_until(answered_at)
        );
        images?
    }

    fn usage(&self, images: usize) -> Usage {
        Usage {
            estimated_cost_usd: self.usd_per_image * images as f64,
            ..Usage::default()
        }
    }

    fn capabilities_all(&self) -> Capabilities {
        Capabilities {
            categories: GarmentCategory::ALL.to_vec(),
            max_garments: 4,
            canvas: (1024, 1024),
            supports_seed: true,
            max_samples: 4,
            pixel_aligned: true,
            styles: ["casual", "formal", "party", "color-variant", "background"]
                .map(str::to_owned)
                .to_vec(),
            cost_per_image_usd: self.usd_per_image,
        }
    }
}

/// Vertical band of the canvas (fractions of its height) where a category goes.
fn band(category: GarmentCategory) -> (f32, f32) {
    match category {
        GarmentCategory::Bottom | GarmentCategory::Lehenga => (0.50, 0.95),
        GarmentCategory::OnePiece | GarmentCategory::Saree | GarmentCategory::SalwarKameez => {
            (0.24, 0.9)
        }
        GarmentCategory::Kurta => (0.24, 0.7),
        GarmentCategory::Dupatta => (0.2, 0.6),
        _ => (0.24, 0.58),
    }
}

/// A small deterministic tint from the seed and sample index.
fn tint(seed: Option<u64>, sample: u8) -> [i16; 3] {
    let mut x = seed.unwrap_or(0) ^ (u64::from(sample) << 32) ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    let spread = |shift: u32| ((x >> shift) & 0x1f) as i16 - 16;
    [spread(0), spread(8), spread(16)]
}

/// Adds `delta` to every pixel's colour channels (clamped), through a table per channel.
fn shift_all(image: &mut RgbaImage, delta: [i16; 3]) {
    let table: [[u8; 256]; 3] =
        std::array::from_fn(|c| std::array::from_fn(|v| (v as i16 + delta[c]).clamp(0, 255) as u8));
    for px in image.pixels_mut() {
        for (channel, table) in px.0.iter_mut().zip(&table) {
            *channel = table[usize::from(*channel)];
        }
    }
}

fn compose(request: &ProviderRequest, sample: u8) -> Result<RgbaImage> {
    let mut out = (*request.person).clone();
    let (w, h) = out.dimensions();
    for garment in &request.garments {
        let (top, bottom) = band(garment.category);
        let target_h = ((bottom - top) * h as f32).max(1.0) as u32;
        let (gw, gh) = garment.image.dimensions();
        let target_w = ((gw as f32 * target_h as f32 / gh.max(1) as f32) as u32).clamp(1, w);
        let scaled = resize::resize_exact(&garment.image, target_w, target_h)?;
        resize::paste_over(
            &mut out,
            &scaled,
            (w - target_w) / 2,
            (top * h as f32) as u32,
        );
    }
    shift_all(&mut out, tint(request.seed, sample));
    Ok(out)
}

/// Flat grey at the size of `image`.
fn blank_like(image: &RgbaImage) -> RgbaImage {
    RgbaImage::from_pixel(image.width(), image.height(), Rgba([128, 128, 128, 255]))
}

fn stylize_image(image: &RgbaImage, style: &Style, sample: u8, seed: Option<u64>) -> RgbaImage {
    let base: [i16; 3] = match style {
        Style::Casual => [12, 6, -8],
        Style::Formal => [-6, -4, 10],
        Style::Party => [18, -10, 22],
        Style::ColorVariant { color } => {
            let h = blake3::hash(color.as_bytes());
            let b = h.as_bytes();
            [
                i16::from(b[0] % 48) - 24,
                i16::from(b[1] % 48) - 24,
                i16::from(b[2] % 48) - 24,
            ]
        }
        Style::Background { .. } => [0, 8, 16],
        #[allow(unreachable_patterns)]
        _ => [0, 0, 0],
    };
    let extra = tint(seed, sample);
    let delta = [
        base[0] + extra[0] / 4,
        base[1] + extra[1] / 4,
        base[2] + extra[2] / 4,
    ];
    let mut out = image.clone();
    shift_all(&mut out, delta);
    out
}

#[async_trait::async_trait]
impl TryOnProvider for MockProvider {
    fn name(&self) -> &str {
        "mock"
    }

    fn model(&self) -> &str {
        MOCK_MODEL
    }

    fn prompt_version(&self) -> &str {
        "mock-1"
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities_all()
    }

    async fn try_on(&self, request: ProviderRequest) -> Result<ProviderOutput> {
        let images = self
            .answer(move |blank| {
                (0..request.samples.max(1))
                    .map(|sample| {
                        Ok(GeneratedImage::Pixels(if blank {
                            blank_like(&request.person)
                        } else {
                            compose(&request, sample)?
                        }))
                    })
                    .collect()
            })
            .await?;
        Ok(ProviderOutput {
            usage: self.usage(images.len()),
            images,
            metadata: serde_json::Map::new(),
        })
    }
}

#[async_trait::async_trait]
impl StyleProvider for MockProvider {
    fn name(&self) -> &str {
        "mock"
    }

    fn model(&self) -> &str {
        MOCK_MODEL
    }

    fn prompt_version(&self) -> &str {
        "mock-1"
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities_all()
    }

    async fn stylize(&self, request: StyleRequest) -> Result<ProviderOutput> {
        let images = self
            .answer(move |blank| {
                Ok((0..request.samples.max(1))
                    .map(|sample| {
                        GeneratedImage::Pixels(if blank {
                            blank_like(&request.image)
                        } else {
                            stylize_image(&request.image, &request.style, sample, request.seed)
                        })
                    })
                    .collect())
            })
            .await?;
        Ok(ProviderOutput {
            usage: self.usage(images.len()),
            images,
            metadata: serde_json::Map::new(),
        })
    }
}

/// Counts a call as in flight until dropped (also when the caller gives up on it).
struct InFlight<'a>(&'a AtomicU32);

impl<'a> InFlight<'a> {
    fn enter(mock: &'a MockProvider) -> Self {
        let now = mock.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        mock.most_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(&mock.in_flight)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::conformance;

    #[tokio::test]
    async fn mock_passes_the_provider_conformance_suite() {
        conformance::run_all(&MockProvider::new(), conformance::Expectations::seeded()).await;
    }

    #[tokio::test]
    async fn mock_passes_the_style_conformance_suite() {
        conformance::run_all_styles(&MockProvider::new()).await;
    }

    #[tokio::test]
    async fn faults_come_in_order_then_calls_succeed() {
        let mock = MockProvider::new().with_faults([
            Fault::Refusal("IMAGE_SAFETY".into()),
            Fault::RateLimited(None),
            Fault::Blank,
        ]);
        let request =
            conformance::sample_request(&TryOnProvider::capabilities(&mock), GarmentCategory::Top);
        let first = mock.try_on(request.clone()).await.unwrap_err();
        assert!(matches!(first, Error::ContentPolicy { reason } if reason == "IMAGE_SAFETY"));
        let second = mock.try_on(request.clone()).await.unwrap_err();
        assert!(matches!(second, Error::RateLimited { .. }));
        let distinct_colours = |output: ProviderOutput| {
            let GeneratedImage::Pixels(px) = &output.images[0] else {
                panic!("pixels expected")
            };
            px.pixels().collect::<std::collections::HashSet<_>>().len()
        };
        let blank = mock.try_on(request.clone()).await.unwrap();
        assert_eq!(
            distinct_colours(blank),
            1,
            "a blank answer is one flat colour"
        );
        let good = mock.try_on(request).await.unwrap();
        assert!(distinct_colours(good) > 1);
        assert_eq!(mock.calls(), 4);
    }

    #[tokio::test]
    async fn styles_differ_from_each_other() {
        let mock = MockProvider::new();
        let image = std::sync::Arc::new(RgbaImage::from_pixel(8, 8, Rgba([120, 120, 120, 255])));
        let mut outputs = Vec::new();
        for style in [Style::Casual, Style::Formal, Style::Party] {
            let out = mock
                .stylize(StyleRequest {
                    image: image.clone(),
                    style,
                    samples: 1,
                    seed: None,
                })
                .await
                .unwrap();
            let GeneratedImage::Pixels(px) = &out.images[0] else {
                panic!("pixels expected")
            };
            outputs.push(px.get_pixel(0, 0).0);
        }
        assert_ne!(outputs[0], outputs[1]);
        assert_ne!(outputs[1], outputs[2]);
    }

    #[test]
    fn faults_parse_from_their_configuration_names_with_typed_errors() {
        assert_eq!(
            "rate_limited".parse::<Fault>(),
            Ok(Fault::RateLimited(None))
        );
        assert_eq!(
            "slow:2000".parse::<Fault>(),
            Ok(Fault::Slow(Duration::from_millis(2000)))
        );
        assert_eq!(
            "rate_limited:1500".parse::<Fault>(),
            Ok(Fault::RateLimited(Some(Duration::from_millis(1500))))
        );
        assert!(matches!("refusal".parse::<Fault>(), Ok(Fault::Refusal(_))));
        assert_eq!(
            "rate-limited".parse::<Fault>(),
            Err(FaultParseError::Unknown("rate-limited".into()))
        );
        assert_eq!(
            "slow".parse::<Fault>(),
            Err(FaultParseError::BadMilliseconds("slow".into()))
        );
        assert_eq!(
            "slow:soon".parse::<Fault>(),
            Err(FaultParseError::BadMilliseconds("slow:soon".into()))
        );
        let message = "explode".parse::<Fault>().unwrap_err().to_string();
        assert!(
            message.contains("known: rate_limited, timeout"),
            "{message}"
        );
    }
}
