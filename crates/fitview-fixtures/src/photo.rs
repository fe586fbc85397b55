//! Large photo-like images for benchmarks: a person render scaled up with fine grain.

use image::{Rgb, RgbImage};

use crate::person::{Build, Framing, HairStyle, Legwear, PersonSpec, render_person};
use crate::rng::Rng;

/// A `width` x `height` photo: a full-body person rendered at a quarter of the size, scaled up
/// bilinearly, with per-pixel grain so that it does not compress to nothing. Fast enough for
/// 24 megapixels on the fly.
pub fn large_photo(width: u32, height: u32, seed: u64) -> RgbImage {
    let (sw, sh) = ((width / 4).max(16), (height / 4).max(16));
    let spec = PersonSpec {
        id: "large",
        width: sw,
        height: sh,
        skin: [214, 170, 136],
        hair: [60, 42, 30],
        build: Build::Average,
        framing: Framing::FullBody,
        background: [228, 228, 226],
        base_top: [120, 40, 60],
        base_bottom: [50, 60, 84],
        legwear: Legwear::Trousers,
        hair_style: HairStyle::Short,
        turn: 0.0,
        seed,
    };
    let (small, _) = render_person(&spec);
    let mut rng = Rng::new(seed);
    let (fx, fy) = (sw as f32 / width as f32, sh as f32 / height as f32);
    let raw = small.as_raw();
    let stride = sw as usize * 3;
    let mut out = RgbImage::new(width, height);
    for (y, row) in out.rows_mut().enumerate() {
        let sy = ((y as f32 + 0.5) * fy - 0.5).clamp(0.0, (sh - 1) as f32);
        let y0 = sy as usize;
        let y1 = (y0 + 1).min(sh as usize - 1);
        let ty = sy - y0 as f32;
        for (x, p) in row.enumerate() {
            let sx = ((x as f32 + 0.5) * fx - 0.5).clamp(0.0, (sw - 1) as f32);
            let x0 = sx as usize;
            let x1 = (x0 + 1).min(sw as usize - 1);
            let tx = sx - x0 as f32;
            let grain = (rng.next_u64() & 0xF) as f32 - 7.5;
            let mut c = [0u8; 3];
            for (k, v) in c.iter_mut().enumerate() {
                let a = raw[y0 * stride + x0 * 3 + k] as f32;
                let b = raw[y0 * stride + x1 * 3 + k] as f32;
                let cc = raw[y1 * stride + x0 * 3 + k] as f32;
                let d = raw[y1 * stride + x1 * 3 + k] as f32;
                let top = a + (b - a) * tx;
                let bottom = cc + (d - cc) * tx;
                *v = (top + (bottom - top) * ty + grain)
                    .round()
                    .clamp(0.0, 255.0) as u8;
            }
            *p = Rgb(c);
        }
    }
    out
}
