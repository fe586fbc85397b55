//! Real image bytes for fake answers: the person from the request with the garments laid over
//! the torso (so FitView's output checks see the person and the garment), or a plain gradient
//! when there is nothing to start from.

use std::io::Cursor;

use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};

/// The image a try-on model would return: `person` stretched to `size`, each garment (cut-out
/// or product photo) scaled into the torso and composited by its alpha.
pub(crate) fn dressed(
    person: Option<&DynamicImage>,
    garments: &[DynamicImage],
    size: (u32, u32),
) -> RgbaImage {
    let (w, h) = size;
    let mut out = match person {
        Some(p) => imageops::resize(&p.to_rgba8(), w, h, FilterType::Triangle),
        None => gradient(size, [180, 170, 160]),
    };
    let (bx, by, bw, bh) = (w * 3 / 10, h / 5, w * 2 / 5, h * 2 / 5);
    for garment in garments {
        let g = garment.to_rgba8();
        let (gw, gh) = g.dimensions();
        if gw == 0 || gh == 0 {
            continue;
        }
        let scale = f64::min(f64::from(bw) / f64::from(gw), f64::from(bh) / f64::from(gh));
        let (tw, th) = (
            ((f64::from(gw) * scale) as u32).max(1),
            ((f64::from(gh) * scale) as u32).max(1),
        );
        let scaled = imageops::resize(&g, tw, th, FilterType::Triangle);
        imageops::overlay(
            &mut out,
            &scaled,
            i64::from(bx + (bw - tw.min(bw)) / 2),
            i64::from(by),
        );
    }
    out
}

/// `img` with every channel shifted by a small amount derived from `seed` (a "variation").
pub(crate) fn tinted(img: &RgbaImage, seed: u64) -> RgbaImage {
    let delta = [
        (seed % 41) as i16 - 20,
        ((seed / 41) % 41) as i16 - 20,
        ((seed / 1681) % 41) as i16 - 20,
    ];
    let mut out = img.clone();
    for px in out.pixels_mut() {
        for (c, d) in px.0.iter_mut().zip(delta) {
            *c = (i16::from(*c) + d).clamp(0, 255) as u8;
        }
    }
    out
}

/// A soft vertical gradient around `rgb`.
pub(crate) fn gradient((w, h): (u32, u32), rgb: [u8; 3]) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        let shade = ((x + y) * 60 / (w + h).max(1)) as u8;
        Rgba([
            rgb[0].saturating_sub(shade),
            rgb[1].saturating_sub(shade),
            rgb[2].saturating_sub(shade),
            255,
        ])
    })
}

/// Decodes an input image; `None` when the bytes are not one.
pub(crate) fn load(bytes: &[u8]) -> Option<DynamicImage> {
    image::load_from_memory(bytes).ok()
}

/// Encodes as PNG or (opaque) JPEG.
pub(crate) fn encode(img: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let result = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgba8(img.clone())
            .to_rgb8()
            .write_to(&mut out, format),
        _ => img.write_to(&mut out, format),
    };
    // Encoding an in-memory RGBA image into a Vec cannot fail for these formats; an empty body
    // would show up in the test that triggered it.
    if result.is_err() {
        return Vec::new();
    }
    out.into_inner()
}

/// Output size of an aspect ratio `w:h` at a size class whose square is `base` pixels on a side,
/// rounded to multiples of 16; Gemini 3's documented sizes for 3:4 and 1:1 exactly.
pub(crate) fn size_for(aspect: &str, base: u32) -> (u32, u32) {
    let k = base / 1024;
    match aspect {
        "1:1" => (base, base),
        "3:4" if k > 0 => (896 * k, 1200 * k),
        "4:3" if k > 0 => (1200 * k, 896 * k),
        _ => {
            let (a, b) = aspect
                .split_once(':')
                .and_then(|(a, b)| Some((a.parse::<f64>().ok()?, b.parse::<f64>().ok()?)))
                .filter(|(a, b)| *a > 0.0 && *b > 0.0)
                .unwrap_or((1.0, 1.0));
            let area = f64::from(base) * f64::from(base);
            let w = (area * a / b).sqrt();
            let round = |v: f64| ((v / 16.0).round() as u32).max(1) * 16;
            (round(w), round(w * b / a))
        }
    }
}
