//! The Gemini API wire format of `models/{model}:generateContent` with image output: request
//! building and response / error parsing as pure functions, tested on recorded and documented
//! bodies (`fixtures/providers/gemini/*.json`). No I/O here.
//!
//! Sources: `docs/providers.md` and the reference notes it cites (python-genai `types.py` and
//! `models.py`, ai.google.dev image-generation and troubleshooting pages).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::pipeline::SourceFormat;
use crate::provider::http::{Failure, error_for_status, redact};
use crate::provider::inline::{InlineImage, checked_image, decode_base64};

/// The environment variable that holds the key, named in auth errors.
pub const KEY_VAR: &str = "GEMINI_API_KEY";
const PROVIDER: &str = "Gemini";

/// What one generateContent call asks for.
#[derive(Debug, Clone)]
pub(crate) struct ImageRequest<'a> {
    /// Input images in prompt order.
    pub(crate) images: &'a [InlineImage],
    /// The instruction, sent after the images.
    pub(crate) prompt: &'a str,
    /// `imageConfig.aspectRatio`, e.g. `3:4`.
    pub(crate) aspect_ratio: &'a str,
    /// `imageConfig.imageSize`: `1K`, `2K` or `4K` (upper-case K).
    pub(crate) image_size: &'a str,
    /// `generationConfig.seed`, when the caller gave one.
    pub(crate) seed: Option<i32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestBody<'a> {
    contents: [RequestContent<'a>; 1],
    generation_config: GenerationConfig<'a>,
}

