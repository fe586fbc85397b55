//! A fake of Vertex AI's Virtual Try-On model:
//! `POST /v1/projects/{project}/locations/{location}/publishers/google/models/{model}:predict`.
//!
//! It checks what Vertex AI checks (see `docs/providers.md`): `Authorization: Bearer` (401
//! `UNAUTHENTICATED` otherwise), a known model (404 `NOT_FOUND`), one instance with a
//! `personImage.image` and one `productImages[].image`, each with exactly one of
//! `bytesBase64Encoded` / `gcsUri` (only inline bytes are reachable from the fake), at most
//! 10 MB an image, `sampleCount` 1-4, `seed` only with `addWatermark: false`, the
//! `personGeneration`, `safetySetting` and `outputOptions.mimeType` enums (case-insensitive),
//! and no unknown parameter (400 `INVALID_ARGUMENT`). It answers with real images at the person
//! photo's size, or filtered predictions (`raiFilteredReason`), fewer predictions than asked,
//! and the `google.rpc.Status` errors.

use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::picture;
use crate::server::{FakeServer, RecordedRequest, Shared};

/// Models the fake serves.
pub const MODELS: [&str; 2] = ["virtual-try-on-001", "virtual-try-on-preview-08-04"];
const PARAMETERS: [&str; 10] = [
    "sampleCount",
    "baseSteps",
    "seed",
    "addWatermark",
    "personGeneration",
    "safetySetting",
    "outputOptions",
    "storageUri",
    "enhancePrompt",
    "includeRaiReason",
];
const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// What the fake does with a valid request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum VertexScenario {
    /// `sampleCount` images.
    Success,
    /// Every prediction carries a `raiFilteredReason` and no image.
    Filtered,
    /// The first prediction is filtered, the others are images.
    PartlyFiltered,
    /// One prediction fewer than asked, without saying why (at least one is kept).
    Fewer,
    /// 429 `RESOURCE_EXHAUSTED` (the 50 requests a minute quota).
    RateLimited,
    /// 500 `INTERNAL`.
    ServerError,
    /// 503 `UNAVAILABLE`.
    Unavailable,
}

impl FromStr for VertexScenario {
    type Err = String;

    /// The names accepted in the `x-fake-scenario` header.
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "success" => Self::Success,
            "filtered" => Self::Filtered,
            "partly-filtered" => Self::PartlyFiltered,
            "fewer" => Self::Fewer,
            "rate-limited" => Self::RateLimited,
            "internal" => Self::ServerError,
            "unavailable" => Self::Unavailable,
            other => return Err(format!("unknown Vertex AI fake scenario `{other}`")),
        })
    }
}

/// Starts Vertex AI Virtual Try-On fakes.
#[derive(Debug)]
pub struct FakeVertex;

impl FakeVertex {
    /// A fake on a free loopback port accepting the bearer token [`TEST_KEY`](crate::TEST_KEY).
    pub async fn start(scenario: VertexScenario) -> std::io::Result<FakeServer<VertexScenario>> {
        Self::start_on(scenario, crate::TEST_KEY, 0).await
    }

    /// A fake accepting the bearer token `token`, on `port` (0 for any free port).
    pub async fn start_on(
        scenario: VertexScenario,
        token: &str,
        port: u16,
    ) -> std::io::Result<FakeServer<VertexScenario>> {
        let shared = Arc::new(Shared::new(scenario, token));
        let router = Router::new()
            .route(
                crate::RECORDED_REQUESTS_PATH,
                get(crate::server::recorded_requests::<VertexScenario>),
            )
            .fallback(handle)
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(shared.clone());
        FakeServer::serve(router, shared, port).await
    }
}

type AppState = State<Arc<Shared<VertexScenario>>>;

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
    let Some(model) = model_of(uri.path()) else {
        return rpc_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested URL was not found on this server.",
        );
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given != Some(shared.key.as_str()) {
        return rpc_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        );
    }
    if !MODELS.contains(&model) {
        return rpc_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("Publisher Model `publishers/google/models/{model}` not found."),
        );
    }
    let Some(json) = json else {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "Invalid JSON payload received.",
        );
    };
    let checked = match validate(&json) {
        Ok(checked) => checked,
        Err(message) => return rpc_error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", &message),
    };
    respond(shared.scenario(&headers), &checked)
}

/// The model of a `.../publishers/google/models/{model}:predict` path.
fn model_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v1/projects/")?;
    let (_, model) = rest.split_once("/publishers/google/models/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    (parts.get(1) == Some(&"locations")).then_some(())?;
    model.strip_suffix(":predict")
}

struct Checked {
    samples: u64,
    person: image::DynamicImage,
    garment: image::DynamicImage,
    format: image::ImageFormat,
    mime: &'static str,
}

