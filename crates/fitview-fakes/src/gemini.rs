//! A fake of the Gemini API's `generateContent` with image output.
//!
//! What it checks and answers follows `docs/providers.md` ("What the fakes mimic"):
//! the key (`x-goog-api-key` or `?key=`; a bad key is 400 `INVALID_ARGUMENT` with
//! `ErrorInfo.reason = API_KEY_INVALID`, as Google answers; on Vertex AI project paths only
//! `Authorization: Bearer`, an API key there is 401 `UNAUTHENTICATED`), the model
//! (unknown or retired ids are 404 `NOT_FOUND` with the recorded message), the body (camelCase
//! or snake_case field names, unknown names rejected like the real API, base64 in either
//! alphabet, image MIME types, at most 14 images, `imageSize` with an upper-case K, a known
//! aspect ratio), and answers with real PNG bytes of the asked aspect ratio and size.

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

/// Models the fake serves (current GA ids, Nano Banana 2 Lite, and the 2.5 model until its
/// shutdown).
pub const MODELS: [&str; 4] = [
    "gemini-3.1-flash-lite-image",
    "gemini-3.1-flash-image",
    "gemini-3-pro-image",
    "gemini-2.5-flash-image",
];
/// Models that make 1K images only: asked for another size, the fake answers 400.
const ONLY_1K: [&str; 1] = ["gemini-3.1-flash-lite-image"];
/// Request bodies above this are refused (the Gemini API's inline limit since 2026-01).
const MAX_BODY: usize = 100 * 1024 * 1024;
const MAX_IMAGES: usize = 14;
const ASPECT_RATIOS: [&str; 14] = [
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "1:4", "4:1", "1:8",
    "8:1",
];
const MIME_TYPES: [&str; 5] = [
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/heic",
    "image/heif",
];

/// How an answer without an image is shaped (all HTTP 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `promptFeedback.blockReason: PROHIBITED_CONTENT`, no candidates.
    PromptBlocked,
    /// `finishReason: IMAGE_SAFETY` with `parts: null` and a `finishMessage`.
    ImageSafety,
    /// `finishReason: PROHIBITED_CONTENT` with no `content` at all.
    ProhibitedContent,
    /// `finishReason: NO_IMAGE` with a text part.
    NoImage,
    /// `finishReason: IMAGE_OTHER` with `content: {}`.
    ImageOther,
    /// `finishReason: IMAGE_RECITATION` with `content: {"role": "model"}`.
    ImageRecitation,
    /// `finishReason: SAFETY` with `parts: []`.
    Safety,
    /// `finishReason: STOP` with text parts only: the model answered in words.
    TextOnly,
    /// `candidates: []`.
    EmptyCandidates,
}

/// What the fake does with a request (after checking the key, the model and the body).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GeminiScenario {
    /// A real image: for Gemini 3 models after an interim thought image and a text part, with
    /// `thoughtSignature`, usage metadata and unknown extra fields (`serviceTier`).
    Success,
    /// Success whose part declares `image/png` but carries JPEG bytes (a known quirk).
    JpegDeclaredPng,
    /// A refusal of the given shape.
    Refusal(Refusal),
    /// 429 `RESOURCE_EXHAUSTED` with `QuotaFailure` and `RetryInfo.retryDelay` (seconds, may be
    /// fractional) and no `Retry-After` header; `per_day` names a daily quota.
    RateLimited {
        /// The `retryDelay` value, e.g. `"3.5s"`.
        retry_delay: String,
        /// Whether the exhausted quota is a per-day one.
        per_day: bool,
    },
    /// A `google.rpc.Status` error with this HTTP status (`403`, `400` precondition, `500`,
    /// `503`, `504`).
    Status(u16),
    /// 502 with an HTML page, as a proxy answers.
    BadGatewayHtml,
    /// Waits this long, then succeeds.
    Slow(Duration),
    /// 200 whose JSON body is cut in half (the `Content-Length` matches the cut body).
    TruncatedJson,
    /// Sends half the body, then drops the connection.
    DroppedConnection,
    /// Success padded with a text part to at least this many bytes.
    Oversized(usize),
    /// Success whose image part holds bytes that are not an image.
    NotAnImage,
}