#[derive(Serialize)]
struct RequestContent<'a> {
    role: &'static str,
    parts: Vec<RequestPart<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum RequestPart<'a> {
    Image {
        #[serde(rename = "inlineData")]
        inline_data: RequestBlob<'a>,
    },
    Text {
        text: &'a str,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestBlob<'a> {
    mime_type: &'a str,
    data: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    response_modalities: [&'static str; 1],
    image_config: ImageConfig<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageConfig<'a> {
    aspect_ratio: &'a str,
    image_size: &'a str,
}

/// The JSON body of a generateContent call: one user turn with the images, then the prompt;
/// image output only, at the asked aspect ratio and size. Field names are the camelCase the
/// official SDK sends; base64 is standard.
pub(crate) fn build_request_body(request: &ImageRequest<'_>) -> Result<Vec<u8>> {
    let mut parts: Vec<RequestPart<'_>> = request
        .images
        .iter()
        .map(|img| RequestPart::Image {
            inline_data: RequestBlob {
                mime_type: img.mime_type,
                data: &img.base64,
            },
        })
        .collect();
    parts.push(RequestPart::Text {
        text: request.prompt,
    });
    let body = RequestBody {
        contents: [RequestContent {
            role: "user",
            parts,
        }],
        generation_config: GenerationConfig {
            response_modalities: ["IMAGE"],
            image_config: ImageConfig {
                aspect_ratio: request.aspect_ratio,
                image_size: request.image_size,
            },
            seed: request.seed,
        },
    };
    serde_json::to_vec(&body).map_err(|e| Error::internal(format!("cannot serialize request: {e}")))
}

/// `GenerateContentResponse`, only the fields FitView reads; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ResponseBody {
    candidates: Option<Vec<Candidate>>,
    prompt_feedback: Option<PromptFeedback>,
    usage_metadata: Option<UsageMetadata>,
    model_version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Candidate {
    content: Option<CandidateContent>,
    finish_reason: Option<String>,
    finish_message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CandidateContent {
    /// `null`, absent and `[]` all occur in refusals.
    parts: Option<Vec<ResponsePart>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ResponsePart {
    text: Option<String>,
    inline_data: Option<ResponseBlob>,
    thought: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ResponseBlob {
    mime_type: Option<String>,
    data: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PromptFeedback {
    block_reason: Option<String>,
    block_reason_message: Option<String>,
}

/// Token counts reported by the API.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct UsageMetadata {
    /// Input tokens (text and images).
    pub(crate) prompt_token_count: Option<u64>,
    /// Output tokens (the image, and any text).
    pub(crate) candidates_token_count: Option<u64>,
    /// Thinking tokens (Gemini 3), billed as output.
    pub(crate) thoughts_token_count: Option<u64>,
}

/// A successful answer: the final image and what it cost.
#[derive(Debug, Clone)]
pub(crate) struct GeneratedImage {
    /// The image bytes, checked to be an accepted format within the limits.
    pub(crate) bytes: Bytes,
    /// The format sniffed from the bytes (the declared MIME type can be wrong).
    pub(crate) format: SourceFormat,
    /// What the response declared.
    pub(crate) declared_mime_type: Option<String>,
    /// Token counts, when reported.
    pub(crate) usage: UsageMetadata,
    /// The model version that answered, when reported.
    pub(crate) model_version: Option<String>,
}

/// Reads a 200 answer: the last non-thought image part of the first candidate, or the refusal.
///
/// Every no-image shape is a [`Error::ContentPolicy`] naming the reason: a blocked prompt
/// (`promptFeedback.blockReason`), no candidates, a finish reason such as `IMAGE_SAFETY`,
/// `PROHIBITED_CONTENT` or `NO_IMAGE` with `content` absent, empty, `parts: null` or text
/// only, and a text-only `STOP`. Non-JSON, bad base64 and bytes that are not an accepted image
/// within `limits` are [`Error::MalformedResponse`].
pub(crate) fn parse_response(body: &[u8], limits: &Limits) -> Result<GeneratedImage> {
    let response: ResponseBody =
        serde_json::from_slice(body).map_err(|e| Error::MalformedResponse {
            detail: format!("Gemini response is not the expected JSON: {e}"),
        })?;
    if let Some(reason) = response
        .prompt_feedback
        .as_ref()
        .and_then(|f| f.block_reason.as_deref())
    {
        let message = response
            .prompt_feedback
            .as_ref()
            .and_then(|f| f.block_reason_message.as_deref());
        return Err(refusal(&format!("prompt blocked: {reason}"), message));
    }
    let Some(candidate) = response.candidates.as_ref().and_then(|c| c.first()) else {
        return Err(refusal("no candidates in the response", None));
    };
    let parts = candidate
        .content
        .as_ref()
        .and_then(|c| c.parts.as_deref())
        .unwrap_or_default();
    // Gemini 3 models send interim "thought" images first; the final image is the last
    // inline image that is not a thought.
    let final_image = parts.iter().rev().find_map(|part| {
        let blob = part.inline_data.as_ref()?;
        (part.thought != Some(true)).then_some(blob)
    });
    let finish = candidate.finish_reason.as_deref().unwrap_or("UNSPECIFIED");
    let Some(blob) = final_image else {
        let reason = match finish {
            "STOP" if parts.iter().any(|p| p.text.is_some()) => "NO_IMAGE (text-only answer)",
            "STOP" => "NO_IMAGE (empty answer)",
            other => other,
        };
        return Err(refusal(reason, candidate.finish_message.as_deref()));
    };
    let data = blob.data.as_deref().unwrap_or_default();
    let raw = decode_base64(data).ok_or_else(|| Error::MalformedResponse {
        detail: "Gemini image part is not valid base64".to_owned(),
    })?;
    let (bytes, format) = checked_image(raw, limits)?;
    Ok(GeneratedImage {
        bytes,
        format,
        declared_mime_type: blob.mime_type.clone(),
        usage: response.usage_metadata.unwrap_or_default(),
        model_version: response.model_version.clone(),
    })
}

fn refusal(reason: &str, message: Option<&str>) -> Error {
    let reason = match message {
        Some(message) if !message.is_empty() => format!("{reason}: {}", redact(message)),
        _ => reason.to_owned(),
    };
    Error::ContentPolicy { reason }
}

/// `google.rpc.Status` as JSON: `{"error": {...}}`, a bare object, or a list of one.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Status {
    code: Option<u16>,
    message: Option<String>,
    status: Option<String>,
    details: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorEnvelope {
    Wrapped { error: Status },
    List(Vec<ErrorEnvelope>),
    Bare(Status),
}

impl ErrorEnvelope {
    fn into_status(self) -> Option<Status> {
        match self {
            ErrorEnvelope::Wrapped { error } | ErrorEnvelope::Bare(error) => Some(error),
            ErrorEnvelope::List(list) => {
                list.into_iter().next().and_then(ErrorEnvelope::into_status)
            }
        }
    }
}

/// Maps a non-200 answer to a typed error.
///
/// Gemini says "bad key" with 400 `INVALID_ARGUMENT` + `ErrorInfo.reason = API_KEY_INVALID`
/// (that is [`Error::Auth`]), and how long to wait after a 429 only in the body
/// (`RetryInfo.retryDelay`, no `Retry-After` header). A 429 whose `QuotaFailure` names a
/// per-day quota waits until the daily reset (midnight Pacific), so the retry policy gives up at
/// once instead of hammering an exhausted quota. Non-JSON bodies (a proxy's HTML page) map by
/// status alone.
pub(crate) fn parse_error(status: u16, retry_after_header: Option<Duration>, body: &[u8]) -> Error {
    parse_google_error(PROVIDER, KEY_VAR, status, retry_after_header, body)
}

/// [`parse_error`] for any Google API answering with the `google.rpc.Status` envelope (the
/// Gemini API, Vertex AI), naming `provider` and the credential's `key_var` in messages.
pub(crate) fn parse_google_error(
    provider: &str,
    key_var: &str,
    status: u16,
    retry_after_header: Option<Duration>,
    body: &[u8],
) -> Error {
    let parsed = serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .and_then(ErrorEnvelope::into_status)
        .filter(|s| s.code.is_some() || s.message.is_some() || s.status.is_some());
    let Some(rpc) = parsed else {
        return error_for_status(
            provider,
            key_var,
            Failure {
                status,
                code: None,
                message: "non-JSON error body".to_owned(),
                retry_after: retry_after_header,
            },
        );
    };
    let message = redact(rpc.message.as_deref().unwrap_or_default());
    let reason = |t: &str| detail_field(&rpc.details, t, "reason");
    if reason("ErrorInfo").as_deref() == Some("API_KEY_INVALID")
        || (status == 400 && message.contains("API key"))
    {
        return Error::Auth {
            detail: format!("{provider} rejected the credentials: {message} (check {key_var})"),
        };
    }
    if rpc.status.as_deref() == Some("FAILED_PRECONDITION") {
        return Error::Config {
            problems: vec![format!(
                "{provider} refused the project: {message} (enable billing or use a supported region)"
            )],
        };
    }
    let per_day = rpc.details.iter().any(|d| {
        type_is(d, "QuotaFailure")
            && d.get("violations")
                .and_then(|v| v.as_array())
                .is_some_and(|v| {
                    v.iter().any(|q| {
                        q.get("quotaId")
                            .and_then(|id| id.as_str())
                            .is_some_and(|id| id.contains("PerDay"))
                    })
                })
    });
    let retry_after = if status == 429 && per_day {
        Some(until_pacific_midnight(SystemTime::now()))
    } else {
        detail_field(&rpc.details, "RetryInfo", "retryDelay")
            .as_deref()
            .and_then(parse_proto_duration)
            .or(retry_after_header)
    };
    error_for_status(
        provider,
        key_var,
        Failure {
            status,
            code: rpc.status,
            message,
            retry_after,
        },
    )
}

fn type_is(detail: &serde_json::Value, short: &str) -> bool {
    detail
        .get("@type")
        .and_then(|t| t.as_str())
        .is_some_and(|t| t.ends_with(&format!("google.rpc.{short}")))
}

fn detail_field(details: &[serde_json::Value], short: &str, field: &str) -> Option<String> {
    details
        .iter()
        .find(|d| type_is(d, short))
        .and_then(|d| d.get(field))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// A protobuf `Duration` in JSON form: `"47s"`, `"45.837906927s"`.
pub(crate) fn parse_proto_duration(text: &str) -> Option<Duration> {
    let secs: f64 = text.trim().strip_suffix('s')?.parse().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

/// Time until the next midnight in US Pacific time, taken as UTC-8 (during daylight saving
/// time this is an hour late, which only errs on the side of waiting).
fn until_pacific_midnight(now: SystemTime) -> Duration {
    const DAY: u64 = 24 * 3600;
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let pacific = secs.saturating_sub(8 * 3600);
    Duration::from_secs(DAY - pacific % DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../fixtures/providers/gemini/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn refusal_reason(name: &str) -> String {
        match parse_response(&fixture(name), &Limits::default()) {
            Err(Error::ContentPolicy { reason }) => reason,
            other => panic!("{name}: expected a content-policy refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_final_non_thought_image_is_taken() {
        let out = parse_response(&fixture("success_gemini3_thoughts"), &Limits::default()).unwrap();
        let img = crate::pipeline::decode(&out.bytes, &Limits::default()).unwrap();
        // The thought image is 4x4; the final one is 6x8.
        assert_eq!(img.dimensions(), (6, 8));
        assert_eq!(out.format, SourceFormat::Png);
        assert_eq!(out.usage.prompt_token_count, Some(560));
        assert_eq!(out.usage.candidates_token_count, Some(1120));
        assert_eq!(out.usage.thoughts_token_count, Some(180));
        assert_eq!(out.model_version.as_deref(), Some("gemini-3-pro-image"));
    }

    #[test]
    fn recorded_chunks_parse_and_unknown_fields_are_ignored() {
        let out =
            parse_response(&fixture("recorded_stream_image_chunk"), &Limits::default()).unwrap();
        assert_eq!(out.declared_mime_type.as_deref(), Some("image/png"));
        assert_eq!(out.usage.candidates_token_count, Some(1318));
        let reason = refusal_reason("recorded_stream_final_chunk_no_parts");
        assert!(reason.starts_with("NO_IMAGE"), "{reason}");
        // Vertex AI's last chunk: one empty text part, plus createTime and trafficType.
        let reason = refusal_reason("vertex_stream_final_chunk_empty_text");
        assert!(
            reason.starts_with("NO_IMAGE (text-only answer)"),
            "{reason}"
        );
    }

    #[test]
    fn every_refusal_shape_is_a_content_policy_error_with_its_reason() {
        let cases = [
            (
                "refusal_prompt_blocked",
                "prompt blocked: PROHIBITED_CONTENT",
            ),
            (
                "refusal_image_safety_parts_null",
                "IMAGE_SAFETY: Unable to show",
            ),
            ("refusal_no_image_text", "NO_IMAGE"),
            ("refusal_prohibited_content_absent", "PROHIBITED_CONTENT"),
            ("refusal_text_only_stop", "NO_IMAGE (text-only answer)"),
            ("refusal_empty_candidates", "no candidates"),
        ];
        for (name, want) in cases {
            let reason = refusal_reason(name);
            assert!(reason.starts_with(want), "{name}: {reason}");
        }
    }

    #[test]
    fn the_real_format_is_sniffed_when_the_mime_type_lies() {
        let img = image::RgbaImage::from_pixel(8, 8, image::Rgba([9, 9, 9, 255]));
        let jpeg = crate::pipeline::encode(&img, crate::OutputFormat::Jpeg, 80).unwrap();
        let data = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &jpeg.bytes,
        );
        let body = serde_json::json!({"candidates": [{"content": {"parts": [
            {"inlineData": {"mimeType": "image/png", "data": data}}]}, "finishReason": "STOP"}]});
        let out = parse_response(body.to_string().as_bytes(), &Limits::default()).unwrap();
        assert_eq!(out.format, SourceFormat::Jpeg);
        assert_eq!(out.declared_mime_type.as_deref(), Some("image/png"));
    }

    #[test]
    fn bad_images_and_bodies_are_malformed_responses() {
        let part = |data: &str| {
            serde_json::json!({"candidates": [{"content": {"parts": [
                {"inlineData": {"mimeType": "image/png", "data": data}}]}}]})
            .to_string()
        };
        let not_base64 = part("%%%");
        let not_image = part("PGh0bWw+PC9odG1sPg==");
        let tight = Limits {
            max_input_bytes: 16,
            ..Limits::default()
        };
        let big = parse_response(&fixture("success_gemini3_thoughts"), &tight);
        for (what, out) in [
            (
                "not base64",
                parse_response(not_base64.as_bytes(), &Limits::default()),
            ),
            (
                "not an image",
                parse_response(not_image.as_bytes(), &Limits::default()),
            ),
            ("over the limit", big),
            (
                "truncated JSON",
                parse_response(b"{\"candidates\": [{\"cont", &Limits::default()),
            ),
        ] {
            let err = out.unwrap_err();
            assert_eq!(err.code(), "malformed_response", "{what}: {err}");
        }
    }

    #[test]
    fn error_bodies_map_to_typed_errors() {
        let err = parse_error(400, None, &fixture("error_400_api_key_invalid"));
        assert_eq!(err.code(), "auth");
        assert!(err.to_string().contains("GEMINI_API_KEY"), "{err}");
        assert_eq!(parse_error(403, None, &fixture("error_403")).code(), "auth");
        assert_eq!(
            parse_error(404, None, &fixture("error_404_recorded")).code(),
            "config"
        );
        let err = parse_error(429, None, &fixture("error_429_per_minute"));
        assert_eq!(
            err.retry_after(),
            Some(Duration::from_secs_f64(47.434392449))
        );
        assert!(err.is_retryable());
        let daily = parse_error(429, None, &fixture("error_429_per_day"));
        assert!(
            daily.retry_after().unwrap() > Duration::from_secs(12),
            "{daily:?}"
        );
        assert_eq!(
            parse_error(500, None, &fixture("error_500")).code(),
            "unavailable"
        );
        let err = parse_error(503, None, &fixture("error_503"));
        assert!(
            err.is_retryable() && err.to_string().contains("overloaded"),
            "{err}"
        );
        let err = parse_error(504, None, &fixture("error_504"));
        assert!(
            err.is_retryable() && err.to_string().contains("DEADLINE_EXCEEDED"),
            "{err}"
        );
        let html = parse_error(502, None, b"<html><body>Bad Gateway</body></html>");
        assert_eq!(html.code(), "unavailable");
        let bare = parse_error(400, None, br#"[{"error": {"code": 400, "message": "Invalid JSON payload received. Unknown name \"x\"", "status": "INVALID_ARGUMENT"}}]"#);
        assert_eq!(bare.code(), "invalid_input");
        assert!(bare.to_string().contains("Unknown name"), "{bare}");
    }

    #[test]
    fn the_request_body_has_the_sdk_shape() {
        let images = [InlineImage {
            mime_type: "image/png",
            base64: "AAAA".into(),
        }];
        let body = build_request_body(&ImageRequest {
            images: &images,
            prompt: "dress them",
            aspect_ratio: "3:4",
            image_size: "1K",
            seed: Some(7),
        })
        .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "contents": [{"role": "user", "parts": [
                    {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
                    {"text": "dress them"}]}],
                "generationConfig": {"responseModalities": ["IMAGE"],
                    "imageConfig": {"aspectRatio": "3:4", "imageSize": "1K"}, "seed": 7}
            })
        );
    }

    #[test]
    fn the_request_body_is_the_documented_try_on_request() {
        let mut documented: serde_json::Value =
            serde_json::from_slice(&fixture("request_tryon_documented")).unwrap();
        documented.as_object_mut().unwrap().remove("_source");
        let parts = &documented["contents"][0]["parts"];
        let image = |i: usize| InlineImage {
            mime_type: "image/jpeg",
            base64: parts[i]["inlineData"]["data"].as_str().unwrap().to_owned(),
        };
        let body = build_request_body(&ImageRequest {
            images: &[image(0), image(1)],
            prompt: parts[2]["text"].as_str().unwrap(),
            aspect_ratio: "3:4",
            image_size: "2K",
            seed: None,
        })
        .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json, documented);
    }

    #[test]
    fn proto_durations_parse() {
        assert_eq!(parse_proto_duration("47s"), Some(Duration::from_secs(47)));
        assert_eq!(
            parse_proto_duration("45.5s"),
            Some(Duration::from_millis(45_500))
        );
        assert_eq!(parse_proto_duration("47"), None);
    }

    #[test]
    fn daily_reset_is_within_a_day() {
        let wait = until_pacific_midnight(SystemTime::now());
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(24 * 3600));
        // 2026-01-01T08:00:00Z is midnight Pacific (UTC-8): a full day to the next one.
        let at = UNIX_EPOCH + Duration::from_secs(1_767_254_400);
        assert_eq!(until_pacific_midnight(at), Duration::from_secs(24 * 3600));
    }
}
