//! `keeps_person`: the head box of the output stays close to the person photo's.
//!
//! Both head boxes are reduced to a 32×32 grey patch by area averaging (so small misalignments
//! and noise wash out, as they should for a generative model that is not pixel-aligned) and
//! compared with one structural-similarity (SSIM) window over the whole patch: luminance,
//! contrast and structure together. A uniform brightness shift barely lowers it; a missing,
//! moved or different head lowers it a lot. It is a guard against gross failures, not an
//! identity check: a model that draws a similar-looking stranger in the same pose can pass.

use image::RgbaImage;

use super::{Bound, Check, CheckName, ValidationConfig, luma, scale_rect};
use crate::pipeline::Placement;

/// Side of the grey patch.
const PATCH: u32 = 32;
/// SSIM's stabilising constants for 8-bit values.
const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);

/// The person's head box (canvas pixels) and its grey patch.
#[derive(Debug, Clone)]
pub(super) struct HeadPatch {
    pub rect: Placement,
    patch: Vec<f64>,
}

impl HeadPatch {
    pub fn new(person: &RgbaImage, rect: Placement) -> Self {
        HeadPatch {
            rect,
            patch: grey_patch(person, rect),
        }
    }

    /// The check on `image`, an output for a request of size `expected`.
    pub fn compare(
        &self,
        image: &RgbaImage,
        expected: (u32, u32),
        config: &ValidationConfig,
    ) -> Check {
        let rect = scale_rect(self.rect, expected, image.dimensions());
        let similarity = ssim(&self.patch, &grey_patch(image, rect));
        Check::new(
            CheckName::KeepsPerson,
            similarity,
            config.min_head_similarity,
            Bound::AtLeast,
        )
        .with_detail(format!(
            "head box {}×{} at ({}, {})",
            rect.width, rect.height, rect.x, rect.y
        ))
    }
}

/// The mean luma of each of `PATCH`² cells of `rect`.
fn grey_patch(img: &RgbaImage, rect: Placement) -> Vec<f64> {
    let (w, h) = img.dimensions();
    let edge = |start: u32, len: u32, i: u32, limit: u32| {
        (start + (u64::from(len) * u64::from(i) / u64::from(PATCH)) as u32).min(limit)
    };
    let mut patch = Vec::with_capacity((PATCH * PATCH) as usize);
    for j in 0..PATCH {
        let y0 = edge(rect.y, rect.height, j, h - 1);
        let y1 = edge(rect.y, rect.height, j + 1, h).max(y0 + 1);
        for i in 0..PATCH {
            let x0 = edge(rect.x, rect.width, i, w - 1);
            let x1 = edge(rect.x, rect.width, i + 1, w).max(x0 + 1);
            let (mut sum, mut n) = (0f64, 0u32);
            for y in y0..y1 {
                for x in x0..x1 {
                    sum += f64::from(luma(img.get_pixel(x, y).0));
                    n += 1;
                }
            }
            patch.push(sum / f64::from(n.max(1)));
        }
    }
    patch
}

/// SSIM of two equally long sample vectors, as one window.
fn ssim(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()).max(1) as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
    let (ma, mb) = (mean(a), mean(b));
    let (mut va, mut vb, mut cov) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        va += dx * dx;
        vb += dy * dy;
        cov += dx * dy;
    }
    let (va, vb, cov) = (va / n, vb / n, cov / n);
    ((2.0 * ma * mb + C1) * (2.0 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::conformance::sample_person;
    use image::Rgba;

    fn head_of_sample() -> Placement {
        Placement {
            x: 430,
            y: 50,
            width: 164,
            height: 150,
        }
    }

    #[test]
    fn the_same_head_scaled_or_shifted_in_brightness_passes() {
        let config = ValidationConfig::default();
        let person = sample_person((1024, 1024));
        let reference = HeadPatch::new(&person, head_of_sample());
        let same = reference.compare(&person, (1024, 1024), &config);
        assert!((same.value - 1.0).abs() < 1e-6, "{same:?}");
        // A 2K answer of the same picture, a shade brighter.
        let brighter =
            image::imageops::resize(&person, 2048, 2048, image::imageops::FilterType::Triangle);
        let brighter = RgbaImage::from_fn(2048, 2048, |x, y| {
            let p = brighter.get_pixel(x, y).0;
            Rgba([
                p[0].saturating_add(14),
                p[1].saturating_add(14),
                p[2].saturating_add(14),
                255,
            ])
        });
        let check = reference.compare(&brighter, (1024, 1024), &config);
        assert!(check.passed() && check.value > 0.9, "{check:?}");
    }

    #[test]
    fn a_missing_or_moved_head_fails() {
        let config = ValidationConfig::default();
        let person = sample_person((1024, 1024));
        let reference = HeadPatch::new(&person, head_of_sample());
        let mut headless = person.clone();
        for y in 0..170 {
            for x in 380..650 {
                headless.put_pixel(x, y, Rgba([232, 232, 230, 255]));
            }
        }
        let check = reference.compare(&headless, (1024, 1024), &config);
        assert!(!check.passed(), "{check:?}");
        let moved = image::imageops::crop_imm(&person, 90, 0, 934, 1024).to_image();
        let moved =
            image::imageops::resize(&moved, 1024, 1024, image::imageops::FilterType::Triangle);
        let check = reference.compare(&moved, (1024, 1024), &config);
        assert!(!check.passed(), "{check:?}");
    }
}
