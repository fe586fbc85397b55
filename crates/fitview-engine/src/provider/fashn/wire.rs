//! FASHN's wire format, pure: the `POST /v1/run` body, the run and status answers, the output
//! list (base64 data URIs or CDN URLs), the credits header and every named error.
//!
//! Shapes from FASHN's API reference (`/v1/run`, `/v1/status/{id}`, `tryon-v1.6` inputs, the
//! error table) and its official SDKs' types; see `docs/providers.md`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::super::http::{Failure, error_for_status, redact};
use super::super::inline::decode_base64;
use crate::error::{Error, Result};
use crate::request::GarmentCategory;

/// Environment variable holding the API key.
pub const KEY_VAR: &str = "FASHN_API_KEY";
/// The response header carrying what a finished prediction cost, in credits.
pub(crate) const CREDITS_HEADER: &str = "x-fashn-credits-used";
const PROVIDER: &str = "FASHN";

/// FASHN's garment category for a FitView category; `None` when FASHN has none that fits
/// (drapes such as a saree or a dupatta).
pub(crate) fn category(category: GarmentCategory) -> Option<&'static str> {
    Some(match category {
        GarmentCategory::Top | GarmentCategory::Kurta => "tops",
        GarmentCategory::Bottom | GarmentCategory::Lehenga => "bottoms",
        GarmentCategory::OnePiece | GarmentCategory::SalwarKameez => "one-pieces",
        GarmentCategory::Auto => "auto",
        _ => return None,
    })
}

/// What one `tryon` prediction is asked to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TryOnInputs {
    /// The person, as a data URI.
    pub(crate) model_image: String,
    /// The garment, as a data URI.
    pub(crate) garment_image: String,
    /// `tops`, `bottoms`, `one-pieces` or `auto`.
    pub(crate) category: &'static str,
    /// `auto`, `flat-lay` or `model`.
    pub(crate) garment_photo_type: &'static str,
    /// `performance`, `balanced` or `quality`.
    pub(crate) mode: &'static str,
    /// `conservative`, `permissive` or `none`.
    pub(crate) moderation_level: String,
    /// Images to make, 1 to 4.
    pub(crate) num_samples: u8,
    /// Seed, when the caller gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) seed: Option<u32>,
    /// `png` or `jpeg`.
    pub(crate) output_format: String,
    /// Data URIs in the answer instead of CDN URLs.
    pub(crate) return_base64: bool,
}

#[derive(Serialize)]
struct RunBody<'a> {
    model_name: &'a str,
    inputs: &'a TryOnInputs,
}

/// The `POST /v1/run` body.
pub(crate) fn build_run_body(model_name: &str, inputs: &TryOnInputs) -> Result<Vec<u8>> {
    serde_json::to_vec(&RunBody { model_name, inputs })
        .map_err(|e| Error::internal(format!("cannot encode the FASHN request: {e}")))
}

/// A runtime failure as FASHN names it (`{"name", "message"}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct NamedError {
    name: String,
    message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RunAnswer {
    id: Option<String>,
    error: Option<serde_json::Value>,
}

/// Reads a 200 answer to `/v1/run`: the prediction id.
pub(crate) fn parse_run(body: &[u8]) -> Result<String> {
    let answer: RunAnswer = serde_json::from_slice(body).map_err(|e| Error::MalformedResponse {
        detail: format!("FASHN run answer is not the expected JSON: {e}"),
    })?;
    if let Some(error) = answer.error.filter(|e| !e.is_null()) {
        return Err(error_from_value(&error));
    }
    answer
        .id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Error::MalformedResponse {
            detail: "FASHN run answer has no prediction id".to_owned(),
        })
}

/// One output of a finished prediction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Output {
    /// Image bytes from a base64 data URI (not yet checked to be an image).
    Inline(Vec<u8>),
    /// A URL to fetch the image from.
    Url(String),
}

