//! Garment preparation: turning a product photo on a plain studio backdrop into a cut-out.
//!
//! Product photos are shot on white or light grey, often with a soft gradient (a studio sweep)
//! and a drop shadow. The matte:
//!
//! 1. models the backdrop from the image border as a plane per colour channel (which absorbs
//!    linear gradients), and refuses photos whose border is not a plain backdrop;
//! 2. measures each pixel's distance from that model, counting darkening (shadows) much less than
//!    a change of hue;
//! 3. flood-fills the backdrop from the border through pixels that are close to it *and* not on an
//!    edge, so interior whites (a white logo, the inside of a white shirt outlined by its seams
//!    and shading) are never reached and stay opaque;
//! 4. closes the garment's outline across narrow gaps (a morphological closing of what the flood
//!    left) and gives back to the garment every backdrop-reached part that the closed outline
//!    encloses and whose colour is measurably not the backdrop's: white stripes of a shirt that run
//!    out to its edge on a light backdrop are reached by the flood through their open ends, but
//!    they lie inside the outline, so they stay opaque, while the backdrop-coloured gap between an
//!    arm and the body, or between trouser legs, stays transparent;
//! 5. takes back the thin rim that edge detection leaves next to the garment, drops specks and
//!    fills pinholes by connected components, feathers the edge by about a pixel, and removes
//!    the backdrop's colour from the semi-transparent edge so no white fringe shows on a person.
//!
//! An image that already has a meaningful alpha channel (a cut-out PNG) is kept as it is.

use image::RgbaImage;

use super::components::{for_each_component, on_border};
use crate::error::{Error, Result};

/// Share of border samples that must match the backdrop colour for it to count as plain. Lower
/// than 1 because garments often touch the frame (a hem, a sleeve, a hanger).
const MIN_PLAIN_BORDER: f64 = 0.6;
/// Largest per-channel difference from the border median for a sample to match the backdrop.
const BORDER_TOLERANCE: i32 = 24;
/// How much darkening counts towards the distance: shadows on a backdrop are darker, not another hue.
const SHADOW_WEIGHT: f32 = 0.35;
/// Steps by which the backdrop region is grown back over the rim that edge detection walls off.
const RIM_STEPS: usize = 2;
/// Radius of the closing that seals the garment's outline across gaps, as a share of the
/// garment's larger side: it bridges stripes up to about 4% of the garment wide.
const OUTLINE_CLOSING: f32 = 0.02;

/// Estimates the colour of a plain backdrop from the image border, or `None` when the border is
/// not plain (a busy background, a scene) or is mostly transparent.
pub fn estimate_backdrop(img: &RgbaImage) -> Option<[u8; 3]> {
    let samples = border_samples(img);
    let model = BackdropModel::fit(&samples, img.width(), img.height())?;
    Some(model.median)
}

/// Cuts the garment out of a product photo: returns the photo with an alpha matte (backdrop
/// transparent, garment opaque, edges feathered over about a pixel).
///
/// Fails with [`Error::InvalidInput`] when the border is not a plain studio backdrop, or when
/// nothing but backdrop is found.
pub fn matte_garment(img: &RgbaImage) -> Result<RgbaImage> {
    let (w, h) = img.dimensions();
    if w < 3 || h < 3 {
        return Err(Error::invalid_input(format!(
            "garment photo is only {w}×{h} pixels"
        )));
    }
    if has_meaningful_alpha(img) {
        return Ok(img.clone());
    }
    let samples = border_samples(img);
    let Some(model) = BackdropModel::fit(&samples, w, h) else {
        return Err(Error::invalid_input(
            "garment photo background is not a plain studio backdrop",
        ));
    };
    let distance = distance_map(img, &model);
    let (t_lo, t_hi) = model.thresholds();
    let edges = edge_map(img, model.noise);
    let passable: Vec<bool> = distance
        .iter()
        .zip(&edges)
        .map(|(&d, &edge)| d < t_hi && !edge)
        .collect();

    let mut region = flood_from_border(&passable, w as usize, h as usize);
    grow_rim(&mut region, &distance, t_hi, w as usize, h as usize);
    keep_enclosed_light_parts(&mut region, &distance, model.noise, w as usize, h as usize);

    let mut alpha: Vec<u8> = region
        .iter()
        .zip(&distance)
        .map(|(&r, &d)| match r {
            Region::Backdrop => 0,
            Region::Rim => (smoothstep(t_lo, t_hi, d) * 255.0).round() as u8,
            Region::Garment => 255,
        })
        .collect();

    let total = alpha.len();
    let min_area = (total / 2000).max(16);
    remove_small_components(&mut alpha, w as usize, h as usize, min_area, true);
    remove_small_components(&mut alpha, w as usize, h as usize, min_area, false);
    let opaque = alpha.iter().filter(|&&a| a >= 128).count();
    if opaque * 500 < total {
        return Err(Error::invalid_input(
            "no garment found in the garment photo: it shows only the backdrop",
        ));
    }
    feather(&mut alpha, w as usize, h as usize);

    let mut out = img.clone();
    for (i, (px, &a)) in out.pixels_mut().zip(&alpha).enumerate() {
        if a > 0 && a < 255 {
            let (x, y) = ((i % w as usize) as u32, (i / w as usize) as u32);
            decontaminate(&mut px.0, a, model.at(x, y));
        }
        px.0[3] = a;
    }
    Ok(out)
}

