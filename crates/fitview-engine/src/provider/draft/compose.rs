//! Composition: bare what the old clothes showed and the new garment does not cover, draw the
//! warped garment with the person's shading and soft edges, and keep head, hair and hands.
//!
//! - *Baring*: in the body region the new garment replaces (arms for tops, legs for bottoms,
//!   everything below the neck for one-pieces), a silhouette pixel that is not skin and not under
//!   the new garment still shows the old clothes: it is repainted in the person's skin colour
//!   with the old clothes' shading, so a short sleeve over a longer old one leaves a bare arm,
//!   not a remnant.
//! - *Drawing*: the garment is sampled through the warp's inverse map (bilinear, premultiplied),
//!   its alpha softened by the silhouette's neighbourhood and, for a top's body, by the torso's
//!   edges (so it stays behind the arms), and its colour multiplied by the shading ratio.
//! - *Keeping*: rows above the neck base and the hands are copied back from the input.

use image::RgbaImage;

use super::field::Field;
use super::fit::{Fit, Replaces};
use super::garment::GarmentShape;
use super::person::{Arm, Body};
use super::shading::shading;
use super::silhouette::{P, median};
use super::warp::{GridMap, sample};
use crate::pipeline::box_blur::box_blur;

/// How much of the person's shading ratio is applied to the garment.
const SHADING_STRENGTH: f32 = 0.85;

/// The person, analysed, with the maps every garment's composition reads.
pub(crate) struct Scene<'a> {
    pub person: &'a RgbaImage,
    pub body: &'a Body,
    shading: Field,
    silhouette: Field,
    near: Field,
    /// Skin as the face shows it (for classifying) and as the limbs show it (for painting).
    face: Option<[f32; 3]>,
    limb_skin: Option<[f32; 3]>,
}

impl<'a> Scene<'a> {
    pub fn new(person: &'a RgbaImage, body: &'a Body) -> Self {
        let (w, h) = body.grid;
        let s = body.scale;
        let unit = body.head_unit / s;
        let radius = ((0.25 * unit) as usize).max(3);
        let shading = shading(&body.small, &body.alpha, radius, s);
        let sil: Vec<f32> = body.alpha.iter().map(|&a| f32::from(a) / 255.0).collect();
        let near_radius = ((0.12 * unit) as usize).max(2);
        let near = box_blur(&sil, w, h, near_radius)
            .into_iter()
            .map(|v| (v * 3.0).min(1.0))
            .collect();
        let face = body.skin;
        let limb_skin = face.and_then(|f| limb_skin(body, f)).or(face);
        Scene {
            person,
            body,
            shading,
            silhouette: Field::new(w, h, s, sil),
            near: Field::new(w, h, s, near),
            face,
            limb_skin,
        }
    }
}

/// Whether a colour reads as the same skin as `face` (chromaticity close, brightness within a
/// wide shading range).
fn skin_like(p: [u8; 4], face: [f32; 3]) -> bool {
    let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
    let sum = r + g + b + 1.0;
    let fsum = face[0] + face[1] + face[2] + 1.0;
    let d = (r / sum - face[0] / fsum).abs() + (g / sum - face[1] / fsum).abs();
    let ratio = sum / fsum;
    d < 0.05 && (0.35..=1.7).contains(&ratio)
}

/// Median colour of skin on the arms and legs (the face is often lit differently).
fn limb_skin(body: &Body, face: [f32; 3]) -> Option<[f32; 3]> {
    let neck_y = body.landmarks.neck?[1] / body.scale;
    let (w, _) = body.grid;
    let mut channels: [Vec<f32>; 3] = Default::default();
    for (i, p) in body.small.pixels().enumerate().step_by(3) {
        if body.alpha[i] < 200 || ((i / w) as f32) < neck_y {
            continue;
        }
        if skin_like(p.0, face) {
            for (channel, value) in channels.iter_mut().zip(p.0) {
                channel.push(f32::from(value));
            }
        }
    }
    if channels[0].len() < 50 {
        return None;
    }
    let [r, g, b] = &mut channels;
    Some([median(r)?, median(g)?, median(b)?])
}

