//! Vertex AI Virtual Try-On's wire format, pure: the `:predict` body and its predictions.
//!
//! Shapes from Google's Virtual Try-On API reference (`VirtualTryOnModelParams`,
//! `VirtualTryOnModelResultProto`) and the google-genai SDK's `recontext_image` mapping; see
//! `docs/providers.md`. Errors are the `google.rpc.Status` envelope the Gemini module reads.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::super::http::redact;
use super::super::inline::{InlineImage, checked_image, decode_base64};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::pipeline::SourceFormat;

/// What one `:predict` call asks for.
#[derive(Debug, Clone)]
pub(crate) struct PredictRequest<'a> {
    pub(crate) person: &'a InlineImage,
    pub(crate) garment: &'a InlineImage,
    pub(crate) sample_count: u8,
    pub(crate) base_steps: u32,
    pub(crate) seed: Option<u32>,
    pub(crate) person_generation: &'a str,
    pub(crate) safety_setting: &'a str,
    pub(crate) output_mime_type: &'a str,
    pub(crate) compression_quality: Option<u8>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    instances: [Instance<'a>; 1],
    parameters: Parameters<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Instance<'a> {
    person_image: ImageHolder<'a>,
    product_images: [ImageHolder<'a>; 1],
}

#[derive(Serialize)]
struct ImageHolder<'a> {
    image: EncodedImage<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EncodedImage<'a> {
    bytes_base64_encoded: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Parameters<'a> {
    sample_count: u8,
    base_steps: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u32>,
    /// Sent as `false` with a seed (Vertex refuses a seed with the watermark on); left to
    /// Google's default (on) otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    add_watermark: Option<bool>,
    person_generation: &'a str,
    safety_setting: &'a str,
    output_options: OutputOptions<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutputOptions<'a> {
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    compression_quality: Option<u8>,
}

