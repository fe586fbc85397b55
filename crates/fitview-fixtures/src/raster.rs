//! Anti-aliased rasterisation: exact-area polygon coverage, outlines of smooth shapes, and a float
//! canvas that shapes are painted onto with per-pixel shading.

use image::{Rgb, RgbImage};

/// A point in image pixel coordinates (x right, y down).
pub(crate) type P = [f32; 2];

/// Coverage in `[0, 1]` of one shape over its bounding box.
pub(crate) struct Mask {
    x0: i32,
    y0: i32,
    w: usize,
    h: usize,
    cov: Vec<f32>,
}

impl Mask {
    /// Exact area coverage of a simple polygon (signed-area accumulation, as font rasterisers do).
    pub(crate) fn polygon(pts: &[P]) -> Mask {
        Mask::contours(&[pts])
    }

    /// Coverage of several closed contours together: same-direction contours unite (shared edges
    /// cancel exactly), an opposite-direction contour inside another cuts a hole.
    pub(crate) fn contours(contours: &[&[P]]) -> Mask {
        let (mut minx, mut miny, mut maxx, mut maxy) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in contours.iter().flat_map(|c| c.iter()) {
            minx = minx.min(p[0]);
            miny = miny.min(p[1]);
            maxx = maxx.max(p[0]);
            maxy = maxy.max(p[1]);
        }
        if contours.iter().all(|c| c.len() < 3) || !(minx.is_finite() && maxx.is_finite()) {
            return Mask {
                x0: 0,
                y0: 0,
                w: 0,
                h: 0,
                cov: Vec::new(),
            };
        }
        let x0 = minx.floor() as i32 - 1;
        let y0 = miny.floor() as i32;
        let w = (maxx.ceil() as i32 - x0 + 3) as usize;
        let h = (maxy.ceil() as i32 - y0 + 1) as usize;
        let mut acc = vec![0.0f32; w * h];
        for pts in contours {
            for i in 0..pts.len() {
                let a = pts[i];
                let b = pts[(i + 1) % pts.len()];
                let la = [a[0] - x0 as f32, a[1] - y0 as f32];
                let lb = [b[0] - x0 as f32, b[1] - y0 as f32];
                accumulate_line(&mut acc, w, h, la, lb);
            }
        }
        for row in acc.chunks_mut(w) {
            let mut sum = 0.0;
            for v in row.iter_mut() {
                sum += *v;
                *v = sum.abs().min(1.0);
            }
        }
        Mask {
            x0,
            y0,
            w,
            h,
            cov: acc,
        }
    }

    /// Coverage at pixel `(x, y)`; zero outside the bounding box.
    #[cfg(test)]
    pub(crate) fn at(&self, x: i32, y: i32) -> f32 {
        let (lx, ly) = (x - self.x0, y - self.y0);
        if lx < 0 || ly < 0 || lx as usize >= self.w || ly as usize >= self.h {
            return 0.0;
        }
        self.cov[ly as usize * self.w + lx as usize]
    }

    /// Calls `f(x, y, coverage)` for every pixel of the box inside `0..width, 0..height` with
    /// non-zero coverage.
    pub(crate) fn for_each(&self, width: u32, height: u32, mut f: impl FnMut(u32, u32, f32)) {
        let ys = self.y0.max(0)..(self.y0 + self.h as i32).min(height as i32);
        for y in ys {
            let xs = self.x0.max(0)..(self.x0 + self.w as i32).min(width as i32);
            let row = (y - self.y0) as usize * self.w;
            for x in xs {
                let c = self.cov[row + (x - self.x0) as usize];
                if c > 0.0 {
                    f(x as u32, y as u32, c);
                }
            }
        }
    }
}

