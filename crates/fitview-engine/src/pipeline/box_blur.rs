//! Box filters of scalar maps, any radius at the same cost: the blur of `f32` maps by summed-area
//! table (the draft provider's shading and composition maps), and exact integer box sums of
//! integer maps by two running-sum passes (the restoring of unchanged pixels).

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

/// Sums of `values` over the `(2r + 1)²` box around each pixel, clipped to the image: a
/// horizontal then a vertical running sum, in integers (exact, and several times cheaper than a
/// summed-area table in `f64`). Divide by [`box_len`] of both axes for the mean.
pub(crate) fn box_sums<T: Copy + Into<u32>>(
    values: &[T],
    w: usize,
    h: usize,
    r: usize,
) -> Vec<u32> {
    let mut rows = vec![0u32; w * h];
    let mut prefix = vec![0u32; w + 1];
    for (src, dst) in values.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        for (x, &v) in src.iter().enumerate() {
            prefix[x + 1] = prefix[x] + v.into();
        }
        for (x, out) in dst.iter_mut().enumerate() {
            *out = prefix[(x + r + 1).min(w)] - prefix[x.saturating_sub(r)];
        }
    }
    // Down the columns, a window of rows y - r ..= y + r added to and taken from as it moves.
    let mut out = vec![0u32; w * h];
    let mut window = vec![0u32; w];
    for row in rows.chunks_exact(w).take(r.min(h.saturating_sub(1)) + 1) {
        window.iter_mut().zip(row).for_each(|(a, &v)| *a += v);
    }
    for y in 0..h {
        out[y * w..(y + 1) * w].copy_from_slice(&window);
        if y + r + 1 < h {
            let entering = &rows[(y + r + 1) * w..(y + r + 2) * w];
            window.iter_mut().zip(entering).for_each(|(a, &v)| *a += v);
        }
        if y >= r {
            let leaving = &rows[(y - r) * w..(y - r + 1) * w];
            window.iter_mut().zip(leaving).for_each(|(a, &v)| *a -= v);
        }
    }
    out
}

/// How many pixels of an axis of length `len` the box of radius `r` around `i` covers.
#[inline]
pub(crate) fn box_len(i: usize, len: usize, r: usize) -> u32 {
    ((i + r + 1).min(len) - i.saturating_sub(r)) as u32
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
    fn integer_box_sums_match_the_summed_area_table() {
        let (w, h) = (13, 7);
        let values: Vec<u8> = (0..w * h).map(|i| ((i * 37 + i / 5) % 251) as u8).collect();
        let as_f32: Vec<f32> = values.iter().map(|&v| f32::from(v)).collect();
        let sat = integral(&as_f32, w, h);
        for r in [0, 1, 2, 5, 20] {
            let sums = box_sums(&values, w, h, r);
            for y in 0..h {
                for x in 0..w {
                    let (sum, n) = box_sum(&sat, w, h, x, y, r);
                    assert_eq!(f64::from(sums[y * w + x]), sum, "r {r} at ({x}, {y})");
                    assert_eq!(f64::from(box_len(x, w, r) * box_len(y, h, r)), n);
                }
            }
        }
    }

    #[test]
    fn a_box_sum_is_clipped_to_the_image() {
        let v = vec![1.0f32; 4 * 3];
        let sat = integral(&v, 4, 3);
        assert_eq!(box_sum(&sat, 4, 3, 0, 0, 1), (4.0, 4.0));
        assert_eq!(box_sum(&sat, 4, 3, 1, 1, 1), (9.0, 9.0));
    }
}