impl FromStr for GeminiScenario {
    type Err = String;

    /// The names accepted in the `x-fake-scenario` header and by the `fitview-fakes` binary.
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "success" => Self::Success,
            "jpeg-as-png" => Self::JpegDeclaredPng,
            "blocked" => Self::Refusal(Refusal::PromptBlocked),
            "image-safety" => Self::Refusal(Refusal::ImageSafety),
            "prohibited" => Self::Refusal(Refusal::ProhibitedContent),
            "no-image" => Self::Refusal(Refusal::NoImage),
            "image-other" => Self::Refusal(Refusal::ImageOther),
            "image-recitation" => Self::Refusal(Refusal::ImageRecitation),
            "safety" => Self::Refusal(Refusal::Safety),
            "text-only" => Self::Refusal(Refusal::TextOnly),
            "empty-candidates" => Self::Refusal(Refusal::EmptyCandidates),
            "quota" => Self::RateLimited {
                retry_delay: "3s".into(),
                per_day: false,
            },
            "quota-daily" => Self::RateLimited {
                retry_delay: "3s".into(),
                per_day: true,
            },
            "forbidden" => Self::Status(403),
            "precondition" => Self::Status(400),
            "internal" => Self::Status(500),
            "overloaded" => Self::Status(503),
            "deadline" => Self::Status(504),
            "bad-gateway" => Self::BadGatewayHtml,
            "slow" => Self::Slow(Duration::from_secs(2)),
            "truncated" => Self::TruncatedJson,
            "dropped" => Self::DroppedConnection,
            "not-image" => Self::NotAnImage,
            other => return Err(format!("unknown Gemini fake scenario `{other}`")),
        })
    }
}

/// Starts Gemini fakes.
#[derive(Debug)]
pub struct FakeGemini;

impl FakeGemini {
    /// A fake on a free loopback port accepting [`TEST_KEY`](crate::TEST_KEY).
    pub async fn start(scenario: GeminiScenario) -> std::io::Result<FakeServer<GeminiScenario>> {
        Self::start_on(scenario, crate::TEST_KEY, 0).await
    }

    /// A fake accepting `key`, on `port` (0 for any free port).
    pub async fn start_on(
        scenario: GeminiScenario,
        key: &str,
        port: u16,
    ) -> std::io::Result<FakeServer<GeminiScenario>> {
        let shared = Arc::new(Shared::new(scenario, key));
        let router = Router::new()
            .route(
                crate::RECORDED_REQUESTS_PATH,
                get(crate::server::recorded_requests::<GeminiScenario>),
            )
            .fallback(handle)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(shared.clone());
        FakeServer::serve(router, shared, port).await
    }
}

type AppState = State<Arc<Shared<GeminiScenario>>>;