/// Whether the image is already a cut-out: a noticeable share of clearly transparent pixels.
fn has_meaningful_alpha(img: &RgbaImage) -> bool {
    let transparent = img.pixels().filter(|p| p.0[3] < 128).count();
    transparent * 200 >= img.pixels().len()
}

/// Opaque pixels of the outer ring (about 1/64 of the short side, at least one pixel), with
/// coordinates, subsampled to a few thousand.
fn border_samples(img: &RgbaImage) -> Vec<(u32, u32, [u8; 3])> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let band = (w.min(h) / 64).max(1);
    let perimeter = 2 * (u64::from(w) + u64::from(h)) * u64::from(band);
    let step = ((perimeter / 8000) as u32).max(1);
    let mut samples = Vec::new();
    let mut push = |x: u32, y: u32| {
        let p = img.get_pixel(x, y).0;
        if p[3] >= 128 {
            samples.push((x, y, [p[0], p[1], p[2]]));
        }
    };
    for d in 0..band.min(h) {
        for x in (0..w).step_by(step as usize) {
            push(x, d);
            push(x, h - 1 - d);
        }
    }
    for d in 0..band.min(w) {
        for y in (band..h.saturating_sub(band)).step_by(step as usize) {
            push(d, y);
            push(w - 1 - d, y);
        }
    }
    samples
}

/// The backdrop as `colour = a + b·x + c·y` per channel (x, y in 0..1), fitted to the border
/// samples that match the border's median colour.
#[derive(Debug, Clone)]
struct BackdropModel {
    median: [u8; 3],
    coef: [[f32; 3]; 3],
    width: f32,
    height: f32,
    /// Mean absolute residual of the inliers: the backdrop's noise level (grain, JPEG).
    noise: f32,
}

impl BackdropModel {
    fn fit(samples: &[(u32, u32, [u8; 3])], width: u32, height: u32) -> Option<Self> {
        if samples.len() < 8 {
            return None;
        }
        let median = median_colour(samples);
        let inliers: Vec<&(u32, u32, [u8; 3])> = samples
            .iter()
            .filter(|(_, _, c)| {
                (0..3).all(|i| (i32::from(c[i]) - i32::from(median[i])).abs() <= BORDER_TOLERANCE)
            })
            .collect();
        if (inliers.len() as f64) < MIN_PLAIN_BORDER * samples.len() as f64 {
            return None;
        }
        let (wf, hf) = (width.max(2) as f64 - 1.0, height.max(2) as f64 - 1.0);
        let mut coef = [[0f32; 3]; 3];
        for (channel, out) in coef.iter_mut().enumerate() {
            // Normal equations of least squares for v = a + b x + c y.
            let mut m = [[0f64; 3]; 3];
            let mut r = [0f64; 3];
            for (x, y, c) in &inliers {
                let row = [1.0, f64::from(*x) / wf, f64::from(*y) / hf];
                let v = f64::from(c[channel]);
                for i in 0..3 {
                    for j in 0..3 {
                        m[i][j] += row[i] * row[j];
                    }
                    r[i] += row[i] * v;
                }
            }
            *out = match solve3(m, r) {
                Some(s) => [s[0] as f32, s[1] as f32, s[2] as f32],
                None => [f32::from(median[channel]), 0.0, 0.0],
            };
        }
        let mut model = BackdropModel {
            median,
            coef,
            width: wf as f32,
            height: hf as f32,
            noise: 0.0,
        };
        let residual: f32 = inliers
            .iter()
            .map(|(x, y, c)| {
                let m = model.at(*x, *y);
                (0..3).map(|i| (f32::from(c[i]) - m[i]).abs()).sum::<f32>() / 3.0
            })
            .sum::<f32>()
            / inliers.len() as f32;
        model.noise = residual;
        Some(model)
    }

