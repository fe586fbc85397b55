//! Automatic white balance of a result image.
//!
//! Grey-world over the whole picture turns a red dress cyan, so only pixels that are already
//! nearly neutral (whites, greys, the backdrop) vote: their average colour is what should be grey.
//! Gains are clamped, and an image whose near-neutral pixels are neutral already, or that has too
//! few of them to judge, is left exactly as it is.

use image::RgbaImage;

/// Largest correction per channel (a gain between 1/1.25 and 1.25).
const MAX_GAIN: f32 = 1.25;
/// Casts smaller than this (relative) are left alone: no visible gain, only rounding churn.
const MIN_CAST: f32 = 0.015;
/// Share of opaque pixels that must be near-neutral for the estimate to be trusted.
const MIN_NEUTRAL_SHARE: f32 = 0.02;
/// How far from grey a pixel may be (chroma over luminance) and still vote.
const NEUTRAL_CHROMA: f32 = 0.2;

/// Corrects a colour cast in place, using the near-neutral pixels as the reference. Alpha is
/// untouched; transparent pixels do not vote.
pub fn auto_white_balance(img: &mut RgbaImage) {
    let Some(gains) = estimate_gains(img) else {
        return;
    };
    let luts: [[u8; 256]; 3] = std::array::from_fn(|c| {
        std::array::from_fn(|v| (v as f32 * gains[c]).round().clamp(0.0, 255.0) as u8)
    });
    for p in img.pixels_mut() {
        for c in 0..3 {
            p.0[c] = luts[c][usize::from(p.0[c])];
        }
    }
}

/// Per-channel gains that make the near-neutral pixels grey, or `None` when there is nothing to do.
fn estimate_gains(img: &RgbaImage) -> Option<[f32; 3]> {
    let mut sum = [0f64; 3];
    let mut neutral = 0usize;
    let mut opaque = 0usize;
    for p in img.pixels() {
        let [r, g, b, a] = p.0;
        if a < 128 {
            continue;
        }
        opaque += 1;
        let (rf, gf, bf) = (f32::from(r), f32::from(g), f32::from(b));
        let lum = (rf + gf + bf) / 3.0;
        // Too dark to carry colour information, or clipped and so already lying about it.
        if !(40.0..=250.0).contains(&lum) || r == 255 || g == 255 || b == 255 {
            continue;
        }
        let chroma = (rf.max(gf).max(bf) - rf.min(gf).min(bf)) / lum;
        if chroma <= NEUTRAL_CHROMA {
            neutral += 1;
            sum[0] += f64::from(rf);
            sum[1] += f64::from(gf);
            sum[2] += f64::from(bf);
        }
    }
    if neutral == 0 || (neutral as f32) < MIN_NEUTRAL_SHARE * opaque as f32 {
        return None;
    }
    let mean = sum.map(|s| (s / neutral as f64) as f32);
    let grey = (mean[0] + mean[1] + mean[2]) / 3.0;
    let gains = mean.map(|m| (grey / m.max(1.0)).clamp(1.0 / MAX_GAIN, MAX_GAIN));
    if gains.iter().all(|g| (g - 1.0).abs() < MIN_CAST) {
        return None;
    }
    Some(gains)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    /// A scene of grey patches and a saturated red area, optionally with a colour cast.
    fn scene(cast: [f32; 3]) -> RgbaImage {
        RgbaImage::from_fn(100, 100, |x, y| {
            let base = if x < 40 {
                [200.0, 30.0, 40.0]
            } else {
                let v = 80.0 + (y as f32) * 1.5;
                [v, v, v]
            };
            Rgba([
                (base[0] * cast[0]).min(255.0) as u8,
                (base[1] * cast[1]).min(255.0) as u8,
                (base[2] * cast[2]).min(255.0) as u8,
                255,
            ])
        })
    }

    #[test]
    fn neutral_images_are_left_exactly_alone() {
        let original = scene([1.0, 1.0, 1.0]);
        let mut img = original.clone();
        auto_white_balance(&mut img);
        assert_eq!(img, original);
    }

    #[test]
    fn a_warm_cast_is_removed_from_the_greys() {
        let mut img = scene([1.07, 1.0, 0.93]);
        auto_white_balance(&mut img);
        let p = img.get_pixel(70, 50).0;
        assert!(
            (i32::from(p[0]) - i32::from(p[2])).abs() <= 3,
            "grey patch after: {p:?}"
        );
        // The red area stays red.
        let red = img.get_pixel(10, 50).0;
        assert!(red[0] > 180 && red[1] < 50, "{red:?}");
    }

    #[test]
    fn a_fully_saturated_image_is_not_judged() {
        let original = RgbaImage::from_pixel(50, 50, Rgba([220, 20, 30, 255]));
        let mut img = original.clone();
        auto_white_balance(&mut img);
        assert_eq!(img, original);
    }
}