/// Adds one edge's signed area contribution to a row-major accumulation buffer whose points are
/// already in local coordinates with at least one pixel of margin on each side.
fn accumulate_line(acc: &mut [f32], w: usize, h: usize, p0: P, p1: P) {
    if (p0[1] - p1[1]).abs() <= f32::EPSILON {
        return;
    }
    let (dir, p0, p1) = if p0[1] < p1[1] {
        (1.0, p0, p1)
    } else {
        (-1.0, p1, p0)
    };
    let dxdy = (p1[0] - p0[0]) / (p1[1] - p0[1]);
    let mut x = p0[0];
    let first = p0[1].max(0.0) as usize;
    let last = (p1[1].ceil().max(0.0) as usize).min(h);
    for y in first..last {
        let line = y * w;
        let dy = ((y + 1) as f32).min(p1[1]) - (y as f32).max(p0[1]);
        let xnext = x + dxdy * dy;
        let d = dy * dir;
        let (xa, xb) = if x < xnext { (x, xnext) } else { (xnext, x) };
        let xa_floor = xa.floor();
        let xai = xa_floor as usize;
        let xb_ceil = xb.ceil();
        let xbi = xb_ceil as usize;
        if xbi <= xai + 1 {
            let xmf = 0.5 * (x + xnext) - xa_floor;
            acc[line + xai] += d - d * xmf;
            acc[line + xai + 1] += d * xmf;
        } else {
            let s = 1.0 / (xb - xa);
            let xa_frac = xa - xa_floor;
            let a0 = 0.5 * s * (1.0 - xa_frac) * (1.0 - xa_frac);
            let xb_frac = xb - xb_ceil + 1.0;
            let am = 0.5 * s * xb_frac * xb_frac;
            acc[line + xai] += d * a0;
            if xbi == xai + 2 {
                acc[line + xai + 1] += d * (1.0 - a0 - am);
            } else {
                let a1 = s * (1.5 - xa_frac);
                acc[line + xai + 1] += d * (a1 - a0);
                for xi in xai + 2..xbi - 1 {
                    acc[line + xi] += d * s;
                }
                let a2 = a1 + (xbi - xai - 3) as f32 * s;
                acc[line + xbi - 1] += d * (1.0 - a2 - am);
            }
            acc[line + xbi] += d * am;
        }
        x = xnext;
    }
}

/// Floating-point RGB canvas (0..=255 per channel) that shapes are painted onto.
pub(crate) struct Canvas {
    pub(crate) w: u32,
    pub(crate) h: u32,
    pub(crate) px: Vec<[f32; 3]>,
}

impl Canvas {
    pub(crate) fn new(w: u32, h: u32, mut f: impl FnMut(f32, f32) -> [f32; 3]) -> Canvas {
        let mut px = Vec::with_capacity(w as usize * h as usize);
        for y in 0..h {
            for x in 0..w {
                px.push(f(x as f32 + 0.5, y as f32 + 0.5));
            }
        }
        Canvas { w, h, px }
    }

    /// Paints `mask`; `shade(x, y)` gives the colour and an extra opacity at each pixel centre.
    pub(crate) fn paint(
        &mut self,
        mask: &Mask,
        mut shade: impl FnMut(f32, f32) -> ([f32; 3], f32),
    ) {
        let w = self.w as usize;
        let px = &mut self.px;
        mask.for_each(self.w, self.h, |x, y, c| {
            let (col, alpha) = shade(x as f32 + 0.5, y as f32 + 0.5);
            let a = (c * alpha).clamp(0.0, 1.0);
            let p = &mut px[y as usize * w + x as usize];
            for k in 0..3 {
                p[k] += (col[k] - p[k]) * a;
            }
        });
    }

    /// Multiplies every pixel inside the box `[x0, x1) x [y0, y1)` by `f(x, y)` (shadows, vignettes).
    pub(crate) fn multiply(&mut self, bbox: [f32; 4], mut f: impl FnMut(f32, f32) -> f32) {
        let x0 = bbox[0].floor().max(0.0) as u32;
        let y0 = bbox[1].floor().max(0.0) as u32;
        let x1 = (bbox[2].ceil().max(0.0) as u32).min(self.w);
        let y1 = (bbox[3].ceil().max(0.0) as u32).min(self.h);
        for y in y0..y1 {
            for x in x0..x1 {
                let k = f(x as f32 + 0.5, y as f32 + 0.5);
                let p = &mut self.px[(y * self.w + x) as usize];
                for c in p.iter_mut() {
                    *c *= k;
                }
            }
        }
    }

    /// Blends a soft-edged ellipse of colour `col` (opacity `alpha` in the middle, fading to zero over
    /// the outer `feather` fraction of the radius): for eyes, blush, contact shadows.
    pub(crate) fn soft_ellipse(&mut self, c: P, r: P, col: [f32; 3], alpha: f32, feather: f32) {
        let x0 = (c[0] - r[0]).floor().max(0.0) as u32;
        let y0 = (c[1] - r[1]).floor().max(0.0) as u32;
        let x1 = ((c[0] + r[0]).ceil().max(0.0) as u32).min(self.w);
        let y1 = ((c[1] + r[1]).ceil().max(0.0) as u32).min(self.h);
        for y in y0..y1 {
            for x in x0..x1 {
                let dx = (x as f32 + 0.5 - c[0]) / r[0];
                let dy = (y as f32 + 0.5 - c[1]) / r[1];
                let k = (dx * dx + dy * dy).sqrt();
                let a = alpha * smoothstep(1.0, 1.0 - feather, k);
                if a > 0.0 {
                    let p = &mut self.px[(y * self.w + x) as usize];
                    for i in 0..3 {
                        p[i] += (col[i] - p[i]) * a;
                    }
                }
            }
        }
    }

