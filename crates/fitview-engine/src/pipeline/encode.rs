//! Encoding of output images. Everything FitView returns is re-encoded from pixels here, so no
//! metadata (EXIF, GPS, ICC, XMP) and no payload appended to an input survives.

use std::io::Cursor;

use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, RgbaImage};

use crate::error::{Error, Result};
use crate::request::OutputFormat;

use super::resize;

/// Largest side libwebp can encode.
const WEBP_MAX_DIMENSION: u32 = 16_383;
/// Largest side a JPEG header can declare.
const JPEG_MAX_DIMENSION: u32 = 65_535;

/// An encoded image and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedImage {
    /// The encoded bytes.
    pub bytes: Bytes,
    /// Their format.
    pub format: OutputFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Encodes `img` in `format`; `quality` (1-100, clamped) applies to lossy WebP and JPEG. JPEG has
/// no alpha, so transparent pixels are composited onto white first.
pub fn encode(img: &RgbaImage, format: OutputFormat, quality: u8) -> Result<EncodedImage> {
    let (width, height) = img.dimensions();
    if width == 0 || height == 0 {
        return Err(Error::internal("cannot encode an empty image"));
    }
    let quality = quality.clamp(1, 100);
    let bytes = match format {
        OutputFormat::Webp => encode_webp(img, false, quality)?,
        OutputFormat::WebpLossless => encode_webp(img, true, quality)?,
        OutputFormat::Jpeg => encode_jpeg(img, quality)?,
        OutputFormat::Png => encode_png(img)?,
    };
    Ok(EncodedImage {
        bytes: Bytes::from(bytes),
        format,
        width,
        height,
    })
}

/// Encodes one downscaled copy of `img` per entry of `widths`, in that order, keeping the aspect
/// ratio. A width larger than the image gives the image's own width: thumbnails never upscale.
pub fn thumbnails(
    img: &RgbaImage,
    widths: &[u32],
    format: OutputFormat,
    quality: u8,
) -> Result<Vec<EncodedImage>> {
    let (w, h) = img.dimensions();
    widths
        .iter()
        .map(|&requested| {
            let tw = requested.clamp(1, w.max(1));
            let th = ((u64::from(h) * u64::from(tw) + u64::from(w) / 2) / u64::from(w.max(1)))
                .max(1) as u32;
            if (tw, th) == (w, h) {
                encode(img, format, quality)
            } else {
                encode(&resize::resize_exact(img, tw, th)?, format, quality)
            }
        })
        .collect()
}

fn encode_webp(img: &RgbaImage, lossless: bool, quality: u8) -> Result<Vec<u8>> {
    let (w, h) = img.dimensions();
    if w > WEBP_MAX_DIMENSION || h > WEBP_MAX_DIMENSION {
        return Err(Error::invalid_input(format!(
            "{w}×{h} is larger than WebP allows ({WEBP_MAX_DIMENSION} per side)"
        )));
    }
    let mut config = webp::WebPConfig::new()
        .map_err(|()| Error::internal("libwebp rejected its default config"))?;
    config.lossless = i32::from(lossless);
    config.alpha_compression = i32::from(!lossless);
    config.quality = f32::from(quality);
    // An opaque image is passed as RGB so libwebp writes no alpha plane.
    let rgb;
    let encoder = if resize::has_transparency(img) {
        webp::Encoder::from_rgba(img.as_raw(), w, h)
    } else {
        rgb = strip_alpha(img);
        webp::Encoder::from_rgb(&rgb, w, h)
    };
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|e| Error::internal(format!("WebP encoding failed: {e:?}")))?;
    Ok(memory.to_vec())
}

fn encode_jpeg(img: &RgbaImage, quality: u8) -> Result<Vec<u8>> {
    let (w, h) = img.dimensions();
    if w > JPEG_MAX_DIMENSION || h > JPEG_MAX_DIMENSION {
        return Err(Error::invalid_input(format!(
            "{w}×{h} is larger than JPEG allows ({JPEG_MAX_DIMENSION} per side)"
        )));
    }
    let rgb = on_white(img);
    let mut out = Vec::with_capacity(rgb.len() / 8);
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(&rgb, w, h, ExtendedColorType::Rgb8)
        .map_err(|e| Error::internal(format!("JPEG encoding failed: {e}")))?;
    Ok(out)
}

