//! A fake of xAI's image API: `POST /v1/images/generations` and `POST /v1/images/edits`.
//!
//! It checks what the real API checks (see `docs/providers.md`): `Authorization: Bearer` (a
//! wrong key is 400 "Incorrect API key provided", a missing one 401), JSON only (multipart edits
//! are 415), known fields (`size` is 400 "Argument not supported: size"), `n` 1-10, the aspect
//! ratio and resolution enums, `image` as an object (a bare string is rejected), `image` and
//! `images` (at most 3; 5 for `grok-imagine-image-2.0`) mutually exclusive, data-URI inputs,
//! `quality` `low|medium|high|auto`; and answers with real JPEG bytes in `b64_json` (output
//! follows the first input's aspect on edits), billed per image by the quality (2.0) or at the
//! $0.02 list price, or the moderation, credit and error shapes observed in practice, flat
//! (`{"code","error"}`) or nested (OpenAI style). `grok-imagine-image-quality`, retired on
//! 2026-11-02, is 404 like any unknown model.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::picture;
use crate::server::{FakeServer, RecordedRequest, Shared};

/// Models the fake serves.
pub const MODELS: [&str; 4] = [
    "grok-imagine-image",
    "grok-imagine-image-2.0",
    "grok-2-image",
    "grok-2-image-1212",
];
/// The model that takes `quality` and 5 source images.
const MODEL_2_0: &str = "grok-imagine-image-2.0";
const ASPECT_RATIOS: [&str; 14] = [
    "1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2", "9:19.5", "19.5:9", "9:20", "20:9", "1:2",
    "2:1", "auto",
];
const FIELDS: [&str; 10] = [
    "model",
    "prompt",
    "n",
    "response_format",
    "aspect_ratio",
    "resolution",
    "quality",
    "user",
    "image",
    "images",
];
const INVALID: &str = "Client specified an invalid argument";
/// $0.02 per image in xAI's ticks (1e-10 USD).
const TICKS_PER_IMAGE: u64 = 200_000_000;
/// What a 2.0 image costs at `quality` low, medium and high, in ticks: FitView's assumed
/// prices ($0.02, $0.04, $0.07; xAI's notes give none), so tests can tell the qualities apart.
const TICKS_2_0: [u64; 3] = [200_000_000, 400_000_000, 700_000_000];

/// What the fake does with a valid request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum XaiScenario {
    /// `n` real JPEG images in `b64_json`.
    Success,
    /// Success with `data:image/jpeg;base64,` before each `b64_json`.
    DataUriPrefix,
    /// 400 "Generated image rejected by content moderation." (flat shape, with usage).
    Moderated,
    /// 200 whose images carry `respect_moderation: false` and no bytes.
    ModerationFlag,
    /// 429 with a `Retry-After` header (seconds).
    RateLimited(u64),
    /// 429 with the plain-text "used all available credits or reached its monthly spending
    /// limit" body.
    CreditsExhausted,
    /// 500 in the nested OpenAI shape `{"error": {"message","type","code"}}`.
    ServerError,
    /// Waits this long, then succeeds.
    Slow(Duration),
    /// Sends half the body, then drops the connection.
    DroppedConnection,
    /// 200 whose JSON body is cut in half (the `Content-Length` matches the cut body).
    TruncatedJson,
    /// Success whose body is padded (in `revised_prompt`) to at least this many bytes.
    Oversized(usize),
}

impl FromStr for XaiScenario {
    type Err = String;

    /// The names accepted in the `x-fake-scenario` header and by the `fitview-fakes` binary.
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "success" => Self::Success,
            "data-uri" => Self::DataUriPrefix,
            "moderated" => Self::Moderated,
            "moderation-flag" => Self::ModerationFlag,
            "rate-limited" => Self::RateLimited(2),
            "credits" => Self::CreditsExhausted,
            "internal" => Self::ServerError,
            "slow" => Self::Slow(Duration::from_secs(2)),
            "dropped" => Self::DroppedConnection,
            "truncated" => Self::TruncatedJson,
            other => return Err(format!("unknown xAI fake scenario `{other}`")),
        })
    }
}

