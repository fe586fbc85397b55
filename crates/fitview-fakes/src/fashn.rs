//! A fake of FASHN's asynchronous API: `POST /v1/run`, `GET /v1/status/{id}`, and the result
//! files a completed prediction links to.
//!
//! It checks what FASHN checks (see `docs/providers.md`): `Authorization: Bearer` (a missing or
//! wrong key is 401 `UnauthorizedAccess`), a JSON body with a known `model_name` and `inputs`
//! holding `model_image` and `garment_image` as data URIs of real images, the documented enums
//! (`category`, `garment_photo_type`, `mode`, `moderation_level`, `output_format`), `num_samples`
//! 1-4 and no unknown input (400 `BadRequest`). A prediction then walks `starting → in_queue →
//! processing → completed` one step per poll; its output is data URIs with `return_base64` and
//! otherwise URLs this fake serves under `/cdn/`. `x-fashn-credits-used` comes with the
//! terminal status. Scenarios, picked when the prediction is submitted, give every named
//! error, the 429s, a 5xx, a prediction that never finishes, and output on a foreign host.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::picture;
use crate::server::{FakeServer, RecordedRequest, Shared};

/// Models the fake serves.
pub const MODELS: [&str; 2] = ["tryon-v1.6", "tryon-max"];
const INPUTS: [&str; 11] = [
    "model_image",
    "garment_image",
    "category",
    "garment_photo_type",
    "mode",
    "moderation_level",
    "num_samples",
    "seed",
    "segmentation_free",
    "output_format",
    "return_base64",
];
/// Polls a prediction takes to complete (`starting`, `in_queue`, `processing`, then done).
const POLLS_TO_FINISH: u32 = 3;

/// What the fake does with a valid run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FashnScenario {
    /// Completes after a few polls; output as the request asked (data URIs or URLs).
    Success,
    /// Completes with URLs on this fake even when data URIs were asked for.
    UrlOutput,
    /// Completes with a URL on a host that is neither FASHN's nor the fake's.
    ForeignUrl,
    /// The prediction fails with this runtime error name (`ContentModerationError`,
    /// `PoseError`, `ImageLoadError`, `InputValidationError`, `PipelineError`, ...).
    Fails(String),
    /// Stays `processing` for ever.
    NeverCompletes,
    /// The first status poll answers 500, the prediction then completes.
    FlakyStatus,
    /// `/v1/run` answers 429 `RateLimitExceeded` with `Retry-After` (seconds).
    RateLimited(u64),
    /// `/v1/run` answers 429 `ConcurrencyLimitExceeded`.
    ConcurrencyLimited,
    /// `/v1/run` answers 429 `OutOfCredits`.
    OutOfCredits,
    /// `/v1/run` answers 500 `InternalServerError`.
    ServerError,
}

impl FromStr for FashnScenario {
    type Err = String;

    /// The names accepted in the `x-fake-scenario` header and by the `fitview-fakes` binary.
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "success" => Self::Success,
            "url" => Self::UrlOutput,
            "foreign-url" => Self::ForeignUrl,
            "moderated" => Self::Fails("ContentModerationError".into()),
            "pose" => Self::Fails("PoseError".into()),
            "image-load" => Self::Fails("ImageLoadError".into()),
            "validation" => Self::Fails("InputValidationError".into()),
            "pipeline" => Self::Fails("PipelineError".into()),
            "never" => Self::NeverCompletes,
            "flaky-status" => Self::FlakyStatus,
            "rate-limited" => Self::RateLimited(2),
            "concurrency" => Self::ConcurrencyLimited,
            "out-of-credits" => Self::OutOfCredits,
            "internal" => Self::ServerError,
            other => return Err(format!("unknown FASHN fake scenario `{other}`")),
        })
    }
}

/// One submitted prediction.
#[derive(Debug, Clone)]
struct Prediction {
    scenario: FashnScenario,
    polls: u32,
    /// Encoded output images (PNG or JPEG as asked).
    images: Vec<Vec<u8>>,
    mime: &'static str,
    return_base64: bool,
}

#[derive(Debug, Clone)]
struct FashnState {
    shared: Arc<Shared<FashnScenario>>,
    predictions: Arc<Mutex<HashMap<String, Prediction>>>,
}

impl FromRef<FashnState> for Arc<Shared<FashnScenario>> {
    fn from_ref(state: &FashnState) -> Self {
        state.shared.clone()
    }
}

/// Starts FASHN fakes.
#[derive(Debug)]
pub struct FakeFashn;

impl FakeFashn {
    /// A fake on a free loopback port accepting [`TEST_KEY`](crate::TEST_KEY).
    pub async fn start(scenario: FashnScenario) -> std::io::Result<FakeServer<FashnScenario>> {
        Self::start_on(scenario, crate::TEST_KEY, 0).await
    }

