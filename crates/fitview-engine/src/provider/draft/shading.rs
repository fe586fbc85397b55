//! The person's shading, to carry onto the new garment: folds and light from the side.
//!
//! Shading is the ratio of each pixel's luminance to the mean luminance *of the same material*.
//! The silhouette's colours are split into a few clusters (k-means on chromaticity and a little
//! luminance: the old top, the old bottoms, skin, hair), and each pixel's mean is taken only over
//! pixels of its own cluster, so the border between a red top and navy trousers leaves no dark
//! band on the new garment while the folds and the side light inside each material carry over.
//! The mean is half local (a box about half a torso wide) and half the material's mean over the
//! whole body, so a gradient across the body survives.
//!
//! Clusters that differ only a little in luminance and not in hue are one material seen in light
//! and shade, and are merged: otherwise the light side and the shaded side of one shirt would each
//! be measured against their own mean and the side light would be lost. In dark materials the
//! ratio is taken with an offset ([`DARK_OFFSET`]), so sensor and JPEG noise, large relative to a
//! small luminance, does not turn into speckles on the new garment.

use image::RgbaImage;

use super::field::Field;
use crate::pipeline::box_blur::{box_sum, integral};

/// Clusters of silhouette colours.
const CLUSTERS: usize = 4;
/// k-means rounds (on a subsample).
const ROUNDS: usize = 6;
/// Weight of the local mean against the material's mean over the whole body: the local part
/// flattens broad light, the global part keeps it.
const LOCAL: f32 = 0.5;
/// Limits of the carried ratio: deep folds darken, highlights lift, never to black or white.
const RANGE: (f32, f32) = (0.55, 1.4);
/// Clusters closer than this in chromaticity (feature units) and [`MERGE_LUMA`] in luminance are
/// one material in light and shade.
const MERGE_CHROMA: f32 = 14.0;
/// Luminance difference (0–255) under which clusters of one hue are merged; black and grey
/// clothes differ by more.
const MERGE_LUMA: f32 = 45.0;
/// Luminance added to both sides of the ratio: negligible for light materials, it damps the noise
/// of dark ones (a ±3 grain on a mean of 30 would otherwise be a ±10% speckle).
const DARK_OFFSET: f32 = 25.0;

fn luma(p: [u8; 4]) -> f32 {
    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
}

/// Shading ratio per analysis pixel (1 outside the silhouette), for an image at the analysis
/// scale with its silhouette `alpha`; `radius` in analysis pixels.
pub(crate) fn shading(small: &RgbaImage, alpha: &[u8], radius: usize, scale: f32) -> Field {
    let (w, h) = (small.width() as usize, small.height() as usize);
    let px: Vec<[u8; 4]> = small.pixels().map(|p| p.0).collect();
    let inside: Vec<usize> = (0..w * h).filter(|&i| alpha[i] >= 160).collect();
    let mut ratio = vec![1f32; w * h];
    if inside.len() < 64 {
        return Field::new(w, h, scale, ratio);
    }
    let labels = cluster(&px, &inside);
    let lum: Vec<f32> = px.iter().map(|&p| luma(p)).collect();
    for c in 0..CLUSTERS {
        let mut weight = vec![0f32; w * h];
        let mut value = vec![0f32; w * h];
        let mut any = false;
        for (&i, &l) in inside.iter().zip(&labels) {
            if usize::from(l) == c {
                weight[i] = 1.0;
                value[i] = lum[i];
                any = true;
            }
        }
        if !any {
            continue;
        }
        let ws = integral(&weight, w, h);
        let vs = integral(&value, w, h);
        let count = ws[ws.len() - 1];
        let global = (vs[vs.len() - 1] / count.max(1.0)) as f32;
        for (&i, &l) in inside.iter().zip(&labels) {
            if usize::from(l) != c {
                continue;
            }
            let (x, y) = (i % w, i / w);
            let (n, _) = box_sum(&ws, w, h, x, y, radius);
            let (s, _) = box_sum(&vs, w, h, x, y, radius);
            let mean = LOCAL * (s / n.max(1.0)) as f32 + (1.0 - LOCAL) * global;
            ratio[i] = ((lum[i] + DARK_OFFSET) / (mean + DARK_OFFSET)).clamp(RANGE.0, RANGE.1);
        }
    }
    Field::new(w, h, scale, smooth3(&ratio, w, h))
}

/// Clustering feature: chromaticity weighs most (a material keeps its hue in light and shade),
/// luminance a little (black and grey clothes differ only there).
fn feature(p: [u8; 4]) -> [f32; 3] {
    let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
    let sum = r + g + b + 30.0;
    [400.0 * r / sum, 400.0 * g / sum, 0.3 * luma(p)]
}