/// Starts xAI fakes.
#[derive(Debug)]
pub struct FakeXai;

impl FakeXai {
    /// A fake on a free loopback port accepting [`TEST_KEY`](crate::TEST_KEY).
    pub async fn start(scenario: XaiScenario) -> std::io::Result<FakeServer<XaiScenario>> {
        Self::start_on(scenario, crate::TEST_KEY, 0).await
    }

    /// A fake accepting `key`, on `port` (0 for any free port).
    pub async fn start_on(
        scenario: XaiScenario,
        key: &str,
        port: u16,
    ) -> std::io::Result<FakeServer<XaiScenario>> {
        let shared = Arc::new(Shared::new(scenario, key));
        let router = Router::new()
            .route(
                crate::RECORDED_REQUESTS_PATH,
                get(crate::server::recorded_requests::<XaiScenario>),
            )
            .fallback(handle)
            .layer(DefaultBodyLimit::max(50 * 1024 * 1024))
            .with_state(shared.clone());
        FakeServer::serve(router, shared, port).await
    }
}

type AppState = State<Arc<Shared<XaiScenario>>>;

async fn handle(State(shared): AppState, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    shared.record(RecordedRequest {
        path: uri.path().to_owned(),
        body: json.clone(),
        content_type: content_type.clone(),
    });
    let edit = match uri.path() {
        "/v1/images/generations" => false,
        "/v1/images/edits" => true,
        other => {
            return flat(
                StatusCode::NOT_FOUND,
                "Some requested entity was not found",
                &format!("No route for {other}"),
            );
        }
    };
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        None => {
            return flat(
                StatusCode::UNAUTHORIZED,
                "Request had invalid authentication credentials",
                "No API key provided. You can obtain an API key from https://console.x.ai.",
            );
        }
        Some(given) if given != shared.key => {
            return flat(
                StatusCode::BAD_REQUEST,
                INVALID,
                "Incorrect API key provided: xa***ey. You can obtain an API key from https://console.x.ai.",
            );
        }
        Some(_) => {}
    }
    if !content_type
        .as_deref()
        .unwrap_or_default()
        .starts_with("application/json")
    {
        return flat(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            INVALID,
            "Unsupported content type: the image API accepts application/json only",
        );
    }
    let Some(json) = json else {
        return flat(
            StatusCode::BAD_REQUEST,
            INVALID,
            "Failed to deserialize the JSON body into the target type",
        );
    };
    let checked = match validate(&json, edit) {
        Ok(checked) => checked,
        Err((status, message)) => return flat(status, INVALID, &message),
    };
    respond(shared.scenario(&headers), checked).await
}

struct Checked {
    n: u32,
    ticks_per_image: u64,
    prompt: String,
    aspect_ratio: Option<String>,
    input: Option<image::DynamicImage>,
    /// The other sources of a multi-image edit (a try-on's garments).
    others: Vec<image::DynamicImage>,
}