    /// A fake accepting `key`, on `port` (0 for any free port).
    pub async fn start_on(
        scenario: FashnScenario,
        key: &str,
        port: u16,
    ) -> std::io::Result<FakeServer<FashnScenario>> {
        let shared = Arc::new(Shared::new(scenario, key));
        let state = FashnState {
            shared: shared.clone(),
            predictions: Arc::default(),
        };
        let router = Router::new()
            .route(
                crate::RECORDED_REQUESTS_PATH,
                get(crate::server::recorded_requests::<FashnScenario>),
            )
            .route("/v1/run", post(run))
            .route("/v1/status/{id}", get(status))
            .route("/cdn/{id}/{file}", get(cdn))
            .fallback(|| async {
                api_error(StatusCode::NOT_FOUND, "NotFound", "Endpoint not found")
            })
            .layer(DefaultBodyLimit::max(50 * 1024 * 1024))
            .with_state(state);
        FakeServer::serve(router, shared, port).await
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn authorized(shared: &Shared<FashnScenario>, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| given == shared.key)
}

fn unauthorized() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "UnauthorizedAccess",
        "Unauthorized: Invalid token",
    )
}

async fn run(
    State(state): State<FashnState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    state.shared.record(RecordedRequest {
        path: uri.to_string(),
        body: json.clone(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    if !authorized(&state.shared, &headers) {
        return unauthorized();
    }
    let Some(json) = json else {
        return api_error(StatusCode::BAD_REQUEST, "BadRequest", "Invalid JSON body");
    };
    let checked = match validate(&json) {
        Ok(checked) => checked,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, "BadRequest", &message),
    };
    let scenario = state.shared.scenario(&headers);
    match &scenario {
        FashnScenario::RateLimited(secs) => {
            let mut response = api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimitExceeded",
                "Too many requests. Please slow down.",
            );
            if let Ok(value) = secs.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        FashnScenario::ConcurrencyLimited => {
            return api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "ConcurrencyLimitExceeded",
                "Concurrency limit of 6 predictions exceeded",
            );
        }
        FashnScenario::OutOfCredits => {
            return api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "OutOfCredits",
                "Your account has run out of API credits",
            );
        }
        FashnScenario::ServerError => {
            return api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "An unexpected error occurred",
            );
        }
        _ => {}
    }
    let mut predictions = lock(&state.predictions);
    let id = format!(
        "fake{:08x}-4129-4bb3-be18-9c9fb5bd7fc1-u1",
        predictions.len() + 1
    );
    predictions.insert(
        id.clone(),
        Prediction {
            scenario,
            polls: 0,
            images: checked.images,
            mime: checked.mime,
            return_base64: checked.return_base64,
        },
    );
    json_response(StatusCode::OK, json!({"id": id, "error": null}), None)
}

struct Checked {
    images: Vec<Vec<u8>>,
    mime: &'static str,
    return_base64: bool,
}

