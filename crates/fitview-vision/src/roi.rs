//! Square regions of interest, possibly rotated, and the sampling between them and the image.
//!
//! A region is a square of side `side` centred on `(cx, cy)` and turned by `rotation` radians
//! (clockwise on screen, y pointing down). A model's input of `size × size` pixels covers it; a
//! point `(u, v)` in input pixels maps to the image by `centre + R(rotation) · ((u, v) / size
//! − ½) · side`. Outside the image the input is black, as MediaPipe pads it.

use image::RgbImage;
use tract_onnx::prelude::{Tensor, tract_ndarray};

/// A rotated square region of the image, in image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    /// Centre x.
    pub cx: f32,
    /// Centre y.
    pub cy: f32,
    /// Side length.
    pub side: f32,
    /// Rotation in radians (clockwise on screen).
    pub rotation: f32,
}

impl Roi {
    /// The square of side `max(width, height)` centred on the image: the whole photo letterboxed.
    pub fn whole(width: u32, height: u32) -> Roi {
        Roi {
            cx: width as f32 * 0.5,
            cy: height as f32 * 0.5,
            side: width.max(height) as f32,
            rotation: 0.0,
        }
    }

    /// Image point of input pixel coordinate `(u, v)` of a `size`-pixel input.
    pub fn to_image(&self, u: f32, v: f32, size: f32) -> [f32; 2] {
        let (lx, ly) = ((u / size - 0.5) * self.side, (v / size - 0.5) * self.side);
        let (s, c) = self.rotation.sin_cos();
        [self.cx + c * lx - s * ly, self.cy + s * lx + c * ly]
    }

    /// Input pixel coordinate of image point `(x, y)` for a `size`-pixel input.
    pub fn to_input(&self, x: f32, y: f32, size: f32) -> [f32; 2] {
        let (dx, dy) = (x - self.cx, y - self.cy);
        let (s, c) = self.rotation.sin_cos();
        let (lx, ly) = (c * dx + s * dy, -s * dx + c * dy);
        [(lx / self.side + 0.5) * size, (ly / self.side + 0.5) * size]
    }
}

/// How input values are made from 0–255 channels.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Range {
    /// `v / 255`.
    Unit,
    /// `v / 127.5 − 1`.
    Signed,
}

/// Samples the region into a `1 × size × size × 3` tensor (NHWC), bilinearly.
pub(crate) fn crop_nhwc(img: &RgbImage, roi: &Roi, size: usize, range: Range) -> Tensor {
    let (scale, offset) = match range {
        Range::Unit => (1.0 / 255.0, 0.0),
        Range::Signed => (1.0 / 127.5, -1.0),
    };
    let mut data = vec![0f32; size * size * 3];
    let sz = size as f32;
    for v in 0..size {
        for u in 0..size {
            let [x, y] = roi.to_image(u as f32 + 0.5, v as f32 + 0.5, sz);
            let rgb = bilinear_rgb(img, x - 0.5, y - 0.5);
            let o = (v * size + u) * 3;
            for c in 0..3 {
                data[o + c] = rgb[c] * scale + offset;
            }
        }
    }
    tract_ndarray::Array4::from_shape_fn((1, size, size, 3), |(_, v, u, c)| {
        data[(v * size + u) * 3 + c]
    })
    .into()
}

/// Bilinear RGB at pixel-centre coordinates `(x, y)`; black outside the image.
fn bilinear_rgb(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (img.width() as i64, img.height() as i64);
    if !(x > -1.0 && y > -1.0 && x < w as f32 && y < h as f32) {
        return [0.0; 3];
    }
    let (x0, y0) = (x.floor() as i64, y.floor() as i64);
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let raw = img.as_raw();
    let mut acc = [0f32; 3];
    for (dy, wy) in [(0i64, 1.0 - fy), (1, fy)] {
        for (dx, wx) in [(0i64, 1.0 - fx), (1, fx)] {
            let (xx, yy) = (x0 + dx, y0 + dy);
            if xx < 0 || yy < 0 || xx >= w || yy >= h {
                continue;
            }
            let i = ((yy * w + xx) * 3) as usize;
            let wgt = wx * wy;
            for c in 0..3 {
                acc[c] += f32::from(raw[i + c]) * wgt;
            }
        }
    }
    acc
}

/// Bilinear value of a `w × h` map at pixel-centre coordinates `(x, y)`; 0 outside.
pub(crate) fn bilinear_map(map: &[f32], w: usize, h: usize, x: f32, y: f32) -> f32 {
    if !(x > -1.0 && y > -1.0 && x < w as f32 && y < h as f32) {
        return 0.0;
    }
    let (x0, y0) = (x.floor() as i64, y.floor() as i64);
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let mut acc = 0.0;
    for (dy, wy) in [(0i64, 1.0 - fy), (1, fy)] {
        for (dx, wx) in [(0i64, 1.0 - fx), (1, fx)] {
            let (xx, yy) = (x0 + dx, y0 + dy);
            if xx < 0 || yy < 0 || xx >= w as i64 || yy >= h as i64 {
                continue;
            }
            acc += map[yy as usize * w + xx as usize] * wx * wy;
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_go_to_the_input_and_back() {
        let roi = Roi {
            cx: 300.0,
            cy: 200.0,
            side: 150.0,
            rotation: 0.4,
        };
        let p = roi.to_image(10.0, 200.0, 256.0);
        let q = roi.to_input(p[0], p[1], 256.0);
        assert!(
            (q[0] - 10.0).abs() < 1e-3 && (q[1] - 200.0).abs() < 1e-3,
            "{q:?}"
        );
        let c = roi.to_image(128.0, 128.0, 256.0);
        assert!((c[0] - 300.0).abs() < 1e-3 && (c[1] - 200.0).abs() < 1e-3);
    }

    #[test]
    fn an_upright_region_crops_what_it_covers() {
        let img = RgbImage::from_fn(8, 8, |x, _| image::Rgb([if x < 4 { 0 } else { 255 }, 0, 0]));
        let t = crop_nhwc(&img, &Roi::whole(8, 8), 8, Range::Unit);
        let v = t.to_plain_array_view::<f32>().unwrap();
        assert_eq!(v[[0, 3, 0, 0]], 0.0);
        assert_eq!(v[[0, 3, 7, 0]], 1.0);
    }
}