/// Where a prediction is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Status {
    /// `starting`, `in_queue` or `processing`: poll again.
    Pending(String),
    /// `completed`, with its outputs (at least one).
    Completed(Vec<Output>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatusAnswer {
    status: String,
    output: Option<Vec<String>>,
    error: Option<serde_json::Value>,
}

/// Reads a 200 answer to `/v1/status/{id}`. A `failed` prediction is its named error.
pub(crate) fn parse_status(body: &[u8]) -> Result<Status> {
    let answer: StatusAnswer =
        serde_json::from_slice(body).map_err(|e| Error::MalformedResponse {
            detail: format!("FASHN status answer is not the expected JSON: {e}"),
        })?;
    match answer.status.as_str() {
        "starting" | "in_queue" | "processing" => Ok(Status::Pending(answer.status)),
        "completed" => {
            let outputs = answer
                .output
                .unwrap_or_default()
                .iter()
                .map(|item| output(item))
                .collect::<Result<Vec<_>>>()?;
            if outputs.is_empty() {
                return Err(Error::MalformedResponse {
                    detail: "FASHN completed a prediction with no output".to_owned(),
                });
            }
            Ok(Status::Completed(outputs))
        }
        "failed" | "canceled" | "time_out" => Err(answer.error.as_ref().map_or_else(
            || Error::Unavailable {
                detail: format!("FASHN prediction {} without an error", answer.status),
            },
            error_from_value,
        )),
        other => Err(Error::MalformedResponse {
            detail: format!("FASHN prediction status `{}` is unknown", redact(other)),
        }),
    }
}

fn output(item: &str) -> Result<Output> {
    if item.starts_with("data:") {
        return decode_base64(item)
            .map(Output::Inline)
            .ok_or_else(|| Error::MalformedResponse {
                detail: "FASHN output data URI is not valid base64".to_owned(),
            });
    }
    if item.starts_with("https://") || item.starts_with("http://") {
        return Ok(Output::Url(item.to_owned()));
    }
    Err(Error::MalformedResponse {
        detail: "FASHN output is neither a data URI nor a URL".to_owned(),
    })
}

/// An `error` value: a runtime `{"name", "message"}` object, or a bare name or message.
fn error_from_value(value: &serde_json::Value) -> Error {
    let named = match value {
        serde_json::Value::String(text) => NamedError {
            name: text.clone(),
            message: String::new(),
        },
        other => serde_json::from_value(other.clone()).unwrap_or_default(),
    };
    runtime_error(&named.name, &named.message)
}

/// Maps a runtime error by FASHN's name for it: a moderation refusal is final, the caller's
/// images are at fault for a pose, load or validation error (with FASHN's words), and the
/// pipeline's own failures are worth another attempt. FASHN does not charge for failures.
pub(crate) fn runtime_error(name: &str, message: &str) -> Error {
    let message = redact(message.trim());
    let said = if message.is_empty() {
        name.to_owned()
    } else {
        format!("{name}: {message}")
    };
    match name {
        "ContentModerationError" => Error::ContentPolicy {
            reason: format!("FASHN content moderation ({said})"),
        },
        "PoseError" | "ImageLoadError" | "InputValidationError" => Error::InvalidInput {
            reason: format!("FASHN could not use the images ({said})"),
        },
        _ => Error::Unavailable {
            detail: format!("FASHN prediction failed ({said})"),
        },
    }
}

/// Maps a non-200 answer (`{"error": "<Name>", "message": "..."}`): `OutOfCredits` (a 429) is an
/// account problem waiting does not fix; the other 429s (`RateLimitExceeded`,
/// `ConcurrencyLimitExceeded`) are rate limits; the rest map by status.
pub(crate) fn parse_error(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let code = value.get("error").and_then(|e| {
        e.as_str()
            .map(str::to_owned)
            .or_else(|| e.get("name").and_then(|n| n.as_str()).map(str::to_owned))
    });
    let message = value
        .get("message")
        .or_else(|| value.get("error").and_then(|e| e.get("message")))
        .and_then(|m| m.as_str())
        .map_or_else(|| String::from_utf8_lossy(body).into_owned(), str::to_owned);
    let message = redact(message.trim());
    if code.as_deref() == Some("OutOfCredits") {
        return Error::Auth {
            detail: format!("the FASHN account is out of credits: {message}"),
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

/// The credits a finished prediction cost, from [`CREDITS_HEADER`].
pub(crate) fn credits_used(value: Option<&str>) -> Option<f64> {
    value
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|c| c.is_finite() && *c >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> TryOnInputs {
        TryOnInputs {
            model_image: "data:image/jpeg;base64,/9j/4AAQ".into(),
            garment_image: "data:image/jpeg;base64,/9j/4AAR".into(),
            category: "tops",
            garment_photo_type: "flat-lay",
            mode: "balanced",
            moderation_level: "permissive".into(),
            num_samples: 1,
            seed: Some(42),
            output_format: "png".into(),
            return_base64: false,
        }
    }

    #[test]
    fn the_run_body_is_the_documented_one() {
        let body: serde_json::Value =
            serde_json::from_slice(&build_run_body("tryon-v1.6", &inputs()).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"model_name": "tryon-v1.6",
             "inputs": {"model_image": "data:image/jpeg;base64,/9j/4AAQ",
                        "garment_image": "data:image/jpeg;base64,/9j/4AAR",
                        "category": "tops", "garment_photo_type": "flat-lay", "mode": "balanced",
                        "moderation_level": "permissive", "num_samples": 1, "seed": 42,
                        "output_format": "png", "return_base64": false}})
        );
        let mut unseeded = inputs();
        unseeded.seed = None;
        let body: serde_json::Value =
            serde_json::from_slice(&build_run_body("tryon-v1.6", &unseeded).unwrap()).unwrap();
        assert!(body["inputs"].get("seed").is_none(), "{body}");
    }

    #[test]
    fn categories_map_onto_fashns_four() {
        assert_eq!(category(GarmentCategory::Top), Some("tops"));
        assert_eq!(category(GarmentCategory::Lehenga), Some("bottoms"));
        assert_eq!(category(GarmentCategory::OnePiece), Some("one-pieces"));
        assert_eq!(category(GarmentCategory::Auto), Some("auto"));
        assert_eq!(category(GarmentCategory::Saree), None);
    }

    #[test]
    fn run_answers_give_the_id_or_the_error() {
        let id = parse_run(br#"{"id": "123a87r9-4129-4bb3-be18-9c9fb5bd7fc1-u1", "error": null}"#)
            .unwrap();
        assert_eq!(id, "123a87r9-4129-4bb3-be18-9c9fb5bd7fc1-u1");
        assert_eq!(parse_run(b"{}").unwrap_err().code(), "malformed_response");
        let err = parse_run(br#"{"id": null, "error": {"name": "InputValidationError", "message": "category must be one of tops"}}"#).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(
            err.to_string().contains("category must be one of tops"),
            "{err}"
        );
    }

    #[test]
    fn pending_completed_and_failed_statuses_are_read() {
        for pending in ["starting", "in_queue", "processing"] {
            let body =
                format!(r#"{{"id": "x", "status": "{pending}", "output": null, "error": null}}"#);
            assert_eq!(
                parse_status(body.as_bytes()).unwrap(),
                Status::Pending(pending.to_owned())
            );
        }
        let done = br#"{"id": "x", "status": "completed", "error": null,
            "output": ["https://cdn.fashn.ai/x/output_0.png", "data:image/png;base64,+/+/AQ=="]}"#;
        assert_eq!(
            parse_status(done).unwrap(),
            Status::Completed(vec![
                Output::Url("https://cdn.fashn.ai/x/output_0.png".into()),
                Output::Inline(vec![0xfb, 0xff, 0xbf, 0x01]),
            ])
        );
        let empty = br#"{"id": "x", "status": "completed", "output": [], "error": null}"#;
        assert_eq!(
            parse_status(empty).unwrap_err().code(),
            "malformed_response"
        );
        let failed = br#"{"id": "x", "status": "failed", "error": {"name": "ImageLoadError",
            "message": "Error loading model image: The URL's Content-Type is not an image."}}"#;
        let err = parse_status(failed).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(
            err.to_string().contains("Error loading model image"),
            "{err}"
        );
        assert_eq!(
            parse_status(br#"{"status": "exploded"}"#)
                .unwrap_err()
                .code(),
            "malformed_response"
        );
    }

    #[test]
    fn every_named_runtime_error_maps_to_its_kind() {
        let kind = |name| runtime_error(name, "m").code();
        assert_eq!(kind("ContentModerationError"), "content_policy");
        for name in ["PoseError", "ImageLoadError", "InputValidationError"] {
            assert_eq!(kind(name), "invalid_input", "{name}");
        }
        for name in [
            "PipelineError",
            "ThirdPartyError",
            "3rdPartyProviderError",
            "InternalServerError",
            "LoRALoadError",
        ] {
            assert_eq!(kind(name), "unavailable", "{name}");
            assert!(runtime_error(name, "m").is_retryable());
        }
        assert!(!runtime_error("ContentModerationError", "m").is_retryable());
    }

    #[test]
    fn api_errors_map_by_name_then_status() {
        let err =
            |status, body: &str| parse_error(status, Some(Duration::from_secs(2)), body.as_bytes());
        let unauthorized = err(
            401,
            r#"{"error": "UnauthorizedAccess", "message": "Unauthorized: Invalid token"}"#,
        );
        assert_eq!(unauthorized.code(), "auth");
        assert!(unauthorized.to_string().contains(KEY_VAR), "{unauthorized}");
        for name in ["RateLimitExceeded", "ConcurrencyLimitExceeded"] {
            let limited = err(
                429,
                &format!(r#"{{"error": "{name}", "message": "slow down"}}"#),
            );
            assert_eq!(limited.code(), "rate_limited", "{name}");
            assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
        }
        let broke = err(
            429,
            r#"{"error": "OutOfCredits", "message": "No credits left"}"#,
        );
        assert_eq!(broke.code(), "auth");
        assert!(!broke.is_retryable());
        assert!(broke.to_string().contains("out of credits"), "{broke}");
        assert_eq!(
            err(
                400,
                r#"{"error": "BadRequest", "message": "missing inputs"}"#
            )
            .code(),
            "invalid_input"
        );
        assert_eq!(
            err(
                500,
                r#"{"error": "InternalServerError", "message": "boom"}"#
            )
            .code(),
            "unavailable"
        );
        assert_eq!(err(502, "<html>bad gateway</html>").code(), "unavailable");
    }

    #[test]
    fn the_credits_header_is_a_non_negative_number() {
        assert_eq!(credits_used(Some("1")), Some(1.0));
        assert_eq!(credits_used(Some(" 4 ")), Some(4.0));
        assert_eq!(credits_used(Some("-1")), None);
        assert_eq!(credits_used(Some("lots")), None);
        assert_eq!(credits_used(None), None);
    }
}
