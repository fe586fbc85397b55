//! Scalar maps kept at the analysis scale and read at canvas coordinates (smoothed by
//! [`crate::pipeline::box_blur`]).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_canvas_pixels() {
        let f = Field::new(2, 1, 2.0, vec![0.0, 10.0]);
        assert!((f.at(0.5, 0.0) - 0.0).abs() < 1e-5);
        assert!((f.at(2.5, 0.0) - 10.0).abs() < 1e-5);
        assert!((f.at(1.5, 0.0) - 5.0).abs() < 1e-5);
    }
}
