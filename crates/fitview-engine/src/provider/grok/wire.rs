//! xAI's image API wire format (`/v1/images/generations`, `/v1/images/edits`): request building
//! and response / error parsing as pure functions, tested on the bodies in
//! `fixtures/providers/xai/*.json`. JSON only: the edits endpoint rejects multipart.

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::pipeline::SourceFormat;
use crate::provider::http::{Failure, error_for_status, redact};
use crate::provider::inline::{InlineImage, checked_image, decode_base64};

/// The environment variable that holds the key, named in auth errors.
pub const KEY_VAR: &str = "XAI_API_KEY";
const PROVIDER: &str = "xAI";
/// xAI bills in ticks of 1e-10 USD (`cost_in_usd_ticks: 200000000` is $0.02).
const USD_PER_TICK: f64 = 1e-10;

/// An image reference as xAI takes it: `{"url": "<https or data URI>", "type": "image_url"}`.
#[derive(Debug, Serialize)]
struct ImageUrl {
    url: String,
    r#type: &'static str,
}

#[derive(Debug, Serialize)]
struct RequestBody<'a> {
    model: &'a str,
    prompt: &'a str,
    n: u8,
    response_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    aspect_ratio: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quality: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<ImageUrl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    images: Option<Vec<ImageUrl>>,
}

/// What one images call asks for.
#[derive(Debug, Clone)]
pub(crate) struct ImagesRequest<'a> {
    /// Model id.
    pub(crate) model: &'a str,
    /// The instruction.
    pub(crate) prompt: &'a str,
    /// Images to make, 1-10.
    pub(crate) n: u8,
    /// Input images for an edit (1-3, 1-5 for `grok-imagine-image-2.0`); empty for a
    /// generation. Prompts refer to them as `<IMAGE_0>`, `<IMAGE_1>`, ...
    pub(crate) inputs: &'a [InlineImage],
    /// `aspect_ratio`, for generations (edits follow the input's aspect).
    pub(crate) aspect_ratio: Option<&'a str>,
    /// `resolution`: `1k` or `2k`.
    pub(crate) resolution: Option<&'a str>,
    /// `quality`: `low`, `medium` or `high` (Grok Imagine Image 2.0 only; it sets the price).
    pub(crate) quality: Option<&'a str>,
}