    /// The modelled backdrop colour at a pixel.
    fn at(&self, x: u32, y: u32) -> [f32; 3] {
        let (xf, yf) = (x as f32 / self.width, y as f32 / self.height);
        let mut out = [0f32; 3];
        for (o, c) in out.iter_mut().zip(&self.coef) {
            *o = (c[0] + c[1] * xf + c[2] * yf).clamp(0.0, 255.0);
        }
        out
    }

    /// Distances below `lo` are backdrop, above `hi` garment; scaled up for noisy backdrops.
    fn thresholds(&self) -> (f32, f32) {
        let lo = (3.0 * self.noise).max(8.0);
        (lo, lo + 14.0)
    }
}

fn median_colour(samples: &[(u32, u32, [u8; 3])]) -> [u8; 3] {
    let mut out = [0u8; 3];
    for (channel, o) in out.iter_mut().enumerate() {
        let mut hist = [0usize; 256];
        for (_, _, c) in samples {
            hist[usize::from(c[channel])] += 1;
        }
        let half = samples.len() / 2;
        let mut seen = 0;
        for (value, count) in hist.iter().enumerate() {
            seen += count;
            if seen > half {
                *o = value as u8;
                break;
            }
        }
    }
    out
}

/// Solves a 3×3 linear system by Cramer's rule; `None` when it is (nearly) singular.
pub(crate) fn solve3(m: [[f64; 3]; 3], r: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    if d.abs() < 1e-9 {
        return None;
    }
    let mut out = [0f64; 3];
    for (col, o) in out.iter_mut().enumerate() {
        let mut mc = m;
        for row in 0..3 {
            mc[row][col] = r[row];
        }
        *o = det(&mc) / d;
    }
    Some(out)
}

/// Perceptual-ish distance from the backdrop model: brightening and hue changes count fully,
/// darkening counts [`SHADOW_WEIGHT`] so soft shadows stay backdrop.
fn distance_map(img: &RgbaImage, model: &BackdropModel) -> Vec<f32> {
    let w = img.width();
    img.pixels()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = (i as u32 % w, i as u32 / w);
            let m = model.at(x, y);
            let delta = [
                f32::from(p.0[0]) - m[0],
                f32::from(p.0[1]) - m[1],
                f32::from(p.0[2]) - m[2],
            ];
            let lum = (delta[0] + delta[1] + delta[2]) / 3.0;
            let chroma2: f32 = delta.iter().map(|d| (d - lum) * (d - lum)).sum();
            let lum_w = if lum < 0.0 { lum * SHADOW_WEIGHT } else { lum };
            (lum_w * lum_w + 1.5 * chroma2).sqrt()
        })
        .collect()
}

/// Pixels on a visible edge (luminance gradient of a 3×3-smoothed image above the noise), which
/// the backdrop flood may not cross: the outline of a white garment on white.
fn edge_map(img: &RgbaImage, noise: f32) -> Vec<bool> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let lum: Vec<u16> = img
        .pixels()
        .map(|p| (u16::from(p.0[0]) * 77 + u16::from(p.0[1]) * 150 + u16::from(p.0[2]) * 29) >> 8)
        .collect();
    let smooth = box3(&lum, w, h);
    // Gradients are in units of 9× luminance (box sum) per two pixels.
    let threshold = ((4.0 * noise).max(6.0) * 18.0) as i32;
    let mut edges = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let at = |xx: usize, yy: usize| i32::from(smooth[yy * w + xx]);
            let gx = at((x + 1).min(w - 1), y) - at(x.saturating_sub(1), y);
            let gy = at(x, (y + 1).min(h - 1)) - at(x, y.saturating_sub(1));
            edges[y * w + x] = gx.abs().max(gy.abs()) > threshold;
        }
    }
    edges
}