async fn handle(State(shared): AppState, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    shared.record(RecordedRequest {
        path: uri.path().to_owned(),
        body: json.clone(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    let path = uri.path();
    // Vertex AI's project form; its "express mode" path (`/v1/publishers/google/models/...`,
    // no project) takes an API key like the Gemini API.
    let vertex = path.contains("/projects/") && path.contains("/publishers/google/models/");
    if let Some(failure) = check_key(&shared.key, &headers, uri.query(), vertex) {
        return failure;
    }
    let Some((model, method)) = path
        .rsplit_once("/models/")
        .and_then(|(_, rest)| rest.split_once(':'))
    else {
        return status_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("The requested URL {path} was not found on this server."),
            vec![],
        );
    };
    if !MODELS.contains(&model) || method != "generateContent" {
        return status_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!(
                "models/{model} is not found for API version v1beta, or is not supported for {method}. Call ListModels to see the list of available models and their supported methods."
            ),
            vec![
                json!({"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": "[ORIGINAL ERROR] generic::not_found: fake"}),
            ],
        );
    }
    let Some(json) = json else {
        return invalid_argument("Invalid JSON payload received. Expected a JSON object.");
    };
    let request = match validate(&json) {
        Ok(request) => request,
        Err(message) => return invalid_argument(&message),
    };
    if ONLY_1K.contains(&model)
        && let Some(size) = request.image_size.as_deref().filter(|s| *s != "1K")
    {
        return invalid_argument(&format!(
            "Image size {size} is not supported by models/{model}; it supports 1K only."
        ));
    }
    let scenario = shared.scenario(&headers);
    respond(scenario, model, request).await
}

/// Checks the key; `Some(answer)` when it is missing or wrong.
fn check_key(
    key: &str,
    headers: &HeaderMap,
    query: Option<&str>,
    vertex: bool,
) -> Option<Response> {
    let header_key = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok());
    let query_key = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("key=")));
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if vertex {
        // Vertex AI's project paths take OAuth access tokens only; an API key, in the header or
        // the query, is refused whatever its value (as `aiplatform.googleapis.com` does).
        if header_key.is_some() || query_key.is_some() {
            return Some(status_error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "API keys are not supported by this API. Expected OAuth2 access token or other authentication credentials that assert a principal. See https://cloud.google.com/docs/authentication",
                vec![
                    json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CREDENTIALS_MISSING",
                            "domain": "googleapis.com", "metadata": {"service": "aiplatform.googleapis.com", "method": "google.cloud.aiplatform.v1.PredictionService.GenerateContent"}}),
                ],
            ));
        }
        return (bearer != Some(key)).then(|| {
            status_error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                vec![],
            )
        });
    }
    let given = header_key.or(query_key);
    if given == Some(key) {
        return None;
    }
    let message = if given.is_none() {
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."
    } else {
        "API key not valid. Please pass a valid API key."
    };
    let status = if given.is_none() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    };
    let code = if given.is_none() {
        "PERMISSION_DENIED"
    } else {
        "INVALID_ARGUMENT"
    };
    Some(status_error(
        status,
        code,
        message,
        vec![
            json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": if given.is_none() { "SERVICE_DISABLED" } else { "API_KEY_INVALID" },
                    "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}),
        ],
    ))
}

/// What the fake needs from a valid request.
struct Checked {
    images: Vec<Vec<u8>>,
    aspect_ratio: Option<String>,
    image_size: Option<String>,
    wants_image: bool,
}

/// The field of `obj` under its camelCase or snake_case name.
fn field<'a>(obj: &'a serde_json::Map<String, Value>, camel: &str) -> Option<&'a Value> {
    obj.get(camel).or_else(|| obj.get(&snake(camel)))
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Rejects names not in `allowed` (camelCase; snake_case accepted too), like the real API.
fn known_fields(
    obj: &serde_json::Map<String, Value>,
    allowed: &[&str],
    at: &str,
) -> Result<(), String> {
    for name in obj.keys() {
        if !allowed.iter().any(|a| a == name || snake(a) == *name) {
            return Err(format!(
                "Invalid JSON payload received. Unknown name \"{name}\" at '{at}': Cannot find field."
            ));
        }
    }
    Ok(())
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a serde_json::Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("Invalid JSON payload received. Expected an object at '{at}'."))
}

