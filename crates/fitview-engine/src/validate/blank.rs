//! `not_blank` and `colour_variety`: the output is a picture, not a flat or two-tone frame (a
//! silent safety filter answers black; a broken pipeline answers grey).

use image::RgbaImage;

use super::{Bound, Check, CheckName, ValidationConfig, luma};

/// About this many pixels are sampled, on a regular grid: enough for both statistics, and a
/// 1024² image costs a sixteenth of a full pass.
const SAMPLES: u64 = 65_536;
/// A colour counts towards the variety when at least this share of the samples has it.
const MIN_COLOUR_SHARE: f64 = 0.001;

pub(super) fn checks(image: &RgbaImage, config: &ValidationConfig) -> [Check; 2] {
    let (w, h) = image.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    let step = ((pixels as f64 / SAMPLES as f64).sqrt().floor() as u32).max(1);
    let mut bins = vec![0u32; 4096];
    let (mut n, mut sum, mut sum_sq) = (0u64, 0f64, 0f64);
    for y in (0..h).step_by(step as usize) {
        for x in (0..w).step_by(step as usize) {
            let p = image.get_pixel(x, y).0;
            let l = f64::from(luma(p));
            sum += l;
            sum_sq += l * l;
            n += 1;
            let bin = (usize::from(p[0] >> 4) << 8)
                | (usize::from(p[1] >> 4) << 4)
                | usize::from(p[2] >> 4);
            bins[bin] += 1;
        }
    }
    let n_f = n.max(1) as f64;
    let mean = sum / n_f;
    let std_dev = (sum_sq / n_f - mean * mean).max(0.0).sqrt();
    let min_count = (n_f * MIN_COLOUR_SHARE).max(1.0);
    let colours = bins.iter().filter(|&&c| f64::from(c) >= min_count).count();
    [
        Check::new(
            CheckName::NotBlank,
            std_dev,
            config.min_luma_std_dev,
            Bound::AtLeast,
        )
        .with_detail(format!("mean luminance {mean:.0}")),
        Check::new(
            CheckName::ColourVariety,
            colours as f64,
            f64::from(config.min_distinct_colours),
            Bound::AtLeast,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn flat_and_nearly_flat_frames_fail() {
        let config = ValidationConfig::default();
        let black = RgbaImage::from_pixel(300, 400, Rgba([0, 0, 0, 255]));
        let [spread, variety] = checks(&black, &config);
        assert!(
            !spread.passed() && !variety.passed(),
            "{spread:?} {variety:?}"
        );
        // Grey with faint sensor-like noise: some colours, no real content.
        let noisy = RgbaImage::from_fn(300, 400, |x, y| {
            let v = 128 + ((x * 7 + y * 13) % 5) as u8;
            Rgba([v, v, v, 255])
        });
        let [spread, _] = checks(&noisy, &config);
        assert!(!spread.passed(), "{spread:?}");
        // Two tones: plenty of spread, but not a picture.
        let halves = RgbaImage::from_fn(300, 400, |x, _| {
            Rgba(if x < 150 {
                [0, 0, 0, 255]
            } else {
                [255, 255, 255, 255]
            })
        });
        let [spread, variety] = checks(&halves, &config);
        assert!(
            spread.passed() && !variety.passed(),
            "{spread:?} {variety:?}"
        );
    }

    #[test]
    fn a_studio_picture_passes() {
        let config = ValidationConfig::default();
        let person = crate::provider::conformance::sample_person((512, 512));
        let [spread, variety] = checks(&person, &config);
        assert!(
            spread.passed() && variety.passed(),
            "{spread:?} {variety:?}"
        );
    }
}