fn validate(body: &Value, edit: bool) -> Result<Checked, (StatusCode, String)> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let obj = body
        .as_object()
        .ok_or_else(|| bad("expected a JSON object".into()))?;
    for name in obj.keys() {
        if !FIELDS.contains(&name.as_str()) || (!edit && (name == "image" || name == "images")) {
            return Err(bad(format!("Argument not supported: {name}")));
        }
    }
    let model = obj
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("grok-imagine-image");
    if !MODELS.contains(&model) {
        return Err((
            StatusCode::NOT_FOUND,
            format!("The model {model} does not exist or your team does not have access to it."),
        ));
    }
    let prompt = obj
        .get("prompt")
        .and_then(Value::as_str)
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| bad("missing field `prompt`".into()))?;
    let n = match obj.get("n") {
        None => 1,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=10).contains(n))
            .ok_or_else(|| bad("n must be between 1 and 10".into()))? as u32,
    };
    if let Some(format) = obj.get("response_format")
        && !matches!(format.as_str(), Some("url" | "b64_json"))
    {
        return Err(bad(format!("Invalid response_format: {format}")));
    }
    let aspect_ratio = match obj.get("aspect_ratio") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .filter(|a| ASPECT_RATIOS.contains(a))
                .ok_or_else(|| bad(format!("Invalid aspect_ratio: {v}")))?
                .to_owned(),
        ),
    };
    if let Some(v) = obj.get("resolution")
        && !matches!(v.as_str(), Some("1k" | "2k"))
    {
        return Err(bad(format!("Invalid resolution: {v}")));
    }
    let ticks_per_image = match obj.get("quality") {
        None => TICKS_PER_IMAGE,
        Some(v) => match v.as_str() {
            Some("low" | "auto") => TICKS_2_0[0],
            Some("medium") => TICKS_2_0[1],
            Some("high") => TICKS_2_0[2],
            _ => return Err(bad(format!("Invalid quality: {v}"))),
        },
    };
    // `quality` only means something to 2.0; the others bill the list price.
    let ticks_per_image = if model == MODEL_2_0 {
        ticks_per_image
    } else {
        TICKS_PER_IMAGE
    };
    let max_sources = if model == MODEL_2_0 { 5 } else { 3 };
    let mut input = None;
    let mut others = Vec::new();
    if edit {
        let sources: Vec<&Value> = match (obj.get("image"), obj.get("images")) {
            (Some(_), Some(_)) => {
                return Err(bad("`image` and `images` are mutually exclusive".into()));
            }
            (Some(one), None) => vec![one],
            (None, Some(Value::Array(many))) if !many.is_empty() && many.len() <= max_sources => {
                many.iter().collect()
            }
            (None, Some(_)) => {
                return Err(bad(format!(
                    "`images` must hold 1 to {max_sources} images for {model}"
                )));
            }
            (None, None) => return Err(bad("an image edit needs `image` or `images`".into())),
        };
        for source in sources {
            let Some(url) = source
                .as_object()
                .and_then(|o| o.get("url"))
                .and_then(Value::as_str)
            else {
                return Err(bad(format!(
                    "invalid type: {}, expected struct ImageUrl",
                    kind(source)
                )));
            };
            let Some(data) = url
                .strip_prefix("data:")
                .and_then(|rest| rest.split_once(";base64,"))
                .map(|(_, d)| d)
            else {
                return Err(bad(
                    "Failed to fetch the image: only data URIs are reachable from the fake".into(),
                ));
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|_| bad("Invalid base64 image data".into()))?;
            let decoded = picture::load(&bytes)
                .ok_or_else(|| bad("Unsupported or corrupt input image".into()))?;
            if input.is_none() {
                input = Some(decoded);
            } else {
                others.push(decoded);
            }
        }
    }
    Ok(Checked {
        n,
        ticks_per_image,
        prompt: prompt.to_owned(),
        aspect_ratio,
        input,
        others,
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Array(_) => "sequence",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
        Value::Object(_) => "map",
    }
}