    /// Rounds to 8-bit, adding sensor-like noise of standard deviation `sigma` (luma-heavy).
    pub(crate) fn to_rgb(&self, sigma: f32, seed: u64) -> RgbImage {
        let mut rng = crate::rng::Rng::new(seed);
        let mut img = RgbImage::new(self.w, self.h);
        for (i, p) in img.pixels_mut().enumerate() {
            let v = self.px[i];
            let (l, c) = if sigma > 0.0 {
                (rng.gauss() * sigma, sigma * 0.35)
            } else {
                (0.0, 0.0)
            };
            let chroma = if sigma > 0.0 {
                [rng.gauss() * c, rng.gauss() * c, rng.gauss() * c]
            } else {
                [0.0; 3]
            };
            *p = Rgb([
                q(v[0] + l + chroma[0]),
                q(v[1] + l + chroma[1]),
                q(v[2] + l + chroma[2]),
            ]);
        }
        img
    }
}

/// Quantises a float channel to 8 bits.
pub(crate) fn q(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

pub(crate) fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

pub(crate) fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

pub(crate) fn scale(c: [f32; 3], k: f32) -> [f32; 3] {
    [c[0] * k, c[1] * k, c[2] * k]
}

pub(crate) fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        lerp(a[0], b[0], t),
        lerp(a[1], b[1], t),
        lerp(a[2], b[2], t),
    ]
}

pub(crate) fn rgbf(c: [u8; 3]) -> [f32; 3] {
    [c[0] as f32, c[1] as f32, c[2] as f32]
}

/// Points around an ellipse, clockwise on screen starting at the right-most point.
pub(crate) fn ellipse_outline(c: P, r: P, n: usize) -> Vec<P> {
    (0..n)
        .map(|i| {
            let t = i as f32 / n as f32 * std::f32::consts::TAU;
            [c[0] + r[0] * t.cos(), c[1] + r[1] * t.sin()]
        })
        .collect()
}

/// Outline of a tapered capsule from `a` (radius `ra`) to `b` (radius `rb`); each end is rounded
/// when its `round_*` flag is set and cut square otherwise.
pub(crate) fn tube_outline(a: P, b: P, ra: f32, rb: f32, round_a: bool, round_b: bool) -> Vec<P> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = (dx * dx + dy * dy).sqrt().max(1e-3);
    let (ux, uy) = (dx / len, dy / len);
    // Normal pointing to the left of the direction of travel.
    let (nx, ny) = (uy, -ux);
    let base = uy.atan2(ux);
    let mut pts = Vec::with_capacity(72);
    let half = std::f32::consts::FRAC_PI_2;
    // End cap at b: from +normal side round the far end to -normal side.
    if round_b {
        for i in 0..=24 {
            let t = base - half + std::f32::consts::PI * i as f32 / 24.0;
            pts.push([b[0] + rb * t.cos(), b[1] + rb * t.sin()]);
        }
    } else {
        pts.push([b[0] + nx * rb, b[1] + ny * rb]);
        pts.push([b[0] - nx * rb, b[1] - ny * rb]);
    }
    if round_a {
        for i in 0..=24 {
            let t = base + half + std::f32::consts::PI * i as f32 / 24.0;
            pts.push([a[0] + ra * t.cos(), a[1] + ra * t.sin()]);
        }
    } else {
        pts.push([a[0] - nx * ra, a[1] - ny * ra]);
        pts.push([a[0] + nx * ra, a[1] + ny * ra]);
    }
    pts
}

/// Signed position across a tube: -1 on the image-left edge, +1 on the image-right edge, and the
/// distance along it in `[0, 1]`.
pub(crate) fn across(a: P, b: P, ra: f32, rb: f32, p: P) -> (f32, f32) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = (dx * dx + dy * dy).max(1e-6);
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
    let c = [a[0] + dx * t, a[1] + dy * t];
    let r = lerp(ra, rb, t).max(1e-3);
    let (ox, oy) = (p[0] - c[0], p[1] - c[1]);
    let d = (ox * ox + oy * oy).sqrt() / r;
    let sign = if ox < 0.0 { -1.0 } else { 1.0 };
    ((d * sign).clamp(-1.0, 1.0), t)
}

