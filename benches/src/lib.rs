//! Inputs for FitView's benchmarks: photo-like synthetic images made in code, so the benches need
//! no fixture files and every run measures the same pixels.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

/// A photo-like image: a studio-grey backdrop with a soft vignette, a large figure with shading
/// and fine fabric texture, and sensor noise. Deterministic for a given `seed`.
///
/// The detail and noise matter: a flat synthetic image would compress and decode far faster than
/// a real photo and flatter every stage.
pub fn photo(width: u32, height: u32, seed: u32) -> RgbImage {
    let (wf, hf) = (width as f32, height as f32);
    RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f32 / wf, y as f32 / hf);
        let vignette = 1.0 - 0.25 * ((u - 0.5).powi(2) + (v - 0.5).powi(2));
        let noise = (hash(x, y, seed) % 17) as f32 - 8.0;
        let figure = ((u - 0.5) / 0.22).powi(2) + ((v - 0.55) / 0.42).powi(2) < 1.0;
        let rgb = if figure {
            // Woven texture: two sine gratings plus a fold-like shading gradient.
            let weave = ((x as f32 * 0.9).sin() * (y as f32 * 1.1).sin()) * 18.0;
            let shade = 40.0 * (u * 9.0 + v * 3.0).sin();
            [
                150.0 + weave + shade,
                70.0 + weave * 0.5 + shade,
                60.0 + shade,
            ]
        } else {
            [225.0, 226.0, 230.0]
        };
        Rgb(rgb.map(|c| (c * vignette + noise).clamp(0.0, 255.0) as u8))
    })
}

/// [`photo`] encoded as a JPEG at quality 90, like a retailer's upload.
pub fn photo_jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let img = photo(width, height, seed);
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    if img.write_with_encoder(encoder).is_err() {
        return Vec::new();
    }
    out
}

/// A garment product shot: a dark shirt with a white logo on a white studio backdrop, as PNG.
pub fn garment_png(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let (wf, hf) = (width as f32, height as f32);
    let img = RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f32 / wf, y as f32 / hf);
        let noise = (hash(x, y, seed) % 5) as i32 - 2;
        let body = (0.3..0.7).contains(&u) && (0.2..0.85).contains(&v);
        let sleeves = (0.15..0.85).contains(&u) && (0.2..0.35).contains(&v);
        let logo = (0.45..0.55).contains(&u) && (0.35..0.42).contains(&v);
        let base: [i32; 3] = if logo {
            [245, 245, 245]
        } else if body || sleeves {
            let weave = (((x as f32 * 0.8).sin() + (y as f32 * 0.8).sin()) * 6.0) as i32;
            [40 + weave, 60 + weave, 110 + weave]
        } else {
            [246, 246, 246]
        };
        Rgb(base.map(|c| (c + noise).clamp(0, 255) as u8))
    });
    encode(&img, ImageFormat::Png)
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory RGB image to a Vec cannot fail for these formats; an empty result
    // would make the benchmark fail loudly at its first decode.
    if img.write_to(&mut out, format).is_err() {
        return Vec::new();
    }
    out.into_inner()
}

fn hash(x: u32, y: u32, seed: u32) -> u32 {
    let mut h =
        x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77) ^ seed.wrapping_mul(0xC2B2_AE3D);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^ (h >> 12)
}