fn encode_png(img: &RgbaImage) -> Result<Vec<u8>> {
    let (w, h) = img.dimensions();
    let mut out = Cursor::new(Vec::new());
    let encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    if resize::has_transparency(img) {
        encoder.write_image(img.as_raw(), w, h, ExtendedColorType::Rgba8)
    } else {
        encoder.write_image(&strip_alpha(img), w, h, ExtendedColorType::Rgb8)
    }
    .map_err(|e| Error::internal(format!("PNG encoding failed: {e}")))?;
    Ok(out.into_inner())
}

fn strip_alpha(img: &RgbaImage) -> Vec<u8> {
    img.as_raw()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// RGB of `img` composited over white.
fn on_white(img: &RgbaImage) -> Vec<u8> {
    img.as_raw()
        .chunks_exact(4)
        .flat_map(|p| {
            let a = u32::from(p[3]);
            let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
            [mix(p[0]), mix(p[1]), mix(p[2])]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn sample() -> RgbaImage {
        RgbaImage::from_fn(64, 48, |x, y| {
            if x < 32 {
                Rgba([220, 40, 30, 255])
            } else {
                Rgba([20, 60, 200, if y < 24 { 255 } else { 0 }])
            }
        })
    }

    fn decode_back(e: &EncodedImage) -> image::DynamicImage {
        image::load_from_memory(&e.bytes).unwrap()
    }

    #[test]
    fn every_format_round_trips_with_its_dimensions() {
        let img = sample();
        for format in [
            OutputFormat::Webp,
            OutputFormat::WebpLossless,
            OutputFormat::Jpeg,
            OutputFormat::Png,
        ] {
            let e = encode(&img, format, 85).unwrap();
            assert_eq!((e.width, e.height, e.format), (64, 48, format));
            let back = decode_back(&e);
            assert_eq!((back.width(), back.height()), (64, 48), "{format:?}");
            let red = back.to_rgba8().get_pixel(10, 10).0;
            assert!(red[0] > 190 && red[1] < 70, "{format:?}: {red:?}");
        }
    }

    #[test]
    fn lossless_formats_keep_alpha_and_jpeg_puts_it_on_white() {
        let img = sample();
        for format in [OutputFormat::WebpLossless, OutputFormat::Png] {
            let back = decode_back(&encode(&img, format, 85).unwrap()).to_rgba8();
            assert_eq!(back.get_pixel(50, 40).0[3], 0, "{format:?}");
            assert_eq!(back.get_pixel(50, 10).0, [20, 60, 200, 255], "{format:?}");
        }
        let jpeg = decode_back(&encode(&img, OutputFormat::Jpeg, 90).unwrap()).to_rgb8();
        assert!(
            jpeg.get_pixel(50, 40).0.iter().all(|&c| c > 240),
            "{:?}",
            jpeg.get_pixel(50, 40)
        );
    }

    #[test]
    fn outputs_carry_no_exif() {
        let img = sample();
        for format in [OutputFormat::Webp, OutputFormat::Jpeg, OutputFormat::Png] {
            let e = encode(&img, format, 80).unwrap();
            assert!(!e.bytes.windows(4).any(|w| w == b"Exif"), "{format:?}");
        }
    }

    #[test]
    fn thumbnails_keep_aspect_and_never_upscale() {
        let img = RgbaImage::from_pixel(400, 300, Rgba([1, 2, 3, 255]));
        let t = thumbnails(&img, &[100, 200, 800], OutputFormat::Jpeg, 80).unwrap();
        let sizes: Vec<_> = t.iter().map(|e| (e.width, e.height)).collect();
        assert_eq!(sizes, vec![(100, 75), (200, 150), (400, 300)]);
        assert_eq!(decode_back(&t[0]).width(), 100);
    }

    #[test]
    fn webp_beyond_its_maximum_is_an_error() {
        let img = RgbaImage::new(16_384, 1);
        assert!(matches!(
            encode(&img, OutputFormat::Webp, 80),
            Err(Error::InvalidInput { .. })
        ));
    }
}
