//! `decode`, `size` and `aspect`: the output is an image within the limits, of the asked shape.

use image::RgbaImage;

use super::{Bound, Check, CheckName, ValidationConfig};
use crate::limits::Limits;
use crate::pipeline;
use crate::provider::GeneratedImage;

/// Encoded bytes go through [`pipeline::decode`], the one path by which bytes become pixels,
/// with every limit; pixels made in process get the same dimension limits.
pub(super) fn decode(image: GeneratedImage, limits: &Limits) -> Result<RgbaImage, Check> {
    let failed = |detail: String| {
        Check::new(CheckName::Decode, 0.0, 1.0, Bound::AtLeast).with_detail(detail)
    };
    match image {
        GeneratedImage::Encoded(bytes) => {
            pipeline::decode(&bytes, limits).map_err(|e| failed(format!("provider image: {e}")))
        }
        GeneratedImage::Pixels(px) => {
            let (w, h) = px.dimensions();
            let pixels = u64::from(w) * u64::from(h);
            if w == 0 || h == 0 {
                Err(failed("the provider returned an empty image".to_owned()))
            } else if w > limits.max_width || h > limits.max_height || pixels > limits.max_pixels {
                Err(failed(format!(
                    "provider image of {w}×{h} is over the limits ({}×{}, {} pixels)",
                    limits.max_width, limits.max_height, limits.max_pixels
                )))
            } else {
                Ok(px)
            }
        }
    }
}

/// √(output pixels / asked pixels): 1 at the asked size, 2 for a 2K answer to a 1K canvas.
pub(super) fn size(image: &RgbaImage, expected: (u32, u32), config: &ValidationConfig) -> Check {
    let area = |(w, h): (u32, u32)| f64::from(w) * f64::from(h);
    let scale = (area(image.dimensions()) / area(expected).max(1.0)).sqrt();
    Check::new(
        CheckName::Size,
        scale,
        config.min_size_ratio,
        Bound::AtLeast,
    )
    .with_detail(format!(
        "{}×{} for {}×{} asked",
        image.width(),
        image.height(),
        expected.0,
        expected.1
    ))
}

/// |output aspect / asked aspect − 1|.
pub(super) fn aspect(image: &RgbaImage, expected: (u32, u32), config: &ValidationConfig) -> Check {
    let ratio = |(w, h): (u32, u32)| f64::from(w) / f64::from(h.max(1));
    let error = (ratio(image.dimensions()) / ratio(expected).max(f64::MIN_POSITIVE) - 1.0).abs();
    Check::new(
        CheckName::Aspect,
        error,
        config.aspect_tolerance,
        Bound::AtMost,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn img(w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_pixel(w, h, Rgba([1, 2, 3, 255]))
    }

    #[test]
    fn the_real_providers_output_sizes_pass() {
        let config = ValidationConfig::default();
        // Gemini 2.5 Flash Image answers a 3:4 request at 864×1184, 3 Pro Image at 896×1200
        // (1K) or 1792×2400 (2K); the engine's Gemini canvas is 896×1200.
        for (w, h) in [(864, 1184), (896, 1200), (1792, 2400)] {
            let out = img(w, h);
            assert!(size(&out, (896, 1200), &config).passed(), "{w}×{h}");
            assert!(aspect(&out, (896, 1200), &config).passed(), "{w}×{h}");
        }
    }

    #[test]
    fn small_or_misshapen_outputs_fail() {
        let config = ValidationConfig::default();
        let half = size(&img(512, 512), (1024, 1024), &config);
        assert!(!half.passed());
        assert_eq!(half.value, 0.5);
        let wide = aspect(&img(1024, 768), (1024, 1024), &config);
        assert!(!wide.passed());
        assert!((wide.value - 0.3333).abs() < 1e-3, "{wide:?}");
    }

    #[test]
    fn pixels_over_the_limits_or_bad_bytes_fail_decode() {
        let limits = Limits {
            max_width: 100,
            ..Limits::default()
        };
        let err = decode(GeneratedImage::Pixels(img(200, 50)), &limits).unwrap_err();
        assert_eq!(err.name, CheckName::Decode);
        assert!(!err.passed());
        let err = decode(
            GeneratedImage::Encoded(bytes::Bytes::from_static(b"<html>oops</html>")),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(err.detail.unwrap_or_default().contains("HTML"));
        assert!(decode(GeneratedImage::Pixels(img(50, 50)), &limits).is_ok());
    }
}