/// 3×3 box sum with edge clamping (separable).
fn box3(src: &[u16], w: usize, h: usize) -> Vec<u16> {
    let mut rows = vec![0u16; w * h];
    for y in 0..h {
        let r = &src[y * w..(y + 1) * w];
        for x in 0..w {
            rows[y * w + x] = r[x.saturating_sub(1)] + r[x] + r[(x + 1).min(w - 1)];
        }
    }
    let mut out = vec![0u16; w * h];
    for y in 0..h {
        let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            out[y * w + x] = rows[up * w + x] + rows[y * w + x] + rows[down * w + x];
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    Backdrop,
    Rim,
    Garment,
}

/// Marks as backdrop every passable pixel 4-connected to a passable border pixel.
fn flood_from_border(passable: &[bool], w: usize, h: usize) -> Vec<Region> {
    let mut region = vec![Region::Garment; w * h];
    let mut stack = Vec::new();
    let seed = |i: usize, region: &mut Vec<Region>, stack: &mut Vec<usize>| {
        if passable[i] && region[i] == Region::Garment {
            region[i] = Region::Backdrop;
            stack.push(i);
        }
    };
    for x in 0..w {
        seed(x, &mut region, &mut stack);
        seed((h - 1) * w + x, &mut region, &mut stack);
    }
    for y in 0..h {
        seed(y * w, &mut region, &mut stack);
        seed(y * w + w - 1, &mut region, &mut stack);
    }
    while let Some(i) = stack.pop() {
        let (x, y) = (i % w, i / w);
        let mut visit = |j: usize| {
            if passable[j] && region[j] == Region::Garment {
                region[j] = Region::Backdrop;
                stack.push(j);
            }
        };
        if x > 0 {
            visit(i - 1);
        }
        if x + 1 < w {
            visit(i + 1);
        }
        if y > 0 {
            visit(i - w);
        }
        if y + 1 < h {
            visit(i + w);
        }
    }
    region
}

/// Edge detection walls off a rim of backdrop pixels right next to the garment; take back those
/// that are backdrop-coloured, a few steps deep, as a soft-alpha rim.
fn grow_rim(region: &mut [Region], distance: &[f32], t_hi: f32, w: usize, h: usize) {
    for _ in 0..RIM_STEPS {
        let mut grown = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if region[i] != Region::Garment || distance[i] >= t_hi {
                    continue;
                }
                let near = (x > 0 && region[i - 1] != Region::Garment)
                    || (x + 1 < w && region[i + 1] != Region::Garment)
                    || (y > 0 && region[i - w] != Region::Garment)
                    || (y + 1 < h && region[i + w] != Region::Garment);
                if near {
                    grown.push(i);
                }
            }
        }
        if grown.is_empty() {
            break;
        }
        for i in grown {
            region[i] = Region::Rim;
        }
    }
}

