//! The box blur of scalar maps by summed-area table: any radius at the same cost. Shared by the
//! draft provider's shading and composition maps and the restoring of unchanged pixels.

/// Summed-area table of `values` (`(w + 1) × (h + 1)`, zero first row and column).
pub(crate) fn integral(values: &[f32], w: usize, h: usize) -> Vec<f64> {
    let mut sat = vec![0f64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0f64;
        for x in 0..w {
            row += f64::from(values[y * w + x]);
            sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
        }
    }
    sat
}

/// Sum of the `(2r + 1)²` box around `(x, y)` clipped to the image, and its pixel count.
#[inline]
pub(crate) fn box_sum(sat: &[f64], w: usize, h: usize, x: usize, y: usize, r: usize) -> (f64, f64) {
    let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
    let (x1, y1) = ((x + r + 1).min(w), (y + r + 1).min(h));
    let stride = w + 1;
    let sum = sat[y1 * stride + x1] - sat[y0 * stride + x1] - sat[y1 * stride + x0]
        + sat[y0 * stride + x0];
    (sum, ((x1 - x0) * (y1 - y0)) as f64)
}

/// Box blur of `values` with radius `r` (mean over the clipped box).
pub(crate) fn box_blur(values: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let sat = integral(values, w, h);
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let (sum, n) = box_sum(&sat, w, h, x, y, r);
            out[y * w + x] = (sum / n) as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_blur_of_a_constant_is_the_constant() {
        let v = vec![3.0f32; 20 * 10];
        assert!(
            box_blur(&v, 20, 10, 4)
                .iter()
                .all(|&x| (x - 3.0).abs() < 1e-5)
        );
    }

    #[test]
    fn a_box_sum_is_clipped_to_the_image() {
        let v = vec![1.0f32; 4 * 3];
        let sat = integral(&v, 4, 3);
        assert_eq!(box_sum(&sat, 4, 3, 0, 0, 1), (4.0, 4.0));
        assert_eq!(box_sum(&sat, 4, 3, 1, 1, 1), (9.0, 9.0));
    }
}
