//! Thin-plate-spline warp, used as an inverse map: for each output (person) pixel, where to sample
//! the garment.
//!
//! The spline is fitted from the body's target points to the garment's landmarks, evaluated on a
//! coarse grid (every [`GRID`] pixels) and interpolated bilinearly in between, so the per-pixel
//! cost is a few multiply-adds whatever the number of control points.

use image::RgbaImage;

use super::silhouette::P;

/// Spacing of the precomputed map, in pixels.
pub(crate) const GRID: usize = 8;
/// Coordinates are scaled by this before solving, to keep the system well conditioned.
const NORM: f64 = 1.0 / 1024.0;
/// Smoothing: a little keeps the spline from bending hard between close control points.
const LAMBDA: f64 = 1e-5;

/// A fitted thin-plate spline `R² → R²`.
#[derive(Debug, Clone)]
pub(crate) struct Tps {
    centres: Vec<[f64; 2]>,
    /// Per output coordinate: kernel weights then the affine part `a0 + a1 x + a2 y`.
    coef: [Vec<f64>; 2],
}

fn kernel(r2: f64) -> f64 {
    if r2 <= 1e-20 { 0.0 } else { r2 * r2.ln() * 0.5 }
}

impl Tps {
    /// Fits the spline mapping each `from` point to its `to` point. `None` when the system is
    /// singular (fewer than three points, or all on a line).
    pub fn fit(from: &[P], to: &[P]) -> Option<Tps> {
        let n = from.len();
        if n < 3 || to.len() != n {
            return None;
        }
        let centres: Vec<[f64; 2]> = from
            .iter()
            .map(|p| [f64::from(p[0]) * NORM, f64::from(p[1]) * NORM])
            .collect();
        let size = n + 3;
        let mut a = vec![0f64; size * size];
        for i in 0..n {
            for j in 0..n {
                let (dx, dy) = (centres[i][0] - centres[j][0], centres[i][1] - centres[j][1]);
                a[i * size + j] = kernel(dx * dx + dy * dy) + if i == j { LAMBDA } else { 0.0 };
            }
            let row = [1.0, centres[i][0], centres[i][1]];
            for (k, v) in row.into_iter().enumerate() {
                a[i * size + n + k] = v;
                a[(n + k) * size + i] = v;
            }
        }
        let mut coef: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for (axis, c) in coef.iter_mut().enumerate() {
            let mut b = vec![0f64; size];
            for (i, p) in to.iter().enumerate() {
                b[i] = f64::from(p[axis]) * NORM;
            }
            *c = solve(a.clone(), b, size)?;
        }
        Some(Tps { centres, coef })
    }

    /// The mapped point of `p`.
    pub fn eval(&self, p: P) -> P {
        let (x, y) = (f64::from(p[0]) * NORM, f64::from(p[1]) * NORM);
        let n = self.centres.len();
        let mut out = [0f64; 2];
        for (axis, c) in self.coef.iter().enumerate() {
            let mut v = c[n] + c[n + 1] * x + c[n + 2] * y;
            for (k, centre) in self.centres.iter().enumerate() {
                let (dx, dy) = (x - centre[0], y - centre[1]);
                v += c[k] * kernel(dx * dx + dy * dy);
            }
            out[axis] = v;
        }
        [(out[0] / NORM) as f32, (out[1] / NORM) as f32]
    }
}