/// The `:predict` body.
pub(crate) fn build_request_body(request: &PredictRequest<'_>) -> Result<Vec<u8>> {
    let body = Body {
        instances: [Instance {
            person_image: ImageHolder {
                image: EncodedImage {
                    bytes_base64_encoded: &request.person.base64,
                },
            },
            product_images: [ImageHolder {
                image: EncodedImage {
                    bytes_base64_encoded: &request.garment.base64,
                },
            }],
        }],
        parameters: Parameters {
            sample_count: request.sample_count,
            base_steps: request.base_steps,
            seed: request.seed,
            add_watermark: request.seed.map(|_| false),
            person_generation: request.person_generation,
            safety_setting: request.safety_setting,
            output_options: OutputOptions {
                mime_type: request.output_mime_type,
                compression_quality: request.compression_quality,
            },
        },
    };
    serde_json::to_vec(&body)
        .map_err(|e| Error::internal(format!("cannot encode the Vertex AI request: {e}")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Answer {
    predictions: Vec<Prediction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Prediction {
    bytes_base64_encoded: Option<String>,
    mime_type: Option<String>,
    rai_filtered_reason: Option<String>,
}

/// What a 200 answer held.
#[derive(Debug, Clone)]
pub(crate) struct Predictions {
    /// The images, checked to be accepted formats within the limits.
    pub(crate) images: Vec<(Bytes, SourceFormat)>,
    /// Samples withheld by Responsible-AI filtering, marked or simply missing.
    pub(crate) filtered: usize,
}

/// Reads a 200 answer to a request for `asked` samples. Filtered samples (a
/// `raiFilteredReason`, or fewer predictions than asked) are dropped; when none is left the
/// answer is a [`Error::ContentPolicy`] with Google's reason.
pub(crate) fn parse_response(body: &[u8], asked: u8, limits: &Limits) -> Result<Predictions> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| Error::MalformedResponse {
        detail: format!("Vertex AI answer is not the expected JSON: {e}"),
    })?;
    let mut images = Vec::new();
    let mut reasons = Vec::new();
    for prediction in answer.predictions {
        if let Some(reason) = prediction.rai_filtered_reason {
            reasons.push(redact(&reason));
            continue;
        }
        let Some(data) = prediction
            .bytes_base64_encoded
            .as_deref()
            .filter(|d| !d.is_empty())
        else {
            return Err(Error::MalformedResponse {
                detail: format!(
                    "Vertex AI prediction has no image (declared {})",
                    prediction.mime_type.as_deref().unwrap_or("no MIME type")
                ),
            });
        };
        let raw = decode_base64(data).ok_or_else(|| Error::MalformedResponse {
            detail: "Vertex AI bytesBase64Encoded is not valid base64".to_owned(),
        })?;
        images.push(checked_image(raw, limits)?);
    }
    if images.is_empty() {
        let reason = if reasons.is_empty() {
            "Vertex AI returned no image (filtered)".to_owned()
        } else {
            format!("Vertex AI filtered the output: {}", reasons.join("; "))
        };
        return Err(Error::ContentPolicy { reason });
    }
    let filtered = usize::from(asked).saturating_sub(images.len());
    Ok(Predictions { images, filtered })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

    fn inline(base64: &str) -> InlineImage {
        InlineImage {
            mime_type: "image/jpeg",
            base64: base64.to_owned(),
        }
    }

    #[test]
    fn the_body_is_the_documented_one_and_a_seed_turns_the_watermark_off() {
        let (person, garment) = (inline("UEVSU09O"), inline("R0FSTUVOVA=="));
        let mut request = PredictRequest {
            person: &person,
            garment: &garment,
            sample_count: 1,
            base_steps: 32,
            seed: Some(1337),
            person_generation: "allow_adult",
            safety_setting: "block_medium_and_above",
            output_mime_type: "image/jpeg",
            compression_quality: Some(75),
        };
        let body: serde_json::Value =
            serde_json::from_slice(&build_request_body(&request).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
              "instances": [{
                "personImage": {"image": {"bytesBase64Encoded": "UEVSU09O"}},
                "productImages": [{"image": {"bytesBase64Encoded": "R0FSTUVOVA=="}}]
              }],
              "parameters": {
                "sampleCount": 1, "baseSteps": 32, "seed": 1337, "addWatermark": false,
                "personGeneration": "allow_adult", "safetySetting": "block_medium_and_above",
                "outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 75}
              }
            })
        );
        request.seed = None;
        request.compression_quality = None;
        let body: serde_json::Value =
            serde_json::from_slice(&build_request_body(&request).unwrap()).unwrap();
        let parameters = body["parameters"].as_object().unwrap();
        for absent in ["seed", "addWatermark"] {
            assert!(!parameters.contains_key(absent), "{absent}: {body}");
        }
        assert_eq!(
            body["parameters"]["outputOptions"],
            serde_json::json!({"mimeType": "image/jpeg"})
        );
    }

    #[test]
    fn images_filtered_samples_and_missing_ones_are_told_apart() {
        let body = format!(
            r#"{{"predictions": [{{"mimeType": "image/png", "bytesBase64Encoded": "{PNG_1X1}"}},
               {{"raiFilteredReason": "Filtered: support code 63429089"}}]}}"#
        );
        let out = parse_response(body.as_bytes(), 3, &Limits::default()).unwrap();
        assert_eq!(out.images.len(), 1);
        assert_eq!(out.filtered, 2, "one marked and one missing");

        let all = br#"{"predictions": [{"raiFilteredReason": "Filtered: support code 58061214"}]}"#;
        let err = parse_response(all, 1, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "content_policy");
        assert!(err.to_string().contains("58061214"), "{err}");
        assert!(!err.is_retryable());

        let none = parse_response(b"{}", 1, &Limits::default()).unwrap_err();
        assert_eq!(none.code(), "content_policy");
        let broken = br#"{"predictions": [{"mimeType": "image/png", "bytesBase64Encoded": "!!"}]}"#;
        assert_eq!(
            parse_response(broken, 1, &Limits::default())
                .unwrap_err()
                .code(),
            "malformed_response"
        );
        assert_eq!(
            parse_response(b"<html>", 1, &Limits::default())
                .unwrap_err()
                .code(),
            "malformed_response"
        );
    }
}