fn validate(body: &Value) -> Result<Checked, String> {
    let model = body
        .get("model_name")
        .and_then(Value::as_str)
        .ok_or("model_name is required")?;
    if !MODELS.contains(&model) {
        return Err(format!("Unknown model_name: {model}"));
    }
    let inputs = body
        .get("inputs")
        .and_then(Value::as_object)
        .ok_or("inputs is required")?;
    if let Some(unknown) = inputs.keys().find(|k| !INPUTS.contains(&k.as_str())) {
        return Err(format!("inputs.{unknown} is not a valid parameter"));
    }
    let enum_field = |name: &str, allowed: &[&str]| -> Result<(), String> {
        match inputs.get(name) {
            None => Ok(()),
            Some(v) if v.as_str().is_some_and(|s| allowed.contains(&s)) => Ok(()),
            Some(v) => Err(format!(
                "inputs.{name} must be one of {}, got {v}",
                allowed.join(", ")
            )),
        }
    };
    enum_field("category", &["auto", "tops", "bottoms", "one-pieces"])?;
    enum_field("garment_photo_type", &["auto", "flat-lay", "model"])?;
    enum_field("mode", &["performance", "balanced", "quality"])?;
    enum_field("moderation_level", &["conservative", "permissive", "none"])?;
    enum_field("output_format", &["png", "jpeg"])?;
    let samples = match inputs.get("num_samples") {
        None => 1,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=4).contains(n))
            .ok_or("inputs.num_samples must be an integer from 1 to 4")?,
    };
    if inputs.get("seed").is_some_and(|s| !s.is_u64()) {
        return Err("inputs.seed must be a non-negative integer".into());
    }
    for flag in ["segmentation_free", "return_base64"] {
        if inputs.get(flag).is_some_and(|v| !v.is_boolean()) {
            return Err(format!("inputs.{flag} must be a boolean"));
        }
    }
    let image = |name: &str| -> Result<image::DynamicImage, String> {
        let uri = inputs
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("inputs.{name} is required"))?;
        let data = uri
            .strip_prefix("data:")
            .and_then(|rest| rest.split_once(";base64,"))
            .map(|(_, d)| d)
            .ok_or_else(|| format!("inputs.{name}: only data URIs are reachable from the fake"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| format!("inputs.{name} is not valid base64"))?;
        picture::load(&bytes).ok_or_else(|| format!("inputs.{name} is not an image"))
    };
    let person = image("model_image")?;
    let garment = image("garment_image")?;
    let (format, mime) = match inputs.get("output_format").and_then(Value::as_str) {
        Some("jpeg") => (image::ImageFormat::Jpeg, "image/jpeg"),
        _ => (image::ImageFormat::Png, "image/png"),
    };
    let seed = inputs.get("seed").and_then(Value::as_u64).unwrap_or(42);
    // FASHN answers at the person photo's size (its processing resolution, scaled back).
    let dressed = picture::dressed(Some(&person), &[garment], (person.width(), person.height()));
    let images = (0..samples)
        .map(|i| {
            picture::encode(
                &picture::tinted(&dressed, seed.wrapping_add(i * 7919)),
                format,
            )
        })
        .collect();
    Ok(Checked {
        images,
        mime,
        return_base64: inputs
            .get("return_base64")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

async fn status(
    State(state): State<FashnState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    state.shared.record(RecordedRequest {
        path: uri.to_string(),
        body: None,
        content_type: None,
    });
    if !authorized(&state.shared, &headers) {
        return unauthorized();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let mut predictions = lock(&state.predictions);
    let Some(prediction) = predictions.get_mut(&id) else {
        return api_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Prediction not found or no longer tracked",
        );
    };
    prediction.polls += 1;
    let polls = prediction.polls;
    let pending = |status: &str| {
        json_response(
            StatusCode::OK,
            json!({"id": id, "status": status, "output": null, "error": null}),
            None,
        )
    };
    if prediction.scenario == FashnScenario::FlakyStatus && polls == 1 {
        return api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "An unexpected error occurred",
        );
    }
    if prediction.scenario == FashnScenario::NeverCompletes || polls < POLLS_TO_FINISH {
        return pending(match polls {
            1 => "starting",
            2 => "in_queue",
            _ => "processing",
        });
    }
    if let FashnScenario::Fails(name) = &prediction.scenario {
        let message = match name.as_str() {
            "ContentModerationError" => "The garment image was flagged by content moderation",
            "PoseError" => "Could not detect a body pose in the model image",
            "ImageLoadError" => {
                "Error loading model image: The URL's Content-Type is not an image. Content-Type: text/plain;charset=UTF-8"
            }
            "InputValidationError" => "category must be one of tops, bottoms, one-pieces, auto",
            _ => "The pipeline failed unexpectedly",
        };
        return json_response(
            StatusCode::OK,
            json!({"id": id, "status": "failed", "error": {"name": name, "message": message}}),
            Some("0"),
        );
    }
    let extension = if prediction.mime == "image/png" {
        "png"
    } else {
        "jpeg"
    };
    let output: Vec<String> = prediction
        .images
        .iter()
        .enumerate()
        .map(|(i, bytes)| match prediction.scenario {
            FashnScenario::ForeignUrl => {
                format!("https://files.example.com/{id}/output_{i}.{extension}")
            }
            FashnScenario::UrlOutput => format!("http://{host}/cdn/{id}/output_{i}.{extension}"),
            _ if prediction.return_base64 => format!(
                "data:{};base64,{}",
                prediction.mime,
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ),
            _ => format!("http://{host}/cdn/{id}/output_{i}.{extension}"),
        })
        .collect();
    let credits = prediction.images.len().to_string();
    json_response(
        StatusCode::OK,
        json!({"id": id, "status": "completed", "output": output, "error": null}),
        Some(&credits),
    )
}

/// A completed prediction's output file, as FASHN's CDN serves it (no key needed).
async fn cdn(
    State(state): State<FashnState>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let predictions = lock(&state.predictions);
    let image = predictions.get(&id).and_then(|p| {
        let index: usize = file
            .strip_prefix("output_")?
            .split_once('.')?
            .0
            .parse()
            .ok()?;
        Some((p.images.get(index)?.clone(), p.mime))
    });
    match image {
        Some((bytes, mime)) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, mime)], bytes).into_response()
        }
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

fn json_response(status: StatusCode, value: Value, credits: Option<&str>) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&value).unwrap_or_default(),
    )
        .into_response();
    if let Some(value) = credits.and_then(|c| c.parse().ok()) {
        response.headers_mut().insert("x-fashn-credits-used", value);
    }
    response
}

/// FASHN's API-level error shape: `{"error": "<Name>", "message": "..."}`.
fn api_error(status: StatusCode, name: &str, message: &str) -> Response {
    json_response(status, json!({"error": name, "message": message}), None)
}
