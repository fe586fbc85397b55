//! Images as HTTP providers carry them inline: encoded, base64'd, tagged with a MIME type; and
//! the way back, from whatever base64 flavour a provider returns to checked image bytes.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use image::RgbaImage;

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::pipeline::{self, SourceFormat};
use crate::request::OutputFormat;

/// JPEG quality of opaque inputs: visually lossless, a fraction of PNG's size.
const INPUT_JPEG_QUALITY: u8 = 92;

const PADDING_INDIFFERENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_ANY: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, PADDING_INDIFFERENT);
const URL_SAFE_ANY: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, PADDING_INDIFFERENT);

/// An encoded input image with its MIME type and base64 text (standard alphabet, padded).
#[derive(Debug, Clone)]
pub(crate) struct InlineImage {
    /// `image/jpeg` or `image/png`.
    pub(crate) mime_type: &'static str,
    /// Standard base64 of the encoded bytes.
    pub(crate) base64: String,
}

impl InlineImage {
    /// Encodes pixels for upload: JPEG when fully opaque (a person photo, a try-on result), PNG
    /// when the alpha channel matters (a cut-out garment).
    pub(crate) fn encode(img: &RgbaImage) -> Result<Self> {
        let opaque = img.pixels().all(|p| p.0[3] == 255);
        let (format, mime_type) = if opaque {
            (OutputFormat::Jpeg, "image/jpeg")
        } else {
            (OutputFormat::Png, "image/png")
        };
        let encoded = pipeline::encode(img, format, INPUT_JPEG_QUALITY)?;
        Ok(Self {
            mime_type,
            base64: base64::engine::general_purpose::STANDARD.encode(&encoded.bytes),
        })
    }

    /// As a `data:` URI (xAI's form of an inline image).
    pub(crate) fn data_uri(&self) -> String {
        format!("data:{};base64,{}", self.mime_type, self.base64)
    }
}

/// Decodes base64 in the standard or URL-safe alphabet, padded or not, after an optional
/// `data:<mime>;base64,` prefix. `None` when it is not base64.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text
        .split_once(";base64,")
        .filter(|(head, _)| head.starts_with("data:"))
        .map_or(text, |(_, data)| data)
        .trim();
    let engine = if text.contains(['-', '_']) {
        &URL_SAFE_ANY
    } else {
        &STANDARD_ANY
    };
    engine.decode(text).ok()
}

/// Checks provider image bytes before they are returned: not over the byte cap, and an accepted
/// format whose header passes `limits` (the real format is sniffed; a declared MIME type is not
/// trusted). Failures are malformed responses: the provider, not the caller, is at fault.
pub(crate) fn checked_image(bytes: Vec<u8>, limits: &Limits) -> Result<(Bytes, SourceFormat)> {
    let info = pipeline::probe(&bytes, limits).map_err(|e| Error::MalformedResponse {
        detail: format!("provider image rejected: {e}"),
    })?;
    Ok((Bytes::from(bytes), info.format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_base64_flavour_decodes() {
        let bytes = [0xfb_u8, 0xff, 0xbf, 0x01];
        for text in [
            "+/+/AQ==",
            "+/+/AQ",
            "-_-_AQ==",
            "-_-_AQ",
            "data:image/png;base64,+/+/AQ==",
        ] {
            assert_eq!(decode_base64(text).as_deref(), Some(&bytes[..]), "{text}");
        }
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn opaque_images_go_as_jpeg_and_cut_outs_as_png() {
        let opaque = RgbaImage::from_pixel(8, 8, image::Rgba([1, 2, 3, 255]));
        let clear = RgbaImage::from_pixel(8, 8, image::Rgba([1, 2, 3, 0]));
        assert_eq!(
            InlineImage::encode(&opaque).unwrap().mime_type,
            "image/jpeg"
        );
        let png = InlineImage::encode(&clear).unwrap();
        assert_eq!(png.mime_type, "image/png");
        assert!(png.data_uri().starts_with("data:image/png;base64,iVBOR"));
    }

    #[test]
    fn non_images_are_malformed_responses() {
        let err = checked_image(b"<html>oops</html>".to_vec(), &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "malformed_response");
    }
}