fn validate(body: &Value) -> Result<Checked, String> {
    let instances = body
        .get("instances")
        .and_then(Value::as_array)
        .filter(|i| i.len() == 1)
        .ok_or("instances must hold exactly one instance")?;
    let instance = instances[0]
        .as_object()
        .ok_or("instances[0] must be an object")?;
    let person = image_of(instance.get("personImage"), "instances[0].personImage")?;
    let products = instance
        .get("productImages")
        .and_then(Value::as_array)
        .filter(|p| p.len() == 1)
        .ok_or("instances[0].productImages must hold exactly one product image")?;
    let garment = image_of(products.first(), "instances[0].productImages[0]")?;
    let empty = Map::new();
    let parameters = match body.get("parameters") {
        None => &empty,
        Some(p) => p.as_object().ok_or("parameters must be an object")?,
    };
    if let Some(unknown) = parameters
        .keys()
        .find(|k| !PARAMETERS.contains(&k.as_str()))
    {
        return Err(format!(
            "Invalid JSON payload received. Unknown name \"{unknown}\" at 'parameters'"
        ));
    }
    let samples = match parameters.get("sampleCount") {
        None => 1,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=4).contains(n))
            .ok_or("sampleCount must be an integer from 1 to 4")?,
    };
    if parameters
        .get("baseSteps")
        .is_some_and(|v| v.as_u64().is_none_or(|n| n == 0))
    {
        return Err("baseSteps must be a positive integer".into());
    }
    if parameters.contains_key("seed")
        && parameters.get("addWatermark").and_then(Value::as_bool) != Some(false)
    {
        return Err("Seed is not supported when addWatermark is enabled.".into());
    }
    let enum_field = |name: &str, allowed: &[&str]| -> Result<(), String> {
        match parameters.get(name) {
            None => Ok(()),
            Some(v)
                if v.as_str().is_some_and(|s| {
                    allowed.contains(&s.to_ascii_lowercase().replace('-', "_").as_str())
                }) =>
            {
                Ok(())
            }
            Some(v) => Err(format!("{name} {v} is not one of {}", allowed.join(", "))),
        }
    };
    enum_field(
        "personGeneration",
        &["dont_allow", "allow_adult", "allow_all"],
    )?;
    enum_field(
        "safetySetting",
        &[
            "block_low_and_above",
            "block_medium_and_above",
            "block_only_high",
            "block_none",
        ],
    )?;
    let mime = parameters
        .get("outputOptions")
        .and_then(|o| o.get("mimeType"))
        .map_or(Some("image/png"), Value::as_str);
    let (format, mime) = match mime {
        Some("image/png") => (image::ImageFormat::Png, "image/png"),
        Some("image/jpeg") => (image::ImageFormat::Jpeg, "image/jpeg"),
        other => return Err(format!("outputOptions.mimeType {other:?} is not supported")),
    };
    Ok(Checked {
        samples,
        person,
        garment,
        format,
        mime,
    })
}

/// The image of a `{"image": {"bytesBase64Encoded" | "gcsUri"}}` holder.
fn image_of(holder: Option<&Value>, at: &str) -> Result<image::DynamicImage, String> {
    let image = holder
        .and_then(|h| h.get("image"))
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{at}.image is required"))?;
    match (image.get("bytesBase64Encoded"), image.get("gcsUri")) {
        (Some(_), Some(_)) | (None, None) => Err(format!(
            "{at}.image needs exactly one of bytesBase64Encoded and gcsUri"
        )),
        (None, Some(_)) => Err(format!("{at}.image.gcsUri is not reachable from the fake")),
        (Some(data), None) => {
            let bytes = data
                .as_str()
                .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
                .ok_or_else(|| format!("{at}.image.bytesBase64Encoded is not valid base64"))?;
            if bytes.len() > MAX_IMAGE_BYTES {
                return Err(format!("{at}.image is larger than 10 MB"));
            }
            picture::load(&bytes).ok_or_else(|| format!("{at}.image is not a supported image"))
        }
    }
}

fn respond(scenario: VertexScenario, request: &Checked) -> Response {
    let image = |i: u64| {
        let size = (request.person.width(), request.person.height());
        let dressed = picture::dressed(
            Some(&request.person),
            std::slice::from_ref(&request.garment),
            size,
        );
        let bytes = picture::encode(&picture::tinted(&dressed, 11 + i * 7919), request.format);
        json!({"mimeType": request.mime, "bytesBase64Encoded": base64::engine::general_purpose::STANDARD.encode(bytes)})
    };
    let filtered = |i: u64| json!({"raiFilteredReason": format!("Your current safety filter threshold filtered out the generated image {i}. Support codes: 58061214")});
    let predictions: Vec<Value> = match scenario {
        VertexScenario::Success => (0..request.samples).map(image).collect(),
        VertexScenario::Filtered => (0..request.samples).map(filtered).collect(),
        VertexScenario::PartlyFiltered => (0..request.samples)
            .map(|i| if i == 0 { filtered(i) } else { image(i) })
            .collect(),
        VertexScenario::Fewer => (0..request.samples.saturating_sub(1).max(1))
            .map(image)
            .collect(),
        VertexScenario::RateLimited => {
            return rpc_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: virtual-try-on. Please submit a quota increase request.",
            );
        }
        VertexScenario::ServerError => {
            return rpc_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "Internal error encountered.",
            );
        }
        VertexScenario::Unavailable => {
            return rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "The service is currently unavailable.",
            );
        }
    };
    json_response(StatusCode::OK, &json!({"predictions": predictions}))
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(value).unwrap_or_default(),
    )
        .into_response()
}

/// The `google.rpc.Status` envelope.
fn rpc_error(status: StatusCode, name: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"error": {"code": status.as_u16(), "message": message, "status": name}}),
    )
}