fn validate(body: &Value) -> Result<Checked, String> {
    let top = object(body, "")?;
    known_fields(
        top,
        &[
            "contents",
            "generationConfig",
            "safetySettings",
            "systemInstruction",
            "tools",
            "toolConfig",
        ],
        "",
    )?;
    let contents = field(top, "contents")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
        .ok_or("* GenerateContentRequest.contents: contents is not specified")?;
    let mut images = Vec::new();
    for (i, content) in contents.iter().enumerate() {
        let content = object(content, &format!("contents[{i}]"))?;
        known_fields(content, &["role", "parts"], &format!("contents[{i}]"))?;
        let parts = field(content, "parts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (j, part) in parts.iter().enumerate() {
            let at = format!("contents[{i}].parts[{j}]");
            let part = object(part, &at)?;
            known_fields(
                part,
                &[
                    "text",
                    "inlineData",
                    "fileData",
                    "thought",
                    "thoughtSignature",
                ],
                &at,
            )?;
            if let Some(blob) = field(part, "inlineData") {
                let blob = object(blob, &at)?;
                known_fields(blob, &["mimeType", "data"], &format!("{at}.inline_data"))?;
                let mime = field(blob, "mimeType")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !MIME_TYPES.contains(&mime) {
                    return Err(format!("Unsupported MIME type: {mime}"));
                }
                let data = field(blob, "data")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let bytes = decode_base64(data).ok_or_else(|| {
                    format!("Invalid value at '{at}.inline_data.data' (TYPE_BYTES), Base64 decoding failed")
                })?;
                images.push(bytes);
            }
        }
    }
    if images.len() > MAX_IMAGES {
        return Err(format!(
            "Too many images: {} (at most {MAX_IMAGES})",
            images.len()
        ));
    }
    let mut checked = Checked {
        images,
        aspect_ratio: None,
        image_size: None,
        wants_image: true,
    };
    if let Some(config) = field(top, "generationConfig") {
        let config = object(config, "generation_config")?;
        known_fields(
            config,
            &[
                "responseModalities",
                "imageConfig",
                "seed",
                "temperature",
                "topP",
                "topK",
                "candidateCount",
                "maxOutputTokens",
                "stopSequences",
            ],
            "generation_config",
        )?;
        if let Some(modalities) = field(config, "responseModalities").and_then(Value::as_array) {
            let names: Vec<String> = modalities
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_uppercase)
                .collect();
            if let Some(bad) = names
                .iter()
                .find(|m| !["TEXT", "IMAGE"].contains(&m.as_str()))
            {
                return Err(format!(
                    "Invalid value at 'generation_config.response_modalities' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.Modality), \"{bad}\""
                ));
            }
            checked.wants_image = names.iter().any(|m| m == "IMAGE");
        }
        if let Some(image) = field(config, "imageConfig") {
            let image = object(image, "generation_config.image_config")?;
            known_fields(
                image,
                &["aspectRatio", "imageSize"],
                "generation_config.image_config",
            )?;
            if let Some(ratio) = field(image, "aspectRatio").and_then(Value::as_str) {
                if !ASPECT_RATIOS.contains(&ratio) {
                    return Err(format!("Unsupported aspect ratio: {ratio}"));
                }
                checked.aspect_ratio = Some(ratio.to_owned());
            }
            if let Some(size) = field(image, "imageSize").and_then(Value::as_str) {
                if !["512", "1K", "2K", "4K"].contains(&size) {
                    return Err(format!(
                        "Unsupported image size: {size}. Use 1K, 2K or 4K (upper-case K)."
                    ));
                }
                checked.image_size = Some(size.to_owned());
            }
        }
    }
    Ok(checked)
}