/// Catmull-Rom spline through `pts` (open), `n` samples per segment.
pub(crate) fn spline(pts: &[P], n: usize) -> Vec<P> {
    if pts.len() < 3 {
        return pts.to_vec();
    }
    let mut out = Vec::with_capacity(pts.len() * n);
    for i in 0..pts.len() - 1 {
        let p0 = pts[i.saturating_sub(1)];
        let p1 = pts[i];
        let p2 = pts[i + 1];
        let p3 = pts[(i + 2).min(pts.len() - 1)];
        for k in 0..n {
            let t = k as f32 / n as f32;
            let (t2, t3) = (t * t, t * t * t);
            let f = |a: f32, b: f32, c: f32, d: f32| {
                0.5 * (2.0 * b
                    + (-a + c) * t
                    + (2.0 * a - 5.0 * b + 4.0 * c - d) * t2
                    + (-a + 3.0 * b - 3.0 * c + d) * t3)
            };
            out.push([f(p0[0], p1[0], p2[0], p3[0]), f(p0[1], p1[1], p2[1], p3[1])]);
        }
    }
    if let Some(last) = pts.last() {
        out.push(*last);
    }
    out
}

/// Outline of a polyline stroked with half-width `hw` (for seams, straps and stitches).
pub(crate) fn stroke_outline(pts: &[P], hw: f32) -> Vec<P> {
    let n = pts.len();
    if n < 2 {
        return Vec::new();
    }
    let normal = |i: usize| {
        let a = pts[i.saturating_sub(1)];
        let b = pts[(i + 1).min(n - 1)];
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let l = (dx * dx + dy * dy).sqrt().max(1e-6);
        [dy / l, -dx / l]
    };
    let mut left = Vec::with_capacity(n);
    let mut right = Vec::with_capacity(n);
    for (i, p) in pts.iter().enumerate() {
        let nn = normal(i);
        left.push([p[0] + nn[0] * hw, p[1] + nn[1] * hw]);
        right.push([p[0] - nn[0] * hw, p[1] - nn[1] * hw]);
    }
    right.reverse();
    left.extend(right);
    left
}

/// Separable box blur, three passes (close to Gaussian), of a single-channel float image.
pub(crate) fn blur(src: &[f32], w: usize, h: usize, radius: usize) -> Vec<f32> {
    let mut a = src.to_vec();
    let mut b = vec![0.0; a.len()];
    for _ in 0..3 {
        box_pass(&a, &mut b, w, h, radius, true);
        box_pass(&b, &mut a, w, h, radius, false);
    }
    a
}

fn box_pass(src: &[f32], dst: &mut [f32], w: usize, h: usize, r: usize, horizontal: bool) {
    let (lines, len, step_line, step) = if horizontal {
        (h, w, w, 1)
    } else {
        (w, h, 1, w)
    };
    let norm = 1.0 / (2 * r + 1) as f32;
    for l in 0..lines {
        let base = l * step_line;
        let get = |i: isize| src[base + (i.clamp(0, len as isize - 1) as usize) * step];
        let mut sum = 0.0;
        for i in -(r as isize)..=(r as isize) {
            sum += get(i);
        }
        for i in 0..len {
            dst[base + i * step] = sum * norm;
            sum += get(i as isize + r as isize + 1) - get(i as isize - r as isize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_coverage_is_exact() {
        let m = Mask::polygon(&[[2.0, 2.0], [6.5, 2.0], [6.5, 5.0], [2.0, 5.0]]);
        assert!((m.at(3, 3) - 1.0).abs() < 1e-5);
        assert!((m.at(6, 3) - 0.5).abs() < 1e-5);
        assert_eq!(m.at(7, 3), 0.0);
        assert_eq!(m.at(1, 3), 0.0);
        let total: f32 = (0..10)
            .flat_map(|y| (0..10).map(move |x| (x, y)))
            .map(|(x, y)| m.at(x, y))
            .sum();
        assert!((total - 4.5 * 3.0).abs() < 1e-3);
    }

    #[test]
    fn circle_area_matches() {
        let m = Mask::polygon(&ellipse_outline([20.0, 20.0], [10.0, 10.0], 256));
        let mut total = 0.0;
        m.for_each(64, 64, |_, _, c| total += c);
        assert!(
            (total - std::f32::consts::PI * 100.0).abs() < 0.5,
            "{total}"
        );
    }

    #[test]
    fn blur_preserves_mass() {
        let mut v = vec![0.0; 100];
        v[55] = 1.0;
        let b = blur(&v, 10, 10, 1);
        assert!((b.iter().sum::<f32>() - 1.0).abs() < 0.2);
    }
}