/// Gives back to the garment the parts of the backdrop region that its outline encloses.
///
/// The flood reaches light parts of a garment that touch its outline (white stripes running out to
/// the hem on a light backdrop) through their open ends. Closing the garment's mask by a radius of
/// [`OUTLINE_CLOSING`] of its size seals those ends; a second flood through the backdrop region,
/// walled by the closed mask, then leaves the enclosed parts unreached. Each enclosed part is given
/// back when its median distance from the backdrop model is above the noise, so the colour shows
/// it is garment; backdrop-coloured gaps the closing happens to seal (the narrow gap between an
/// arm and the body, or at the top of the gap between trouser legs) stay backdrop.
fn keep_enclosed_light_parts(
    region: &mut [Region],
    distance: &[f32],
    noise: f32,
    w: usize,
    h: usize,
) {
    let garment: Vec<bool> = region.iter().map(|&r| r == Region::Garment).collect();
    let Some((x0, y0, x1, y1)) = mask_bounds(&garment, w, h) else {
        return;
    };
    let size = (x1 - x0).max(y1 - y0) as f32;
    let r = ((OUTLINE_CLOSING * size).round() as usize).clamp(2, 64);
    let closed = close(&garment, w, h, r);
    let open: Vec<bool> = region
        .iter()
        .zip(&closed)
        .map(|(&reg, &c)| reg != Region::Garment && !c)
        .collect();
    let reached = flood_from_border(&open, w, h);
    // Median distance of a light part must clear the backdrop's own spread by a margin.
    let min_distance = (2.5 * noise).max(2.0) + 1.5;
    let min_area = (r * r).max(16);
    let enclosed = |i: usize| region[i] != Region::Garment && reached[i] != Region::Backdrop;
    let mut given_back = Vec::new();
    for_each_component(w, h, enclosed, |component| {
        if component.len() < min_area {
            return;
        }
        let mut d: Vec<f32> = component.iter().map(|&i| distance[i]).collect();
        let mid = d.len() / 2;
        let (_, median, _) = d.select_nth_unstable_by(mid, f32::total_cmp);
        if *median >= min_distance {
            given_back.extend_from_slice(component);
        }
    });
    for i in given_back {
        region[i] = Region::Garment;
    }
}

/// Inclusive bounding box `(x0, y0, x1, y1)` of the set pixels.
fn mask_bounds(mask: &[bool], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let mut bounds: Option<(usize, usize, usize, usize)> = None;
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        let (Some(first), Some(last)) = (row.iter().position(|&v| v), row.iter().rposition(|&v| v))
        else {
            continue;
        };
        bounds = Some(match bounds {
            None => (first, y, last, y),
            Some((a, b, c, _)) => (a.min(first), b, c.max(last), y),
        });
    }
    bounds
}

/// Morphological closing by a `(2r + 1)²` square: dilation, then erosion. Never removes a set
/// pixel (the image's outside counts as set for the erosion).
fn close(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let dilated = dilate(mask, w, h, r);
    let inverse: Vec<bool> = dilated.iter().map(|&v| !v).collect();
    dilate(&inverse, w, h, r)
        .iter()
        .zip(mask)
        .map(|(&grown_background, &set)| set || !grown_background)
        .collect()
}

/// Dilation by a `(2r + 1)²` square, separable: rows, then columns.
fn dilate(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let mut rows = vec![false; w * h];
    for y in 0..h {
        spread(&mask[y * w..(y + 1) * w], &mut rows[y * w..(y + 1) * w], r);
    }
    let mut out = vec![false; w * h];
    let mut column = vec![false; h];
    let mut spread_column = vec![false; h];
    for x in 0..w {
        for y in 0..h {
            column[y] = rows[y * w + x];
        }
        spread(&column, &mut spread_column, r);
        for y in 0..h {
            out[y * w + x] = spread_column[y];
        }
    }
    out
}

/// One line of a dilation: `out[i]` is set when any `src[j]` with `|i - j| <= r` is.
fn spread(src: &[bool], out: &mut [bool], r: usize) {
    let n = src.len();
    // The nearest set pixel on the left, then on the right.
    let mut last: Option<usize> = None;
    for i in 0..n {
        if src[i] {
            last = Some(i);
        }
        out[i] = last.is_some_and(|j| i - j <= r);
    }
    let mut next: Option<usize> = None;
    for i in (0..n).rev() {
        if src[i] {
            next = Some(i);
        }
        out[i] = out[i] || next.is_some_and(|j| j - i <= r);
    }
}

/// Removes connected components smaller than `min_area`: opaque specks (`opaque = true`, turned
/// transparent) or pinholes not touching the border (`opaque = false`, filled).
fn remove_small_components(alpha: &mut [u8], w: usize, h: usize, min_area: usize, opaque: bool) {
    let is_member = |i: usize| (alpha[i] >= 128) == opaque;
    let mut removed = Vec::new();
    for_each_component(w, h, is_member, |component| {
        let small = component.len() < min_area;
        if small && (opaque || !component.iter().any(|&i| on_border(i, w, h))) {
            removed.extend_from_slice(component);
        }
    });
    let fill = if opaque { 0 } else { 255 };
    for i in removed {
        alpha[i] = fill;
    }
}