/// Standard or URL-safe base64, padded or not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if text.contains(['-', '_']) {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, config).decode(text).ok()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn respond(scenario: GeminiScenario, model: &str, request: Checked) -> Response {
    let gemini3 = model.starts_with("gemini-3");
    match scenario {
        GeminiScenario::Success => success(model, &request, image::ImageFormat::Png, "image/png", None),
        GeminiScenario::JpegDeclaredPng => success(model, &request, image::ImageFormat::Jpeg, "image/png", None),
        GeminiScenario::Oversized(bytes) => success(model, &request, image::ImageFormat::Png, "image/png", Some(bytes)),
        GeminiScenario::Slow(delay) => {
            tokio::time::sleep(delay).await;
            success(model, &request, image::ImageFormat::Png, "image/png", None)
        }
        GeminiScenario::NotAnImage => json_response(
            StatusCode::OK,
            json!({"candidates": [{"content": {"role": "model", "parts": [{"inlineData": {"mimeType": "image/png", "data": b64(b"<html>not an image</html>")}}]},
                   "finishReason": "STOP", "index": 0}], "modelVersion": model}),
        ),
        GeminiScenario::Refusal(shape) => json_response(StatusCode::OK, refusal(shape, model, request.images.len())),
        GeminiScenario::RateLimited { retry_delay, per_day } => {
            let quota_id = if per_day { "GenerateRequestsPerDayPerProjectPerModel-FreeTier" } else { "GenerateRequestsPerMinutePerProjectPerModel" };
            status_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                &format!("You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\nPlease retry in {retry_delay}."),
                vec![
                    json!({"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]}),
                    json!({"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_requests", "quotaId": quota_id,
                           "quotaDimensions": {"location": "global", "model": model}, "quotaValue": "10"}]}),
                    json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}),
                ],
            )
        }
        GeminiScenario::Status(code) => {
            let (status, name, message) = match code {
                403 => (StatusCode::FORBIDDEN, "PERMISSION_DENIED", "Permission denied: Consumer does not have access to this model."),
                400 => (StatusCode::BAD_REQUEST, "FAILED_PRECONDITION", "User location is not supported for the API use without a billing account linked."),
                503 => (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "The model is overloaded. Please try again later."),
                504 => (StatusCode::GATEWAY_TIMEOUT, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"),
            };
            status_error(status, name, message, vec![])
        }
        GeminiScenario::BadGatewayHtml => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
            "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
        )
            .into_response(),
        GeminiScenario::TruncatedJson => {
            let full = body_bytes(&success_json(model, &request, image::ImageFormat::Png, "image/png", None, gemini3));
            let cut = full[..full.len() / 2].to_vec();
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json; charset=UTF-8")], cut).into_response()
        }
        GeminiScenario::DroppedConnection => {
            let full = body_bytes(&success_json(model, &request, image::ImageFormat::Png, "image/png", None, gemini3));
            let half = Bytes::from(full[..full.len() / 2].to_vec());
            let stream = futures::stream::iter([Ok(half), Err(std::io::Error::other("fake dropped the connection"))]);
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

fn success(
    model: &str,
    request: &Checked,
    format: image::ImageFormat,
    declared: &str,
    pad_to: Option<usize>,
) -> Response {
    if !request.wants_image {
        return json_response(
            StatusCode::OK,
            refusal(Refusal::TextOnly, model, request.images.len()),
        );
    }
    json_response(
        StatusCode::OK,
        success_json(
            model,
            request,
            format,
            declared,
            pad_to,
            model.starts_with("gemini-3"),
        ),
    )
}

fn success_json(
    model: &str,
    request: &Checked,
    format: image::ImageFormat,
    declared: &str,
    pad_to: Option<usize>,
    gemini3: bool,
) -> Value {
    let base = match request.image_size.as_deref() {
        Some("512") => 512,
        Some("2K") => 2048,
        Some("4K") => 4096,
        _ => 1024,
    };
    let size = if gemini3 {
        picture::size_for(request.aspect_ratio.as_deref().unwrap_or("1:1"), base)
    } else {
        picture::size_for(request.aspect_ratio.as_deref().unwrap_or("1:1"), 1024)
    };
    let decoded: Vec<_> = request.images.iter().map(|b| picture::load(b)).collect();
    let person = decoded.last().cloned().flatten();
    let garments: Vec<_> = decoded
        .iter()
        .take(decoded.len().saturating_sub(1))
        .flatten()
        .cloned()
        .collect();
    let image = picture::dressed(person.as_ref(), &garments, size);
    let mut parts = Vec::new();
    if gemini3 {
        let thought = picture::gradient((64, 64), [90, 90, 90]);
        parts.push(json!({"inlineData": {"mimeType": "image/png", "data": b64(&picture::encode(&thought, image::ImageFormat::Png))}, "thought": true}));
        parts.push(json!({"text": "Here is the garment on the model.", "thoughtSignature": b64(b"fake-signature-A")}));
    }
    let mut final_part = json!({"inlineData": {"mimeType": declared, "data": b64(&picture::encode(&image, format))}});
    if gemini3 {
        final_part["thoughtSignature"] = json!(b64(b"fake-signature-B"));
    }
    parts.push(final_part);
    if let Some(pad) = pad_to {
        parts.push(json!({"text": "x".repeat(pad)}));
    }
    let output_tokens: u64 = if model.starts_with("gemini-2.5") {
        1290
    } else if base >= 4096 {
        2000
    } else {
        1120
    };
    let prompt_tokens = 560 * request.images.len() as u64 + 200;
    let mut usage = json!({
        "promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens,
        "totalTokenCount": prompt_tokens + output_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 200}, {"modality": "IMAGE", "tokenCount": prompt_tokens - 200}],
        "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": output_tokens}],
    });
    if gemini3 {
        usage["thoughtsTokenCount"] = json!(180);
        usage["totalTokenCount"] = json!(prompt_tokens + output_tokens + 180);
    }
    json!({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": usage,
        "modelVersion": model,
        "responseId": "fake-response-1",
    })
}