/// Gaussian elimination with partial pivoting; `None` when singular.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[pivot * n + col].abs() < 1e-12 {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(col * n + k, pivot * n + k);
            }
            b.swap(col, pivot);
        }
        for row in col + 1..n {
            let f = a[row * n + col] / a[col * n + col];
            if f != 0.0 {
                for k in col..n {
                    a[row * n + k] -= f * a[col * n + k];
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut x = vec![0f64; n];
    for row in (0..n).rev() {
        let mut s = b[row];
        for k in row + 1..n {
            s -= a[row * n + k] * x[k];
        }
        x[row] = s / a[row * n + row];
    }
    Some(x)
}

/// The spline sampled every [`GRID`] pixels over an output image.
#[derive(Debug, Clone)]
pub(crate) struct GridMap {
    cols: usize,
    rows: usize,
    points: Vec<P>,
}

impl GridMap {
    /// Evaluates `tps` at every grid node covering `width × height`.
    pub fn new(tps: &Tps, width: u32, height: u32) -> GridMap {
        let cols = width as usize / GRID + 2;
        let rows = height as usize / GRID + 2;
        let mut points = Vec::with_capacity(cols * rows);
        for gy in 0..rows {
            for gx in 0..cols {
                points.push(tps.eval([(gx * GRID) as f32, (gy * GRID) as f32]));
            }
        }
        GridMap { cols, rows, points }
    }

    /// The mapped point of output pixel `(x, y)`, bilinear between grid nodes.
    #[inline]
    pub fn at(&self, x: usize, y: usize) -> P {
        let (gx, gy) = ((x / GRID).min(self.cols - 2), (y / GRID).min(self.rows - 2));
        let (fx, fy) = (
            (x - gx * GRID) as f32 / GRID as f32,
            (y - gy * GRID) as f32 / GRID as f32,
        );
        let i = gy * self.cols + gx;
        let (a, b, c, d) = (
            self.points[i],
            self.points[i + 1],
            self.points[i + self.cols],
            self.points[i + self.cols + 1],
        );
        let top = [a[0] + (b[0] - a[0]) * fx, a[1] + (b[1] - a[1]) * fx];
        let bottom = [c[0] + (d[0] - c[0]) * fx, c[1] + (d[1] - c[1]) * fx];
        [
            top[0] + (bottom[0] - top[0]) * fy,
            top[1] + (bottom[1] - top[1]) * fy,
        ]
    }
}

/// Samples `img` at `(x, y)` bilinearly, premultiplying by alpha so transparent neighbours do
/// not darken edges; returns straight RGB and alpha in 0..=255. Outside the image is transparent.
#[inline]
pub(crate) fn sample(img: &RgbaImage, p: P) -> ([f32; 3], f32) {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let [x, y] = p;
    if !(x > -1.0 && y > -1.0 && x < w as f32 && y < h as f32) {
        return ([0.0; 3], 0.0);
    }
    let (x0, y0) = (x.floor() as i64, y.floor() as i64);
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let raw = img.as_raw();
    let mut acc = [0f32; 4];
    for (dy, wy) in [(0i64, 1.0 - fy), (1, fy)] {
        for (dx, wx) in [(0i64, 1.0 - fx), (1, fx)] {
            let (xx, yy) = (x0 + dx, y0 + dy);
            if xx < 0 || yy < 0 || xx >= w || yy >= h {
                continue;
            }
            let i = ((yy * w + xx) * 4) as usize;
            let a = f32::from(raw[i + 3]) * wx * wy;
            acc[0] += f32::from(raw[i]) * a;
            acc[1] += f32::from(raw[i + 1]) * a;
            acc[2] += f32::from(raw[i + 2]) * a;
            acc[3] += a;
        }
    }
    if acc[3] <= 1e-3 {
        return ([0.0; 3], 0.0);
    }
    ([acc[0] / acc[3], acc[1] / acc[3], acc[2] / acc[3]], acc[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spline_interpolates_its_control_points_and_keeps_affine_maps() {
        let from = [
            [100.0, 100.0],
            [900.0, 120.0],
            [500.0, 800.0],
            [300.0, 500.0],
            [700.0, 450.0],
        ];
        let to: Vec<P> = from
            .iter()
            .map(|p| [p[0] * 0.5 + 10.0, p[1] * 0.7 - 3.0])
            .collect();
        let tps = Tps::fit(&from, &to).unwrap();
        for (f, t) in from.iter().zip(&to) {
            let m = tps.eval(*f);
            assert!(
                (m[0] - t[0]).abs() < 0.5 && (m[1] - t[1]).abs() < 0.5,
                "{m:?} vs {t:?}"
            );
        }
        let m = tps.eval([400.0, 300.0]);
        assert!(
            (m[0] - 210.0).abs() < 0.5 && (m[1] - 207.0).abs() < 0.5,
            "{m:?}"
        );
    }

    #[test]
    fn a_bent_spline_still_hits_its_points() {
        let from = [
            [0.0, 0.0],
            [1000.0, 0.0],
            [0.0, 1000.0],
            [1000.0, 1000.0],
            [500.0, 500.0],
        ];
        let mut to = from;
        to[4] = [560.0, 470.0];
        let tps = Tps::fit(&from, &to).unwrap();
        let m = tps.eval([500.0, 500.0]);
        assert!(
            (m[0] - 560.0).abs() < 1.0 && (m[1] - 470.0).abs() < 1.0,
            "{m:?}"
        );
        let grid = GridMap::new(&tps, 1024, 1024);
        let g = grid.at(500, 500);
        assert!(
            (g[0] - 560.0).abs() < 3.0 && (g[1] - 470.0).abs() < 3.0,
            "{g:?}"
        );
    }

    #[test]
    fn collinear_points_are_refused() {
        let pts = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]];
        assert!(Tps::fit(&pts, &pts).is_none());
    }

    #[test]
    fn sampling_ignores_transparent_neighbours() {
        let mut img = RgbaImage::new(2, 1);
        img.put_pixel(0, 0, image::Rgba([200, 0, 0, 255]));
        let (rgb, a) = sample(&img, [0.5, 0.0]);
        assert!(
            (rgb[0] - 200.0).abs() < 0.01 && (a - 127.5).abs() < 0.6,
            "{rgb:?} {a}"
        );
    }
}