async fn respond(scenario: XaiScenario, request: Checked) -> Response {
    let usage = json!({"cost_in_usd_ticks": request.ticks_per_image * u64::from(request.n)});
    match scenario {
        XaiScenario::Success => json_response(StatusCode::OK, images(&request, "")),
        XaiScenario::DataUriPrefix => json_response(StatusCode::OK, images(&request, "data:image/jpeg;base64,")),
        XaiScenario::Slow(delay) => {
            tokio::time::sleep(delay).await;
            json_response(StatusCode::OK, images(&request, ""))
        }
        XaiScenario::Moderated => json_response(
            StatusCode::BAD_REQUEST,
            json!({"code": INVALID, "error": "Generated image rejected by content moderation.", "usage": usage}),
        ),
        XaiScenario::ModerationFlag => {
            let data: Vec<Value> = (0..request.n).map(|_| json!({"b64_json": "", "mime_type": "image/jpeg", "revised_prompt": "", "respect_moderation": false})).collect();
            json_response(StatusCode::OK, json!({"created": 1_776_527_939, "data": data, "usage": usage}))
        }
        XaiScenario::RateLimited(secs) => {
            let mut response = flat(StatusCode::TOO_MANY_REQUESTS, "Too many requests", "Too many requests: rate limit exceeded for your team.");
            if let Ok(value) = secs.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        XaiScenario::CreditsExhausted => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, "application/json")],
            "\"Your team 0f3c2b9e-1111-4222-8333-944455556666 has either used all available credits or reached its monthly spending limit. To continue making API requests, please purchase more credits or raise your spending limit.\"",
        )
            .into_response(),
        XaiScenario::ServerError => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": {"message": "The server had an error while processing your request.", "type": "server_error", "code": "internal_error"}}),
        ),
        XaiScenario::TruncatedJson => {
            let full = serde_json::to_vec(&images(&request, "")).unwrap_or_default();
            let cut = full[..full.len() / 2].to_vec();
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], cut).into_response()
        }
        XaiScenario::Oversized(bytes) => {
            let mut body = images(&request, "");
            if let Some(first) = body["data"].get_mut(0) {
                first["revised_prompt"] = json!("x".repeat(bytes));
            }
            json_response(StatusCode::OK, body)
        }
        XaiScenario::DroppedConnection => {
            let full = serde_json::to_vec(&images(&request, "")).unwrap_or_default();
            let half = Bytes::from(full[..full.len() / 2].to_vec());
            let stream = futures::stream::iter([Ok(half), Err(std::io::Error::other("fake dropped the connection"))]);
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// The success body: `n` JPEGs, each a little different, 1k on the long side, following the
/// input's aspect on edits and `aspect_ratio` on generations.
fn images(request: &Checked, prefix: &str) -> Value {
    let seed = request
        .prompt
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let base = match &request.input {
        Some(input) => {
            let (w, h) = (input.width().max(1), input.height().max(1));
            let scale = 1024.0 / f64::from(w.max(h));
            let size = (
                ((f64::from(w) * scale) as u32).max(1),
                ((f64::from(h) * scale) as u32).max(1),
            );
            if request.others.is_empty() {
                image::imageops::resize(
                    &input.to_rgba8(),
                    size.0,
                    size.1,
                    image::imageops::FilterType::Triangle,
                )
            } else {
                // A multi-image edit: the later sources laid over the first, as a try-on.
                picture::dressed(Some(input), &request.others, size)
            }
        }
        None => picture::gradient(
            picture::size_for(request.aspect_ratio.as_deref().unwrap_or("1:1"), 1024),
            [150, 160, 190],
        ),
    };
    let data: Vec<Value> = (0..request.n)
        .map(|i| {
            let img = picture::tinted(&base, seed.wrapping_add(u64::from(i) * 7919));
            let jpeg = picture::encode(&img, image::ImageFormat::Jpeg);
            json!({"b64_json": format!("{prefix}{}", base64::engine::general_purpose::STANDARD.encode(jpeg)), "mime_type": "image/jpeg", "revised_prompt": ""})
        })
        .collect();
    json!({"created": 1_776_527_939, "data": data, "usage": {"cost_in_usd_ticks": request.ticks_per_image * u64::from(request.n)}})
}

fn json_response(status: StatusCode, value: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&value).unwrap_or_default(),
    )
        .into_response()
}

/// The flat error shape xAI sends: `{"code": "<gRPC-ish text>", "error": "<message>"}`.
fn flat(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, json!({"code": code, "error": message}))
}