fn refusal(shape: Refusal, model: &str, images: usize) -> Value {
    let usage = json!({"promptTokenCount": 560 * images as u64 + 200, "totalTokenCount": 560 * images as u64 + 200});
    let candidate = |body: Value| json!({"candidates": [body], "usageMetadata": usage, "modelVersion": model, "responseId": "fake-refusal"});
    match shape {
        Refusal::PromptBlocked => {
            json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": usage, "modelVersion": model, "responseId": "fake-refusal"})
        }
        Refusal::ImageSafety => candidate(
            json!({"content": {"parts": null}, "finishReason": "IMAGE_SAFETY",
            "finishMessage": "Unable to show the generated image. The image was filtered out because it violated Google's Generative AI Prohibited Use policy.", "index": 0}),
        ),
        Refusal::ProhibitedContent => {
            candidate(json!({"finishReason": "PROHIBITED_CONTENT", "index": 0}))
        }
        Refusal::NoImage => candidate(
            json!({"content": {"role": "model", "parts": [{"text": "I can't help create that image."}]}, "finishReason": "NO_IMAGE", "index": 0}),
        ),
        Refusal::ImageOther => {
            candidate(json!({"content": {}, "finishReason": "IMAGE_OTHER", "index": 0}))
        }
        Refusal::ImageRecitation => candidate(
            json!({"content": {"role": "model"}, "finishReason": "IMAGE_RECITATION", "index": 0}),
        ),
        Refusal::Safety => candidate(
            json!({"content": {"role": "model", "parts": []}, "finishReason": "SAFETY", "index": 0}),
        ),
        Refusal::TextOnly => candidate(
            json!({"content": {"role": "model", "parts": [{"text": "The outfit would look great with a belt."}]}, "finishReason": "STOP", "index": 0}),
        ),
        Refusal::EmptyCandidates => {
            json!({"candidates": [], "usageMetadata": usage, "modelVersion": model})
        }
    }
}

fn body_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn json_response(status: StatusCode, value: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body_bytes(&value),
    )
        .into_response()
}

fn invalid_argument(message: &str) -> Response {
    status_error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message, vec![])
}

/// A `google.rpc.Status` error body; never a `Retry-After` header (Gemini sends none).
fn status_error(status: StatusCode, name: &str, message: &str, details: Vec<Value>) -> Response {
    let mut error = json!({"code": status.as_u16(), "message": message, "status": name});
    if !details.is_empty() {
        error["details"] = Value::Array(details);
    }
    json_response(status, json!({"error": error}))
}