/// What part of an arm `p` is on: `Some(true)` for the hand, `Some(false)` for the rest. Points
/// inside the torso's edges are never on an arm.
fn on_arm(body: &Body, p: P) -> Option<bool> {
    if body
        .torso_at(p[1])
        .is_some_and(|(l, r)| p[0] > l + 1.0 && p[0] < r - 1.0)
    {
        return None;
    }
    body.arms.iter().flatten().find_map(|arm| {
        let (t, d) = arm.locate(p);
        (d < arm.half_width * 1.7 && t > 0.0).then_some(t > arm.wrist())
    })
}

fn blend(dst: &mut [u8], rgb: [f32; 3], a: f32) {
    for c in 0..3 {
        let v = f32::from(dst[c]) + (rgb[c] - f32::from(dst[c])) * a;
        dst[c] = v.round().clamp(0.0, 255.0) as u8;
    }
}

/// Puts one garment on the person in `out`.
pub(crate) fn dress(
    out: &mut RgbaImage,
    scene: &Scene<'_>,
    garment: &RgbaImage,
    shape: &GarmentShape,
    fit: &Fit,
    map: &GridMap,
) {
    let (w, h) = (out.width() as usize, out.height() as usize);
    let x0 = fit.bounds.0.floor().clamp(0.0, (w - 1) as f32) as usize;
    let y0 = fit.bounds.1.floor().clamp(0.0, (h - 1) as f32) as usize;
    let x1 = fit.bounds.2.ceil().clamp(0.0, (w - 1) as f32) as usize;
    let y1 = fit.bounds.3.ceil().clamp(0.0, (h - 1) as f32) as usize;
    let bw = x1 + 1 - x0;
    let body = scene.body;
    let (gx0, gy0, gx1, gy1) = shape.bbox;

    // The warped garment: straight colour and coverage per pixel of the bounds.
    let mut colour = vec![[0f32; 3]; bw * (y1 + 1 - y0)];
    let mut cover = vec![0f32; bw * (y1 + 1 - y0)];
    for y in y0..=y1 {
        let yf = y as f32;
        let behind_arms = fit.torso_band_from.is_some_and(|from| yf > from);
        let clip = fit.clip_to_body && yf < fit.free_below;
        for x in x0..=x1 {
            let p = map.at(x, y);
            if p[0] < gx0 - 2.0 || p[0] > gx1 + 2.0 || p[1] < gy0 - 2.0 || p[1] > gy1 + 2.0 {
                continue;
            }
            let (rgb, a) = sample(garment, p);
            if a < 0.5 {
                continue;
            }
            let xf = x as f32;
            let mut alpha = a / 255.0;
            if clip {
                alpha *= scene.near.at(xf, yf);
            }
            // The garment's body goes behind the arms; its sleeves over them.
            if behind_arms && on_arm(body, [xf, yf]) == Some(false) && !shape.is_sleeve(p[0], p[1])
            {
                alpha *= 1.0 - scene.silhouette.at(xf, yf);
            }
            let i = (y - y0) * bw + (x - x0);
            cover[i] = alpha;
            colour[i] = rgb;
        }
    }
    let coverage = |x: usize, y: usize| {
        if (x0..=x1).contains(&x) && (y0..=y1).contains(&y) {
            cover[(y - y0) * bw + (x - x0)]
        } else {
            0.0
        }
    };

    bare(out, scene, fit.replaces, &coverage);

    // Draw the garment with the person's shading.
    let raw = out.as_mut();
    for y in y0..=y1 {
        for x in x0..=x1 {
            let i = (y - y0) * bw + (x - x0);
            let a = cover[i];
            if a <= 0.0 {
                continue;
            }
            let (xf, yf) = (x as f32, y as f32);
            let sil = scene.silhouette.at(xf, yf);
            let s = 1.0 + (scene.shading.at(xf, yf) - 1.0) * sil * SHADING_STRENGTH;
            let rgb = colour[i].map(|c| c * s);
            let o = (y * w + x) * 4;
            blend(&mut raw[o..o + 3], rgb, a);
        }
    }
}