/// Softens the matte edge over about one pixel ([1 2 1]² kernel).
fn feather(alpha: &mut [u8], w: usize, h: usize) {
    let mut rows = vec![0u16; w * h];
    for y in 0..h {
        let r = &alpha[y * w..(y + 1) * w];
        for x in 0..w {
            rows[y * w + x] = u16::from(r[x.saturating_sub(1)])
                + 2 * u16::from(r[x])
                + u16::from(r[(x + 1).min(w - 1)]);
        }
    }
    for y in 0..h {
        let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            let sum = u32::from(rows[up * w + x])
                + 2 * u32::from(rows[y * w + x])
                + u32::from(rows[down * w + x]);
            alpha[y * w + x] = ((sum + 8) / 16) as u8;
        }
    }
}

/// Recovers the garment's own colour at a semi-transparent edge pixel, which the camera saw as a
/// mix of garment and backdrop: `C = αF + (1-α)B` → `F = (C - (1-α)B) / α`.
fn decontaminate(px: &mut [u8; 4], alpha: u8, backdrop: [f32; 3]) {
    let a = f32::from(alpha) / 255.0;
    if a < 0.05 {
        return;
    }
    for c in 0..3 {
        let f = (f32::from(px[c]) - (1.0 - a) * backdrop[c]) / a;
        px[c] = f.round().clamp(0.0, 255.0) as u8;
    }
}

