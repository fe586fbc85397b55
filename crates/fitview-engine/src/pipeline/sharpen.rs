//! Light unsharp-mask sharpening of a result image.

use image::RgbaImage;

/// Sharpens the colour channels in place: `out = in + amount · (in − gaussian_blur(in))` wherever
/// the difference exceeds `threshold` (so flat areas and noise are left alone). `radius` is the
/// Gaussian's sigma in pixels; alpha is untouched. The blur is separable, in fixed point.
pub fn unsharp_mask(img: &mut RgbaImage, radius: f32, amount: f32, threshold: u8) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 || radius <= 0.0 || amount <= 0.0 || !radius.is_finite() {
        return;
    }
    let kernel = gaussian_kernel(radius);
    let reach = kernel.len() / 2;
    let src = img.as_raw().clone();

    // Horizontal then vertical pass over RGB; the intermediate keeps 8 extra bits of precision.
    let mut horizontal = vec![0u32; w * h * 3];
    for y in 0..h {
        let row = &src[y * w * 4..(y + 1) * w * 4];
        for x in 0..w {
            let mut acc = [0u32; 3];
            for (k, &weight) in kernel.iter().enumerate() {
                let sx = (x + k).saturating_sub(reach).min(w - 1);
                for c in 0..3 {
                    acc[c] += weight * u32::from(row[sx * 4 + c]);
                }
            }
            horizontal[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&acc);
        }
    }
    let gain = (amount * 256.0).round() as i32;
    let threshold = i32::from(threshold) << 8;
    let out: &mut [u8] = img;
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0u64; 3];
            for (k, &weight) in kernel.iter().enumerate() {
                let sy = (y + k).saturating_sub(reach).min(h - 1);
                let i = (sy * w + x) * 3;
                for c in 0..3 {
                    acc[c] += u64::from(weight) * u64::from(horizontal[i + c]);
                }
            }
            let o = (y * w + x) * 4;
            for c in 0..3 {
                // Blur in 8.8 fixed point (kernel weights sum to 2^12 per pass).
                let blurred = (acc[c] >> 16) as i32;
                let original = i32::from(src[o + c]) << 8;
                let diff = original - blurred;
                if diff.abs() > threshold {
                    let v = original + ((diff * gain) >> 8);
                    out[o + c] = ((v + 128) >> 8).clamp(0, 255) as u8;
                }
            }
        }
    }
}

/// Integer Gaussian weights summing to 4096, radius ⌈3σ⌉.
fn gaussian_kernel(sigma: f32) -> Vec<u32> {
    let reach = (3.0 * sigma).ceil().clamp(1.0, 32.0) as i32;
    let raw: Vec<f32> = (-reach..=reach)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = raw.iter().sum();
    let mut weights: Vec<u32> = raw
        .iter()
        .map(|v| (v / total * 4096.0).round() as u32)
        .collect();
    // Put the rounding remainder in the centre so flat areas stay exactly flat.
    let sum: u32 = weights.iter().sum();
    let centre = reach as usize;
    weights[centre] = (weights[centre] + 4096).saturating_sub(sum);
    weights
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn flat_images_are_unchanged() {
        let original = RgbaImage::from_pixel(40, 30, Rgba([120, 130, 140, 200]));
        let mut img = original.clone();
        unsharp_mask(&mut img, 1.0, 0.8, 0);
        assert_eq!(img, original);
    }

    #[test]
    fn edges_gain_contrast_and_alpha_is_kept() {
        let original = RgbaImage::from_fn(40, 10, |x, _| {
            if x < 20 {
                Rgba([100, 100, 100, 255])
            } else {
                Rgba([160, 160, 160, 255])
            }
        });
        let mut img = original.clone();
        unsharp_mask(&mut img, 1.0, 1.0, 2);
        assert!(
            img.get_pixel(19, 5).0[0] < 100,
            "dark side darker: {:?}",
            img.get_pixel(19, 5)
        );
        assert!(
            img.get_pixel(20, 5).0[0] > 160,
            "light side lighter: {:?}",
            img.get_pixel(20, 5)
        );
        assert_eq!(
            img.get_pixel(5, 5).0,
            [100, 100, 100, 255],
            "far from the edge: untouched"
        );
        assert!(img.pixels().all(|p| p.0[3] == 255));
    }

    #[test]
    fn threshold_leaves_small_noise_alone() {
        let original = RgbaImage::from_fn(20, 20, |x, y| {
            let v = 128 + ((x + y) % 2) as u8;
            Rgba([v, v, v, 255])
        });
        let mut img = original.clone();
        unsharp_mask(&mut img, 1.0, 1.0, 4);
        assert_eq!(img, original);
    }
}