/// k-means labels (one per `inside` pixel), seeded at luminance quantiles so runs are repeatable.
fn cluster(px: &[[u8; 4]], inside: &[usize]) -> Vec<u8> {
    let sample: Vec<[f32; 3]> = inside.iter().step_by(3).map(|&i| feature(px[i])).collect();
    let mut by_luma: Vec<&[f32; 3]> = sample.iter().collect();
    by_luma.sort_by(|a, b| a[2].total_cmp(&b[2]));
    let mut centres: [[f32; 3]; CLUSTERS] = [[0.0; 3]; CLUSTERS];
    for (k, c) in centres.iter_mut().enumerate() {
        let q = ((k as f32 + 0.5) / CLUSTERS as f32 * by_luma.len() as f32) as usize;
        *c = *by_luma[q.min(by_luma.len() - 1)];
    }
    let nearest = |p: &[f32; 3], centres: &[[f32; 3]; CLUSTERS]| -> usize {
        let mut best = (0, f32::MAX);
        for (k, c) in centres.iter().enumerate() {
            let d = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2);
            if d < best.1 {
                best = (k, d);
            }
        }
        best.0
    };
    for _ in 0..ROUNDS {
        let mut sums = [[0f64; 4]; CLUSTERS];
        for p in &sample {
            let k = nearest(p, &centres);
            for ch in 0..3 {
                sums[k][ch] += f64::from(p[ch]);
            }
            sums[k][3] += 1.0;
        }
        for (c, s) in centres.iter_mut().zip(&sums) {
            if s[3] > 0.0 {
                *c = [
                    (s[0] / s[3]) as f32,
                    (s[1] / s[3]) as f32,
                    (s[2] / s[3]) as f32,
                ];
            }
        }
    }
    let merged = merge_materials(&centres);
    inside
        .iter()
        .map(|&i| merged[nearest(&feature(px[i]), &centres)])
        .collect()
}

/// For each cluster, the label of the material it belongs to: clusters of one hue and nearby
/// luminance (one material in light and shade) share the lowest index among them.
fn merge_materials(centres: &[[f32; 3]; CLUSTERS]) -> [u8; CLUSTERS] {
    let mut label: [u8; CLUSTERS] = std::array::from_fn(|k| k as u8);
    // Relabelling to the smallest index repeatedly reaches a fixed point within CLUSTERS passes.
    for _ in 0..CLUSTERS {
        for a in 0..CLUSTERS {
            for b in a + 1..CLUSTERS {
                let (p, q) = (centres[a], centres[b]);
                let chroma = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
                // Feature luminance is 0.3 × luma.
                let luma = (p[2] - q[2]).abs() / 0.3;
                if chroma < MERGE_CHROMA && luma < MERGE_LUMA {
                    let low = label[a].min(label[b]);
                    label[a] = low;
                    label[b] = low;
                }
            }
        }
    }
    label
}

/// 3×3 mean, to quiet sensor and JPEG noise in the ratio.
fn smooth3(v: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = v.to_vec();
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let mut s = 0.0;
            for dy in 0..3 {
                let row = (y + dy - 1) * w;
                s += v[row + x - 1] + v[row + x] + v[row + x + 1];
            }
            out[y * w + x] = s / 9.0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_material_border_leaves_no_band_but_a_gradient_survives() {
        // Top half red, bottom half navy, both lit from the left.
        let (w, h) = (80u32, 80u32);
        let img = RgbaImage::from_fn(w, h, |x, y| {
            let light = 0.8 + 0.4 * (1.0 - x as f32 / w as f32);
            let base = if y < h / 2 {
                [180.0, 40.0, 40.0]
            } else {
                [40.0, 50.0, 110.0]
            };
            image::Rgba([
                (base[0] * light) as u8,
                (base[1] * light) as u8,
                (base[2] * light) as u8,
                255,
            ])
        });
        let alpha = vec![255u8; (w * h) as usize];
        let f = shading(&img, &alpha, 20, 1.0);
        let at = |x: usize, y: usize| f.data[y * w as usize + x];
        // Just above and below the border: close to 1 in the middle column.
        assert!((at(40, 38) - 1.0).abs() < 0.08, "{}", at(40, 38));
        assert!((at(40, 42) - 1.0).abs() < 0.08, "{}", at(40, 42));
        // Left brighter than right within a material.
        assert!(
            at(10, 20) > at(70, 20) + 0.1,
            "{} {}",
            at(10, 20),
            at(70, 20)
        );
    }
}