/// Repaints in skin what the old clothes show in `replaces` and the new garment does not cover.
fn bare(
    out: &mut RgbaImage,
    scene: &Scene<'_>,
    replaces: Replaces,
    coverage: &dyn Fn(usize, usize) -> f32,
) {
    let (Some(face), Some(skin)) = (scene.face, scene.limb_skin) else {
        return;
    };
    let body = scene.body;
    let Some(neck) = body.landmarks.neck else {
        return;
    };
    let armpit_y = match (body.landmarks.left_armpit, body.landmarks.right_armpit) {
        (Some(a), Some(b)) => a[1].max(b[1]),
        _ => neck[1] + body.head_unit,
    };
    let (w, h) = (out.width() as usize, out.height() as usize);
    let person = scene.person.as_raw();
    let raw = out.as_mut();
    for y in (neck[1].max(0.0) as usize)..h {
        let yf = y as f32;
        let band = body.torso_at(yf);
        for x in 0..w {
            let xf = x as f32;
            let sil = scene.silhouette.at(xf, yf);
            if sil < 0.05 || coverage(x, y) > 0.98 {
                continue;
            }
            let arm = on_arm(body, [xf, yf]);
            if arm == Some(true) {
                continue;
            }
            let in_torso = yf < armpit_y || band.is_some_and(|(l, r)| xf >= l && xf <= r);
            let wanted = (replaces.arms && arm == Some(false))
                || replaces
                    .torso
                    .is_some_and(|(a, b)| yf >= a && yf <= b && in_torso && arm.is_none())
                || replaces
                    .legs_from
                    .is_some_and(|from| yf >= from && arm.is_none());
            if !wanted {
                continue;
            }
            let o = (y * w + x) * 4;
            let p = [person[o], person[o + 1], person[o + 2], 255];
            if skin_like(p, face) {
                continue;
            }
            let s = scene.shading.at(xf, yf);
            blend(&mut raw[o..o + 3], skin.map(|c| c * s), sil);
        }
    }
}

/// Copies the head (everything above the neck base) and the hands back from the input.
pub(crate) fn keep_head_and_hands(out: &mut RgbaImage, scene: &Scene<'_>) {
    let body = scene.body;
    let (w, h) = (out.width() as usize, out.height() as usize);
    let person = scene.person.as_raw();
    let raw = out.as_mut();
    if let Some(neck) = body.landmarks.neck {
        let rows = ((neck[1] - 0.12 * body.head_unit).max(0.0) as usize).min(h);
        raw[..rows * w * 4].copy_from_slice(&person[..rows * w * 4]);
    }
    for arm in body.arms.iter().flatten() {
        hand(raw, w, h, person, scene, arm);
    }
}

/// Copies the hand of `arm` (past the wrist, near the chain) back from the input.
fn hand(raw: &mut [u8], w: usize, h: usize, person: &[u8], scene: &Scene<'_>, arm: &Arm) {
    let [_, _, wrist, tip] = arm.chain;
    let pad = 2.0 * arm.half_width;
    let clamp = |v: f32, max: usize| (v.max(0.0) as usize).min(max - 1);
    let (xa, xb) = (
        clamp(wrist[0].min(tip[0]) - pad, w),
        clamp(wrist[0].max(tip[0]) + pad, w),
    );
    let (ya, yb) = (
        clamp(wrist[1].min(tip[1]) - pad, h),
        clamp(wrist[1].max(tip[1]) + pad, h),
    );
    for y in ya..=yb {
        for x in xa..=xb {
            let (t, d) = arm.locate([x as f32, y as f32]);
            let sil = scene.silhouette.at(x as f32, y as f32);
            if t > arm.wrist() && d < arm.half_width * 1.5 && sil > 0.0 {
                let o = (y * w + x) * 4;
                let src = [person[o], person[o + 1], person[o + 2]].map(f32::from);
                blend(&mut raw[o..o + 3], src, sil);
            }
        }
    }
}