/// The JSON body: `image` for one input, `images` for several, neither for a generation;
/// always `response_format: b64_json` (never `size`, which xAI rejects).
pub(crate) fn build_request_body(request: &ImagesRequest<'_>) -> Result<Vec<u8>> {
    let mut urls: Vec<ImageUrl> = request
        .inputs
        .iter()
        .map(|img| ImageUrl {
            url: img.data_uri(),
            r#type: "image_url",
        })
        .collect();
    let (image, images) = match urls.len() {
        0 => (None, None),
        1 => (urls.pop(), None),
        _ => (None, Some(urls)),
    };
    let body = RequestBody {
        model: request.model,
        prompt: request.prompt,
        n: request.n,
        response_format: "b64_json",
        aspect_ratio: if request.inputs.is_empty() {
            request.aspect_ratio
        } else {
            None
        },
        resolution: request.resolution,
        quality: request.quality,
        image,
        images,
    };
    serde_json::to_vec(&body).map_err(|e| Error::internal(format!("cannot serialize request: {e}")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResponseBody {
    data: Vec<ResponseImage>,
    usage: Option<ResponseUsage>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResponseImage {
    b64_json: Option<String>,
    url: Option<String>,
    respect_moderation: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResponseUsage {
    cost_in_usd_ticks: Option<u64>,
}

/// A successful answer.
#[derive(Debug, Clone)]
pub(crate) struct Images {
    /// The images that passed moderation, checked to be accepted formats within the limits.
    pub(crate) images: Vec<(Bytes, SourceFormat)>,
    /// How many were withheld by moderation (`respect_moderation: false`).
    pub(crate) moderated: usize,
    /// What xAI billed, when it said.
    pub(crate) cost_usd: Option<f64>,
}

/// Reads a 200 answer. Images withheld by moderation are dropped; if none is left it is a
/// [`Error::ContentPolicy`]. An optional `data:image/...;base64,` prefix is stripped. URL-only
/// items, bad base64 and non-images are [`Error::MalformedResponse`].
pub(crate) fn parse_response(body: &[u8], limits: &Limits) -> Result<Images> {
    let response: ResponseBody =
        serde_json::from_slice(body).map_err(|e| Error::MalformedResponse {
            detail: format!("xAI response is not the expected JSON: {e}"),
        })?;
    if response.data.is_empty() {
        return Err(Error::MalformedResponse {
            detail: "xAI answered with no images".to_owned(),
        });
    }
    let mut images = Vec::new();
    let mut moderated = 0;
    for item in &response.data {
        if item.respect_moderation == Some(false) {
            moderated += 1;
            continue;
        }
        let Some(data) = item.b64_json.as_deref().filter(|d| !d.is_empty()) else {
            let detail = if item.url.is_some() {
                "xAI answered with a URL although b64_json was asked for"
            } else {
                "xAI answered with an empty image"
            };
            return Err(Error::MalformedResponse {
                detail: detail.to_owned(),
            });
        };
        let raw = decode_base64(data).ok_or_else(|| Error::MalformedResponse {
            detail: "xAI b64_json is not valid base64".to_owned(),
        })?;
        images.push(checked_image(raw, limits)?);
    }
    if images.is_empty() {
        return Err(Error::ContentPolicy {
            reason: "xAI content moderation withheld every image".to_owned(),
        });
    }
    Ok(Images {
        images,
        moderated,
        cost_usd: response
            .usage
            .and_then(|u| u.cost_in_usd_ticks)
            .map(|ticks| ticks as f64 * USD_PER_TICK),
    })
}

/// Maps a non-200 answer. xAI's bodies are flat (`{"code": "...", "error": "..."}`), nested in
/// the OpenAI style (`{"error": {"message", "type", "code"}}`), or a bare JSON string. A
/// moderation rejection (400) is [`Error::ContentPolicy`]; "Incorrect API key" (400) and
/// exhausted credits or spending limit (429) are [`Error::Auth`], since waiting does not help;
/// everything else maps by status.
pub(crate) fn parse_error(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let (code, message) = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(text)) => (None, text),
        Ok(value) => {
            let nested = value.get("error").filter(|e| e.is_object());
            let message = nested
                .and_then(|e| e.get("message"))
                .or_else(|| value.get("error"))
                .or_else(|| value.get("message"))
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .to_owned();
            let code = nested
                .and_then(|e| e.get("type").or_else(|| e.get("code")))
                .or_else(|| value.get("code"))
                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned));
            (code, message)
        }
        Err(_) => (None, String::from_utf8_lossy(body).into_owned()),
    };
    let message = redact(message.trim());
    let lower = message.to_ascii_lowercase();
    if lower.contains("moderation") {
        return Error::ContentPolicy {
            reason: format!("xAI content moderation: {message}"),
        };
    }
    if lower.contains("incorrect api key") || lower.contains("no api key") {
        return Error::Auth {
            detail: format!("xAI rejected the API key: {message} (check {KEY_VAR})"),
        };
    }
    if lower.contains("credits") || lower.contains("spending limit") {
        return Error::Auth {
            detail: format!("xAI account cannot pay for more requests: {message}"),
        };
    }
    error_for_status(
        PROVIDER,
        KEY_VAR,
        Failure {
            status,
            code,
            message: if message.is_empty() {
                "no error message".to_owned()
            } else {
                message
            },
            retry_after,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../fixtures/providers/xai/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn images_and_cost_are_read_with_or_without_a_data_uri_prefix() {
        let out = parse_response(&fixture("success_b64.json"), &Limits::default()).unwrap();
        assert_eq!(out.images.len(), 1);
        assert_eq!(
            out.images[0].1,
            SourceFormat::Png,
            "the bytes decide, not mime_type"
        );
        assert!((out.cost_usd.unwrap() - 0.02).abs() < 1e-12);
        let two =
            parse_response(&fixture("success_data_uri_prefix.json"), &Limits::default()).unwrap();
        assert_eq!(two.images.len(), 2);
    }

    #[test]
    fn a_url_answer_to_a_b64_request_is_malformed() {
        let err =
            parse_response(&fixture("success_url_form.json"), &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "malformed_response");
        assert!(err.to_string().contains("URL"), "{err}");
    }

    #[test]
    fn request_bodies_are_the_documented_ones() {
        let documented =
            |name: &str| -> serde_json::Value { serde_json::from_slice(&fixture(name)).unwrap() };
        let generation = documented("request_generation_documented.json");
        let body = build_request_body(&ImagesRequest {
            model: "grok-imagine-image",
            prompt: generation["prompt"].as_str().unwrap(),
            n: 2,
            inputs: &[],
            aspect_ratio: Some("3:4"),
            resolution: Some("1k"),
            quality: None,
        })
        .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            generation
        );
        let edit = documented("request_edit_documented.json");
        let inputs = [InlineImage {
            mime_type: "image/png",
            base64: "iVBORw0KGgo".into(),
        }];
        let body = build_request_body(&ImagesRequest {
            model: "grok-imagine-image",
            prompt: edit["prompt"].as_str().unwrap(),
            n: 1,
            inputs: &inputs,
            aspect_ratio: None,
            resolution: None,
            quality: None,
        })
        .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            edit
        );
    }

    #[test]
    fn moderation_in_any_shape_is_a_content_policy_error() {
        let flagged = parse_response(&fixture("moderated_respect_false.json"), &Limits::default());
        assert_eq!(flagged.unwrap_err().code(), "content_policy");
        let rejected = parse_error(400, None, &fixture("error_400_moderation.json"));
        assert!(
            matches!(&rejected, Error::ContentPolicy { reason } if reason.contains("moderation")),
            "{rejected:?}"
        );
    }

    #[test]
    fn error_bodies_map_to_typed_errors() {
        let bad_key = parse_error(400, None, &fixture("error_400_bad_key.json"));
        assert_eq!(bad_key.code(), "auth");
        assert!(bad_key.to_string().contains(KEY_VAR));
        let size = parse_error(400, None, &fixture("error_400_size.json"));
        assert_eq!(size.code(), "invalid_input");
        assert!(
            size.to_string().contains("Argument not supported: size"),
            "{size}"
        );
        assert_eq!(
            parse_error(429, None, &fixture("error_429_credits.json")).code(),
            "auth"
        );
        assert_eq!(
            parse_error(429, None, &fixture("error_429_spending_limit.txt")).code(),
            "auth"
        );
        let limited = parse_error(
            429,
            Some(Duration::from_secs(2)),
            &fixture("error_nested_openai.json"),
        );
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_error(500, None, b"upstream connect error").code(),
            "unavailable"
        );
    }

    #[test]
    fn edits_send_one_image_object_and_never_size() {
        let inputs = [InlineImage {
            mime_type: "image/jpeg",
            base64: "AAAA".into(),
        }];
        let body = build_request_body(&ImagesRequest {
            model: "grok-imagine-image",
            prompt: "party",
            n: 2,
            inputs: &inputs,
            aspect_ratio: Some("3:4"),
            resolution: Some("1k"),
            quality: None,
        })
        .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"model": "grok-imagine-image", "prompt": "party", "n": 2,
                "response_format": "b64_json", "resolution": "1k",
                "image": {"url": "data:image/jpeg;base64,AAAA", "type": "image_url"}})
        );
    }
}