fn smoothstep(lo: f32, hi: f32, v: f32) -> f32 {
    let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    const WHITE: [u8; 4] = [246, 246, 246, 255];

    /// A rounded "T-shirt" silhouette: body rectangle plus sleeves.
    fn in_shirt(x: u32, y: u32) -> bool {
        let body = (70..170).contains(&x) && (60..220).contains(&y);
        let sleeves = (30..210).contains(&x) && (60..110).contains(&y);
        body || sleeves
    }

    fn noise(x: u32, y: u32) -> i32 {
        // Deterministic ±2 grain, like a JPEG of a real backdrop.
        (((x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663)) >> 7) % 5) as i32 - 2
    }

    fn add(p: [u8; 4], d: i32) -> Rgba<u8> {
        let f = |v: u8| (i32::from(v) + d).clamp(0, 255) as u8;
        Rgba([f(p[0]), f(p[1]), f(p[2]), p[3]])
    }

    fn product_photo(garment: impl Fn(u32, u32) -> Option<[u8; 4]>) -> RgbaImage {
        RgbaImage::from_fn(240, 260, |x, y| match garment(x, y) {
            Some(c) => add(c, noise(x, y)),
            None => add(WHITE, noise(x, y)),
        })
    }

    #[test]
    fn red_shirt_on_white_is_cut_out() {
        let img = product_photo(|x, y| in_shirt(x, y).then_some([200, 30, 40, 255]));
        let out = matte_garment(&img).unwrap();
        assert_eq!(out.dimensions(), img.dimensions());
        for (x, y) in [(2, 2), (237, 257), (10, 150), (230, 150), (120, 240)] {
            assert_eq!(out.get_pixel(x, y).0[3], 0, "backdrop at ({x},{y})");
        }
        for (x, y) in [(120, 150), (40, 80), (200, 80), (120, 62)] {
            let p = out.get_pixel(x, y).0;
            assert_eq!(p[3], 255, "garment at ({x},{y})");
            assert!(p[0] > 190 && p[1] < 40, "colour kept at ({x},{y}): {p:?}");
        }
        // The edge is feathered, and its colour is the garment's, not pink from the backdrop.
        let edge = out.get_pixel(70, 150).0;
        assert!(edge[3] > 0 && edge[3] < 255, "edge alpha {}", edge[3]);
        assert!(edge[1] < 80, "no white fringe: {edge:?}");
    }

    #[test]
    fn white_logo_inside_the_garment_stays_opaque() {
        let img = product_photo(|x, y| {
            if (100..140).contains(&x) && (120..150).contains(&y) {
                Some(WHITE)
            } else {
                in_shirt(x, y).then_some([20, 40, 120, 255])
            }
        });
        let out = matte_garment(&img).unwrap();
        assert_eq!(out.get_pixel(120, 135).0[3], 255);
        assert_eq!(out.get_pixel(5, 5).0[3], 0);
    }

    /// How much of a soft drop shadow (0..1) falls at a pixel: the share of shirt pixels in a
    /// window offset down and right, i.e. the shirt's silhouette blurred and shifted.
    fn shadow(x: u32, y: u32) -> f32 {
        let (mut hit, mut all) = (0, 0);
        for dy in -6i32..=6 {
            for dx in -6i32..=6 {
                let (sx, sy) = (x as i32 + dx - 6, y as i32 + dy - 6);
                all += 1;
                if sx >= 0 && sy >= 0 && in_shirt(sx as u32, sy as u32) {
                    hit += 1;
                }
            }
        }
        hit as f32 / all as f32
    }

    #[test]
    fn white_shirt_on_white_keeps_its_inside() {
        // Seams and shading outline the shirt by a couple of darker pixels; a soft shadow falls
        // to the lower right. The inside is as white as the backdrop.
        let img = product_photo(|x, y| {
            if in_shirt(x, y) {
                let outline = !in_shirt(x.saturating_sub(2), y)
                    || !in_shirt(x + 2, y)
                    || !in_shirt(x, y.saturating_sub(2))
                    || !in_shirt(x, y + 2);
                Some(if outline {
                    [205, 205, 208, 255]
                } else {
                    [250, 250, 250, 255]
                })
            } else if shadow(x, y) > 0.0 {
                let v = (246.0 - 24.0 * shadow(x, y)) as u8;
                Some([v, v, v, 255])
            } else {
                None
            }
        });
        let out = matte_garment(&img).unwrap();
        for (x, y) in [(120, 150), (40, 80), (150, 200)] {
            assert_eq!(out.get_pixel(x, y).0[3], 255, "inside at ({x},{y})");
        }
        for (x, y) in [(5, 5), (120, 250), (214, 90), (175, 224)] {
            assert!(
                out.get_pixel(x, y).0[3] < 20,
                "backdrop or shadow at ({x},{y})"
            );
        }
    }

    #[test]
    fn gradient_backdrop_and_soft_shadow_are_removed() {
        let img = RgbaImage::from_fn(240, 260, |x, y| {
            let base = 252 - (y * 30 / 260) as i32; // studio sweep, light at the top
            if in_shirt(x, y) {
                Rgba([30, 120, 60, 255])
            } else {
                add([0, 0, 0, 255], (base - (30.0 * shadow(x, y)) as i32).max(0))
            }
        });
        let out = matte_garment(&img).unwrap();
        assert!(
            out.get_pixel(120, 224).0[3] < 20,
            "shadow: {:?}",
            out.get_pixel(120, 224)
        );
        assert_eq!(out.get_pixel(5, 255).0[3], 0, "dark end of the sweep");
        assert_eq!(out.get_pixel(120, 150).0[3], 255);
    }

    #[test]
    fn light_stripes_running_out_to_the_outline_stay_opaque() {
        // Blue and warm-white stripes, 8 px each, running to the shirt's top edge and hem on a
        // light backdrop: the white ones are nearly backdrop-coloured and touch it at both ends.
        let img = product_photo(|x, y| {
            in_shirt(x, y).then_some(if (x / 8) % 2 == 0 {
                [40, 80, 160, 255]
            } else {
                [249, 246, 240, 255]
            })
        });
        let out = matte_garment(&img).unwrap();
        // White stripes: x = 8..16, 24..32, …; inside, at the top edge, at the hem, in a sleeve.
        for (x, y) in [(124, 150), (140, 61), (108, 218), (44, 90), (204, 70)] {
            assert!(
                out.get_pixel(x, y).0[3] >= 250,
                "stripe at ({x},{y}): {:?}",
                out.get_pixel(x, y)
            );
        }
        let body: Vec<(u32, u32)> = (60..220)
            .flat_map(|y| (72..168).map(move |x| (x, y)))
            .collect();
        let opaque = body
            .iter()
            .filter(|&&(x, y)| out.get_pixel(x, y).0[3] >= 128)
            .count();
        assert!(
            opaque * 100 >= body.len() * 99,
            "{opaque} of {} body pixels opaque",
            body.len()
        );
        for (x, y) in [(120, 40), (120, 240), (20, 150), (230, 90), (50, 150)] {
            assert_eq!(out.get_pixel(x, y).0[3], 0, "backdrop at ({x},{y})");
        }
    }

    #[test]
    fn a_backdrop_coloured_slit_open_at_the_hem_stays_see_through() {
        // Narrow enough for the outline's closing to seal it, but the backdrop's colour.
        let slit = |x: u32, y: u32| (116..124).contains(&x) && y >= 170;
        let img =
            product_photo(|x, y| (in_shirt(x, y) && !slit(x, y)).then_some([40, 80, 160, 255]));
        let out = matte_garment(&img).unwrap();
        for (x, y) in [(120, 190), (120, 210)] {
            assert!(
                out.get_pixel(x, y).0[3] < 20,
                "slit at ({x},{y}): {:?}",
                out.get_pixel(x, y)
            );
        }
        assert_eq!(out.get_pixel(100, 200).0[3], 255);
    }

    #[test]
    fn closing_fills_narrow_gaps_and_keeps_what_was_set() {
        // Two bars 3 px apart, and a lone pixel far away.
        let (w, h) = (20, 9);
        let mut mask = vec![false; w * h];
        for y in 2..7 {
            for x in (2..6).chain(9..13) {
                mask[y * w + x] = true;
            }
        }
        mask[4 * w + 18] = true;
        let closed = close(&mask, w, h, 2);
        assert!((6..9).all(|x| closed[4 * w + x]), "gap bridged");
        assert!(!closed[4 * w + 15], "no bridge over 5 px");
        assert!(closed[4 * w + 18], "nothing set is removed");
        assert!(!closed[8 * w + 16], "far from everything stays empty");
    }

    #[test]
    fn dust_specks_are_removed() {
        let img = product_photo(|x, y| {
            if in_shirt(x, y) {
                Some([60, 60, 60, 255])
            } else if (x, y) == (20, 30) || (x, y) == (21, 30) || (x, y) == (220, 240) {
                Some([90, 90, 90, 255])
            } else {
                None
            }
        });
        let out = matte_garment(&img).unwrap();
        assert_eq!(out.get_pixel(20, 30).0[3], 0);
        assert_eq!(out.get_pixel(220, 240).0[3], 0);
    }

    #[test]
    fn busy_background_is_refused() {
        let img = RgbaImage::from_fn(200, 200, |x, y| {
            let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) as u8;
            Rgba([v, v.wrapping_mul(3), v.wrapping_add(90), 255])
        });
        let err = matte_garment(&img).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { ref reason } if reason.contains("plain studio backdrop")),
            "{err}"
        );
        assert_eq!(estimate_backdrop(&img), None);
    }

    #[test]
    fn an_empty_backdrop_is_not_a_garment() {
        let img = product_photo(|_, _| None);
        assert!(matches!(
            matte_garment(&img),
            Err(Error::InvalidInput { .. })
        ));
    }

    #[test]
    fn existing_cutout_alpha_is_kept() {
        let img = RgbaImage::from_fn(100, 100, |x, y| {
            if (25..75).contains(&x) && (25..75).contains(&y) {
                Rgba([250, 250, 250, 255])
            } else {
                Rgba([0, 0, 0, 0])
            }
        });
        assert_eq!(matte_garment(&img).unwrap(), img);
    }

    #[test]
    fn backdrop_estimate_is_the_border_colour() {
        let img = product_photo(|x, y| in_shirt(x, y).then_some([0, 0, 0, 255]));
        let b = estimate_backdrop(&img).unwrap();
        assert!(b.iter().all(|&c| (i32::from(c) - 246).abs() <= 2), "{b:?}");
        let grey = RgbaImage::from_pixel(50, 80, Rgba([128, 130, 140, 255]));
        assert_eq!(estimate_backdrop(&grey), Some([128, 130, 140]));
    }
}
