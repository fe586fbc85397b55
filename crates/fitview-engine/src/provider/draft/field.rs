//! Scalar maps kept at the analysis scale and read at canvas coordinates, and the box blur
//! (by summed-area table, any radius at the same cost) that smooths them.

/// A scalar map on the analysis grid; `scale` canvas pixels per grid pixel.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub width: usize,
    pub height: usize,
    pub scale: f32,
    pub data: Vec<f32>,
}

impl Field {
    pub fn new(width: usize, height: usize, scale: f32, data: Vec<f32>) -> Self {
        debug_assert_eq!(data.len(), width * height);
        Field {
            width,
            height,
            scale,
            data,
        }
    }

    /// Bilinear value at canvas position `(x, y)`, clamped at the borders.
    #[inline]
    pub fn at(&self, x: f32, y: f32) -> f32 {
        let s = self.scale;
        let gx = ((x - 0.5 * (s - 1.0)) / s).clamp(0.0, (self.width - 1) as f32);
        let gy = ((y - 0.5 * (s - 1.0)) / s).clamp(0.0, (self.height - 1) as f32);
        let (x0, y0) = (gx as usize, gy as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (gx - x0 as f32, gy - y0 as f32);
        let row0 = y0 * self.width;
        let row1 = y1 * self.width;
        let top = self.data[row0 + x0] + (self.data[row0 + x1] - self.data[row0 + x0]) * fx;
        let bottom = self.data[row1 + x0] + (self.data[row1 + x1] - self.data[row1 + x0]) * fx;
        top + (bottom - top) * fy
    }
}

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
    fn fields_are_read_in_canvas_pixels() {
        let f = Field::new(2, 1, 2.0, vec![0.0, 10.0]);
        assert!((f.at(0.5, 0.0) - 0.0).abs() < 1e-5);
        assert!((f.at(2.5, 0.0) - 10.0).abs() < 1e-5);
        assert!((f.at(1.5, 0.0) - 5.0).abs() < 1e-5);
    }
}
