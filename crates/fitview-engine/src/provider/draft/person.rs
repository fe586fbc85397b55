//! Person analysis: body points and the person mask from the vision models, and the body
//! measures the fit and the composition read from them.
//!
//! `fitview-vision` gives the 33 BlazePose body points (joints, with visibility), the person mask
//! and the face mesh. The draft needs the silhouette's measures too, so they are read from the
//! mask along the joints, at half the canvas' resolution:
//!
//! - the head top is the mask's top above the nose, the chin the face mesh's, the neck base a
//!   fixed share of the way from the chin to the shoulder joints;
//! - each shoulder is the mask's point furthest out along the 45° diagonal above its joint (the
//!   top-outer corner of the deltoid, where retailers and the fixtures put it);
//! - the torso's edges per row are the mask's run around the line between the shoulder and hip
//!   joints, stopped where an arm begins (a capsule along shoulder → elbow → wrist → hand, outside
//!   the joints' lines, so a hand in front of the belly does not cut the torso); the armpits are
//!   on those edges a fixed share down from the shoulders, the waist is the narrowest and the
//!   hips the widest row around their joints, the crotch where the mask between the legs ends;
//! - each leg's centre follows hip → knee → ankle, its width is the mask's run there (split
//!   between the legs where they touch); knees and ankles are the joints, when visible.
//!
//! Whatever the frame cuts off is placed by proportion and reported as such.

use fitview_vision::{FaceMesh, Landmark, Vision, VisionError};
use image::{RgbImage, RgbaImage};
use serde_json::{Map, Value, json};

use super::silhouette::{Mask, P, dist, lerp, median};
use crate::error::{Error, Result};
use crate::landmarks::BodyLandmarks;

/// Visibility from which a joint counts as seen.
const SEEN: f32 = 0.5;
/// The neck base, as a share of the way from the chin down to the shoulder joints' line.
const NECK: f32 = 0.55;
/// The armpits, as a share of the way from the shoulder joints down to the hip joints.
const ARMPIT: f32 = 0.22;
/// The outer hips beyond the hip joints, as a share of the joints' span (for a frame that cuts
/// the hips off).
const HIP_OUT: f32 = 0.45;

/// Where a landmark came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Read from the silhouette.
    Measured,
    /// Placed by body proportions from other landmarks.
    Proportion,
    /// Given by the retailer with the photo.
    Supplied,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Measured => "estimated",
            Source::Proportion => "estimated-from-proportions",
            Source::Supplied => "supplied",
        }
    }
}

/// One arm: the chain shoulder joint → elbow → wrist → hand tip, in canvas pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arm {
    /// Shoulder joint, elbow, wrist and the hand's tip.
    pub chain: [P; 4],
    /// Half the arm's width.
    pub half_width: f32,
}

impl Arm {
    /// Arc length from the shoulder joint to chain point `i`.
    pub fn length_to(&self, i: usize) -> f32 {
        (0..i.min(3))
            .map(|k| dist(self.chain[k], self.chain[k + 1]))
            .sum()
    }

    /// Arc length to the wrist, where the hand starts.
    pub fn wrist(&self) -> f32 {
        self.length_to(2)
    }

    /// The nearest point of the chain to `p`: `(arc length there, distance from it)`.
    pub fn locate(&self, p: P) -> (f32, f32) {
        let mut best = (0.0, f32::MAX);
        let mut start = 0.0;
        for k in 0..3 {
            let (a, b) = (self.chain[k], self.chain[k + 1]);
            let len = dist(a, b);
            let t = if len > 1e-3 {
                (((p[0] - a[0]) * (b[0] - a[0]) + (p[1] - a[1]) * (b[1] - a[1])) / (len * len))
                    .clamp(0.0, 1.0)
            } else {
                0.0
            };
            let q = [lerp(a[0], b[0], t), lerp(a[1], b[1], t)];
            let d = dist(p, q);
            if d < best.1 {
                best = (start + t * len, d);
            }
            start += len;
        }
        best
    }

    /// The point at arc length `t` and the chain's unit direction there.
    pub fn at(&self, t: f32) -> (P, P) {
        let mut start = 0.0;
        for k in 0..3 {
            let (a, b) = (self.chain[k], self.chain[k + 1]);
            let len = dist(a, b);
            if t <= start + len || k == 2 {
                let dir = if len > 1e-3 {
                    [(b[0] - a[0]) / len, (b[1] - a[1]) / len]
                } else {
                    [0.0, 1.0]
                };
                let s = t - start;
                return ([a[0] + dir[0] * s, a[1] + dir[1] * s], dir);
            }
            start += len;
        }
        (self.chain[3], [0.0, 1.0])
    }
}

/// One leg: its centre line sampled per analysis row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Leg {
    /// `(y, centre x, half width)` in canvas pixels, top to bottom.
    pub samples: Vec<(f32, f32, f32)>,
}

impl Leg {
    /// Centre and half width at canvas row `y` (clamped to the tracked span).
    pub fn at(&self, y: f32) -> Option<(f32, f32)> {
        let first = self.samples.first()?;
        let last = self.samples.last()?;
        if y <= first.0 {
            return Some((first.1, first.2));
        }
        if y >= last.0 {
            return Some((last.1, last.2));
        }
        let i = self.samples.partition_point(|s| s.0 < y);
        let (a, b) = (self.samples[i.saturating_sub(1)], self.samples[i]);
        let t = if b.0 > a.0 {
            (y - a.0) / (b.0 - a.0)
        } else {
            0.0
        };
        Some((lerp(a.1, b.1, t), lerp(a.2, b.2, t)))
    }
}

/// Everything the fit and the composition need to know about the person.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    /// Landmarks in canvas pixels, retailer-supplied ones in place of estimates.
    pub landmarks: BodyLandmarks,
    sources: [Option<Source>; 15],
    confidence: [f32; 15],
    /// The person at the analysis scale, and its silhouette alpha.
    pub small: RgbaImage,
    pub alpha: Vec<u8>,
    /// Analysis grid size and its scale to the canvas.
    pub grid: (usize, usize),
    pub scale: f32,
    mask: Mask,
    /// Torso edges per analysis row (analysis pixels).
    torso: Vec<Option<(f32, f32)>>,
    /// Half the neck's width (canvas pixels).
    pub neck_half_width: f32,
    /// Head top to neck base (canvas pixels): the unit of body proportions.
    pub head_unit: f32,
    /// Head top to soles, measured or estimated (canvas pixels).
    pub figure_height: f32,
    /// Whether the feet are in frame.
    pub full_body: bool,
    /// Crotch row (canvas pixels), where the legs part.
    pub crotch_y: Option<f32>,
    pub arms: [Option<Arm>; 2],
    pub legs: [Leg; 2],
    /// Median face colour, the reference for skin.
    pub skin: Option<[f32; 3]>,
}

const NAMES: [&str; 15] = [
    "head_top",
    "chin",
    "neck",
    "left_shoulder",
    "right_shoulder",
    "left_armpit",
    "right_armpit",
    "waist_left",
    "waist_right",
    "hip_left",
    "hip_right",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
];

/// Landmark groups reported with one confidence each, by indices into [`NAMES`].
const GROUPS: [(&str, &[usize]); 8] = [
    ("head", &[0, 1]),
    ("neck", &[2]),
    ("shoulders", &[3, 4]),
    ("armpits", &[5, 6]),
    ("waist", &[7, 8]),
    ("hips", &[9, 10]),
    ("knees", &[11, 12]),
    ("ankles", &[13, 14]),
];

fn no_person(why: &str) -> Error {
    Error::invalid_input(format!(
        "person photo: {why}; the draft provider needs a photo of one person, seen from the head to at least the hips"
    ))
}

/// The vision crate's errors as the engine's: no person and a tiny photo are the input's fault.
pub(crate) fn vision_error(e: VisionError) -> Error {
    match e {
        VisionError::NoPerson { .. } => no_person("no person found in the photo"),
        VisionError::ImageTooSmall { .. } => Error::invalid_input(format!("person photo: {e}")),
        other => Error::internal(format!("draft vision models: {other}")),
    }
}

/// A joint in analysis-grid pixels with its visibility.
#[derive(Debug, Clone, Copy)]
struct Joint {
    p: P,
    vis: f32,
}

/// The body points the measures use, each pair ordered image-left then image-right.
struct Joints {
    nose: Joint,
    mouth: [Joint; 2],
    shoulders: [Joint; 2],
    elbows: [Joint; 2],
    wrists: [Joint; 2],
    index: [Joint; 2],
    hips: [Joint; 2],
    knees: [Joint; 2],
    ankles: [Joint; 2],
    heels: [Joint; 2],
    toes: [Joint; 2],
}

impl Joints {
    fn new(points: &fitview_vision::BodyPoints, to_grid: impl Fn(P) -> P) -> Joints {
        let one = |l: Landmark| {
            let k = points.get(l);
            Joint {
                p: to_grid(k.xy()),
                vis: k.visibility,
            }
        };
        // The person's right side is on the image's left in a frontal photo; from behind the
        // other way round. Order by the shoulders' columns.
        let frontal = points.get(Landmark::RightShoulder).x <= points.get(Landmark::LeftShoulder).x;
        let pair = |left: Landmark, right: Landmark| {
            if frontal {
                [one(right), one(left)]
            } else {
                [one(left), one(right)]
            }
        };
        Joints {
            nose: one(Landmark::Nose),
            mouth: pair(Landmark::MouthLeft, Landmark::MouthRight),
            shoulders: pair(Landmark::LeftShoulder, Landmark::RightShoulder),
            elbows: pair(Landmark::LeftElbow, Landmark::RightElbow),
            wrists: pair(Landmark::LeftWrist, Landmark::RightWrist),
            index: pair(Landmark::LeftIndex, Landmark::RightIndex),
            hips: pair(Landmark::LeftHip, Landmark::RightHip),
            knees: pair(Landmark::LeftKnee, Landmark::RightKnee),
            ankles: pair(Landmark::LeftAnkle, Landmark::RightAnkle),
            heels: pair(Landmark::LeftHeel, Landmark::RightHeel),
            toes: pair(Landmark::LeftFootIndex, Landmark::RightFootIndex),
        }
    }
}

fn mid(a: P, b: P) -> P {
    [(a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5]
}

/// Finds the person with the vision models and measures the body; `supplied` points replace
/// estimates.
pub(crate) fn analyse(
    vision: &Vision,
    person: &RgbaImage,
    supplied: Option<&BodyLandmarks>,
) -> Result<Body> {
    let rgb = RgbImage::from_fn(person.width(), person.height(), |x, y| {
        let [r, g, b, _] = person.get_pixel(x, y).0;
        image::Rgb([r, g, b])
    });
    let found = vision.person(&rgb).map_err(vision_error)?;
    let face = vision.face(&rgb, &found).map_err(vision_error)?;
    let factor = if person.width() >= 256 && person.height() >= 256 {
        2
    } else {
        1
    };
    let small = downsample(person, factor);
    let (w, h) = (small.width() as usize, small.height() as usize);
    let mask_px = found.mask.as_raw();
    let full_w = person.width() as usize;
    let n = factor * factor;
    let alpha: Vec<u8> = (0..w * h)
        .map(|i| {
            let (gx, gy) = ((i % w) * factor as usize, (i / w) * factor as usize);
            let mut sum = 0u32;
            for dy in 0..factor as usize {
                for dx in 0..factor as usize {
                    sum += u32::from(mask_px[(gy + dy) * full_w + gx + dx]);
                }
            }
            ((sum + n / 2) / n) as u8
        })
        .collect();
    let mut mask = Mask::from_alpha(&alpha, w, h, 128);
    let area = mask.keep_largest_component();
    if (area as f32) < 0.004 * (w * h) as f32 {
        return Err(no_person("the person found is too small to dress"));
    }
    let alpha: Vec<u8> = alpha
        .iter()
        .zip(&mask.data)
        .map(|(&a, &keep)| if keep { a } else { 0 })
        .collect();
    let s = factor as f32;
    let to_grid = |p: P| [(p[0] - 0.5 * (s - 1.0)) / s, (p[1] - 0.5 * (s - 1.0)) / s];
    let joints = Joints::new(&found.points, to_grid);
    let chin = face.as_ref().map(|f| to_grid(f.points[CHIN]));
    let forehead = face.as_ref().map(|f| to_grid(f.points[FOREHEAD]));
    let measured = measure(&mask, &joints, chin, forehead).map_err(no_person)?;
    let mut body = measured.into_body(mask, small, alpha, s);
    body.skin = face
        .as_ref()
        .and_then(|f| face_colour(person, f))
        .or_else(|| cheek_colour(person, &body));
    if let Some(given) = supplied {
        body.apply_supplied(given);
    }
    Ok(body)
}

/// Face-mesh indices of the chin's lowest point and the forehead's top.
const CHIN: usize = 152;
const FOREHEAD: usize = 10;

/// Box-averages by `factor` (1 returns a copy).
fn downsample(img: &RgbaImage, factor: u32) -> RgbaImage {
    if factor == 1 {
        return img.clone();
    }
    let (w, h) = (img.width() / factor, img.height() / factor);
    let n = factor * factor;
    RgbaImage::from_fn(w, h, |x, y| {
        let mut sum = [0u32; 4];
        for dy in 0..factor {
            for dx in 0..factor {
                let p = img.get_pixel(x * factor + dx, y * factor + dy).0;
                for c in 0..4 {
                    sum[c] += u32::from(p[c]);
                }
            }
        }
        image::Rgba(sum.map(|v| ((v + n / 2) / n) as u8))
    })
}

/// Landmarks at the analysis scale, before mapping to the canvas.
struct Measured {
    points: [Option<P>; 15],
    sources: [Option<Source>; 15],
    confidence: [f32; 15],
    torso: Vec<Option<(f32, f32)>>,
    neck_half_width: f32,
    head_unit: f32,
    figure_height: f32,
    full_body: bool,
    crotch_y: Option<f32>,
    arms: [Option<Arm>; 2],
    legs: [Leg; 2],
}

/// Index of the row minimising (or maximising) `width` over `rows`, taking the middle of a plateau
/// within half a pixel of the extreme.
fn extreme_row(rows: &[(usize, f32)], widest: bool) -> Option<usize> {
    let pick = |w: f32| if widest { -w } else { w };
    let best = rows.iter().map(|r| pick(r.1)).min_by(f32::total_cmp)?;
    let plateau: Vec<usize> = rows
        .iter()
        .filter(|r| pick(r.1) <= best + 0.5)
        .map(|r| r.0)
        .collect();
    plateau.get(plateau.len() / 2).copied()
}

/// Steps from `p` along unit `dir` while the mask holds, up to `max` steps.
fn reach(mask: &Mask, p: P, dir: P, max: f32) -> f32 {
    let mut t = 0.0;
    while t < max {
        let q = [p[0] + dir[0] * (t + 1.0), p[1] + dir[1] * (t + 1.0)];
        if q[0] < 0.0 || q[1] < 0.0 || !mask.get(q[0].round() as usize, q[1].round() as usize) {
            break;
        }
        t += 1.0;
    }
    t
}

/// `x` along a chain of points at row `y` (linear on the segment spanning `y`; the ends beyond).
fn chain_x(chain: &[P], y: f32) -> f32 {
    for pair in chain.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if (y >= a[1] && y <= b[1]) || (y <= a[1] && y >= b[1]) {
            let t = if (b[1] - a[1]).abs() > 1e-3 {
                (y - a[1]) / (b[1] - a[1])
            } else {
                0.0
            };
            return lerp(a[0], b[0], t);
        }
    }
    if y < chain[0][1] {
        chain[0][0]
    } else {
        chain[chain.len() - 1][0]
    }
}

fn measure(
    mask: &Mask,
    j: &Joints,
    chin: Option<P>,
    forehead: Option<P>,
) -> std::result::Result<Measured, &'static str> {
    let (w, h) = (mask.width, mask.height);
    let sh = [j.shoulders[0].p, j.shoulders[1].p];
    let hip = [j.hips[0].p, j.hips[1].p];
    let (sh_mid, hip_mid) = (mid(sh[0], sh[1]), mid(hip[0], hip[1]));
    let span = dist(sh[0], sh[1]).max(2.0);
    let torso_len = hip_mid[1] - sh_mid[1];
    if torso_len < 0.3 * span || torso_len < 4.0 {
        return Err("the person is not upright (shoulders not above hips)");
    }
    let mut marks = Marks {
        points: [None; 15],
        sources: [None; 15],
        confidence: [0.0; 15],
    };
    let set = |m: &mut Marks, i: usize, p: P, source: Source, conf: f32| {
        m.points[i] = Some(p);
        m.sources[i] = Some(source);
        m.confidence[i] = conf.clamp(0.0, 1.0);
    };

    // Head and neck.
    let nose = j.nose.p;
    let mouth_y = (j.mouth[0].p[1] + j.mouth[1].p[1]) * 0.5;
    let chin = chin.unwrap_or([nose[0], mouth_y + 1.2 * (mouth_y - nose[1]).max(1.0)]);
    let neck_y = lerp(chin[1], sh_mid[1], NECK);
    let neck = [lerp(chin[0], sh_mid[0], NECK), neck_y];
    let column = nose[0].round().clamp(0.0, (w - 1) as f32) as usize;
    let from = (nose[1].round().max(0.0) as usize).min(h - 1);
    let mut top = from;
    for y in (0..from).rev() {
        if mask.get(column, y) {
            top = y;
        } else if top - y > 3 {
            break;
        }
    }
    let head_top_y = forehead.map_or(top as f32, |f| (top as f32).min(f[1]));
    let head_top = [nose[0], head_top_y.max(0.0)];
    let head_unit = (neck_y - head_top[1]).max(span / 2.2).max(8.0);
    let head_conf = if head_top_y > 0.5 { 0.9 } else { 0.4 };
    set(
        &mut marks,
        0,
        head_top,
        Source::Measured,
        head_conf * j.nose.vis,
    );
    set(&mut marks, 1, chin, Source::Measured, 0.8 * j.nose.vis);
    set(&mut marks, 2, neck, Source::Proportion, 0.7 * j.nose.vis);
    let neck_probe = [neck[0], lerp(chin[1], neck_y, 0.6)];
    let neck_half_width = ((reach(mask, neck_probe, [-1.0, 0.0], span)
        + reach(mask, neck_probe, [1.0, 0.0], span))
        * 0.5)
        .clamp(0.08 * span, 0.3 * span);

    // Shoulders: the outermost mask point along the upper diagonal above each joint.
    for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
        let joint = sh[k];
        let (y0, y1) = (
            (joint[1] - 0.6 * span).max(0.0),
            joint[1].min((h - 1) as f32),
        );
        let (xa, xb) = (joint[0] - side * 0.1 * span, joint[0] + side * 0.45 * span);
        let (x0, x1) = (xa.min(xb).max(0.0), xa.max(xb).min((w - 1) as f32));
        let mut best: Option<(f32, P)> = None;
        for y in y0 as usize..=y1 as usize {
            for x in x0 as usize..=x1 as usize {
                if mask.get(x, y) {
                    let score = side * x as f32 - y as f32;
                    if best.is_none_or(|(s, _)| score > s) {
                        best = Some((score, [x as f32, y as f32]));
                    }
                }
            }
        }
        let conf = j.shoulders[k].vis;
        match best {
            Some((_, p)) => set(&mut marks, 3 + k, p, Source::Measured, 0.9 * conf),
            None => set(
                &mut marks,
                3 + k,
                [joint[0] + side * 0.12 * span, joint[1] - 0.1 * span],
                Source::Proportion,
                0.4 * conf,
            ),
        }
    }

    // Arms: shoulder joint → elbow → wrist → the hand's tip.
    let mut arms = [None, None];
    for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
        let (s, e, wr) = (sh[k], j.elbows[k].p, j.wrists[k].p);
        let tip = if j.index[k].vis > 0.3 {
            let t = j.index[k].p;
            [t[0] + 0.2 * (t[0] - wr[0]), t[1] + 0.2 * (t[1] - wr[1])]
        } else {
            [wr[0] + 0.45 * (wr[0] - e[0]), wr[1] + 0.45 * (wr[1] - e[1])]
        };
        let upper = dist(s, e).max(1.0);
        let normal = [(e[1] - s[1]) / upper, -(e[0] - s[0]) / upper];
        // The outward normal (away from the torso) measures the arm's half width even where
        // the arm touches the body.
        let out = if normal[0] * side >= 0.0 {
            normal
        } else {
            [-normal[0], -normal[1]]
        };
        let half = reach(mask, mid(s, e), out, 0.4 * span);
        let half_width = if half > 0.0 { half } else { 0.1 * span };
        arms[k] = Some(Arm {
            chain: [s, e, wr, tip],
            half_width: half_width.clamp(0.05 * span, 0.2 * span),
        });
    }
    let in_arm = |p: P| {
        arms.iter()
            .flatten()
            .any(|a| a.locate(p).1 < a.half_width * 1.05)
    };

    // Torso rows: the run around the joints' centre line, stopped where an arm begins outside
    // the joints' lines.
    let t_of = |y: f32| ((y - sh_mid[1]) / torso_len).clamp(0.0, 1.3);
    let torso_row = |y: usize| -> Option<(f32, f32)> {
        let t = t_of(y as f32).min(1.0);
        let c = lerp(sh_mid[0], hip_mid[0], t).round();
        if c < 0.0 || !mask.get(c as usize, y) {
            return None;
        }
        let (core_l, core_r) = (lerp(sh[0][0], hip[0][0], t), lerp(sh[1][0], hip[1][0], t));
        let c = c as usize;
        let (mut l, mut r) = (c, c);
        while l > 0
            && mask.get(l - 1, y)
            && !((l - 1) as f32 <= core_l && in_arm([(l - 1) as f32, y as f32]))
        {
            l -= 1;
        }
        while r + 1 < w
            && mask.get(r + 1, y)
            && !((r + 1) as f32 >= core_r && in_arm([(r + 1) as f32, y as f32]))
        {
            r += 1;
        }
        Some((l as f32, r as f32))
    };
    let armpit_y = sh_mid[1] + ARMPIT * torso_len;
    let knee_mid = mid(j.knees[0].p, j.knees[1].p);
    let legs_chain = |k: usize| [hip[k], j.knees[k].p, j.ankles[k].p];
    let crotch_y = {
        let (a, b) = (
            hip_mid[1].max(0.0) as usize,
            lerp(hip_mid[1], knee_mid[1], 0.6) as usize,
        );
        (a..b.min(h)).find(|&y| {
            let c = (chain_x(&legs_chain(0), y as f32) + chain_x(&legs_chain(1), y as f32)) * 0.5;
            c >= 0.0 && !mask.get(c.round() as usize, y)
        })
    };
    let torso_end = crotch_y
        .map_or(hip_mid[1] + 0.35 * torso_len, |c| c as f32)
        .min((h - 1) as f32);
    let mut torso = vec![None; h];
    let start = armpit_y.round().max(0.0) as usize;
    let mut rows: Vec<(usize, f32)> = Vec::new();
    let end = (torso_end.max(0.0) as usize).min(h - 1);
    for (y, slot) in torso.iter_mut().enumerate().take(end + 1).skip(start) {
        if let Some((l, r)) = torso_row(y) {
            *slot = Some((l, r));
            rows.push((y, r - l));
        }
    }
    for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
        let y = armpit_y.round().max(0.0) as usize;
        match torso.get(y).copied().flatten() {
            Some((l, r)) => set(
                &mut marks,
                5 + k,
                [if k == 0 { l } else { r }, y as f32],
                Source::Measured,
                0.8 * j.shoulders[k].vis,
            ),
            None => set(
                &mut marks,
                5 + k,
                [sh[k][0] - side * 0.08 * span, armpit_y],
                Source::Proportion,
                0.35,
            ),
        }
    }
    let within = |a: f32, b: f32| -> Vec<(usize, f32)> {
        let (ya, yb) = (sh_mid[1] + a * torso_len, sh_mid[1] + b * torso_len);
        rows.iter()
            .copied()
            .filter(|r| (r.0 as f32) >= ya && (r.0 as f32) <= yb)
            .collect()
    };
    let hip_vis = j.hips[0].vis.min(j.hips[1].vis);
    let waist = extreme_row(&within(0.45, 0.68), false);
    let hips = extreme_row(&within(0.85, 1.08), true);
    let hip_span = dist(hip[0], hip[1]).max(1.0);
    for (i, row, fallback_y) in [
        (7, waist, sh_mid[1] + 0.62 * torso_len),
        (9, hips, hip_mid[1]),
    ] {
        match row.and_then(|y| torso[y].map(|t| (y, t))) {
            Some((y, (l, r))) => {
                set(
                    &mut marks,
                    i,
                    [l, y as f32],
                    Source::Measured,
                    0.75 * hip_vis.max(0.3),
                );
                set(
                    &mut marks,
                    i + 1,
                    [r, y as f32],
                    Source::Measured,
                    0.75 * hip_vis.max(0.3),
                );
            }
            None => {
                let c = lerp(sh_mid[0], hip_mid[0], t_of(fallback_y));
                let half = if i == 9 {
                    0.5 * hip_span + HIP_OUT * hip_span
                } else {
                    0.42 * span
                };
                set(
                    &mut marks,
                    i,
                    [c - half, fallback_y],
                    Source::Proportion,
                    0.3,
                );
                set(
                    &mut marks,
                    i + 1,
                    [c + half, fallback_y],
                    Source::Proportion,
                    0.3,
                );
            }
        }
    }

    // Legs: centre along hip → knee → ankle, width from the mask's run.
    let mut legs = [Leg::default(), Leg::default()];
    let foot_y = |k: usize| j.heels[k].p[1].max(j.toes[k].p[1]).max(j.ankles[k].p[1]);
    for (k, leg) in legs.iter_mut().enumerate() {
        let chain = legs_chain(k);
        let other = legs_chain(1 - k);
        let end = foot_y(k).min((h - 1) as f32);
        let mut y = hip_mid[1].max(0.0);
        while y <= end {
            let yi = y as usize;
            let cx = chain_x(&chain, y);
            if let Some(run) = (cx >= 0.0).then(|| mask.run_at(yi, cx)).flatten() {
                let ox = chain_x(&other, y);
                let (mut l, mut r) = (run.left(), run.right());
                if ox > l && ox < r {
                    let split = (cx + ox) * 0.5;
                    if ox > cx {
                        r = split;
                    } else {
                        l = split;
                    }
                }
                let half = ((r - l) * 0.5).clamp(0.02 * span, 0.35 * span);
                leg.samples.push((y, (l + r) * 0.5, half));
            }
            y += 1.0;
        }
    }
    let in_frame = |p: P| p[1] < (h - 2) as f32 && p[0] >= 0.0 && p[0] < w as f32;
    for k in 0..2 {
        if j.knees[k].vis >= SEEN && in_frame(j.knees[k].p) {
            set(
                &mut marks,
                11 + k,
                j.knees[k].p,
                Source::Measured,
                j.knees[k].vis,
            );
        }
        if j.ankles[k].vis >= SEEN && in_frame(j.ankles[k].p) {
            set(
                &mut marks,
                13 + k,
                j.ankles[k].p,
                Source::Measured,
                j.ankles[k].vis,
            );
        }
    }
    let full_body = (0..2)
        .all(|k| j.ankles[k].vis >= SEEN && in_frame(j.ankles[k].p) && foot_y(k) < (h - 2) as f32);
    let ankle_y = (j.ankles[0].p[1] + j.ankles[1].p[1]) * 0.5;
    let figure_height = if full_body {
        foot_y(0).max(foot_y(1)) - head_top[1]
    } else {
        ((ankle_y - head_top[1]) / 0.955).max(2.5 * torso_len)
    };
    Ok(Measured {
        points: marks.points,
        sources: marks.sources,
        confidence: marks.confidence,
        torso,
        neck_half_width,
        head_unit,
        figure_height,
        full_body,
        crotch_y: crotch_y.map(|y| y as f32),
        arms,
        legs,
    })
}

struct Marks {
    points: [Option<P>; 15],
    sources: [Option<Source>; 15],
    confidence: [f32; 15],
}

/// Median colour of the face inside the mesh's outline, between the eyes and the mouth (cheeks,
/// nose; hair and brows excluded).
fn face_colour(person: &RgbaImage, face: &FaceMesh) -> Option<[f32; 3]> {
    let oval = face.oval();
    // Mesh points: 159/386 upper eyelids, 13 upper lip.
    let eye_y = (face.points[159][1] + face.points[386][1]) * 0.5;
    let mouth_y = face.points[13][1];
    let (x0, _, x1, _) = face.bbox();
    let mut channels: [Vec<f32>; 3] = Default::default();
    let (ya, yb) = (eye_y.max(0.0) as u32, mouth_y.max(0.0) as u32);
    let (xa, xb) = (x0.max(0.0) as u32, x1.max(0.0) as u32);
    for y in ya..=yb.min(person.height().saturating_sub(1)) {
        for x in xa..=xb.min(person.width().saturating_sub(1)) {
            if fitview_vision::point_in_polygon(&oval, x as f32, y as f32) {
                let p = person.get_pixel(x, y).0;
                for c in 0..3 {
                    channels[c].push(f32::from(p[c]));
                }
            }
        }
    }
    if channels[0].len() < 20 {
        return None;
    }
    let [r, g, b] = &mut channels;
    Some([median(r)?, median(g)?, median(b)?])
}

/// Median colour between the head's top and the neck, where no face mesh was found.
fn cheek_colour(person: &RgbaImage, body: &Body) -> Option<[f32; 3]> {
    let top = body.landmarks.head_top?;
    let neck = body.landmarks.neck?;
    let unit = body.head_unit;
    let half = body.neck_half_width * 0.6;
    let mut channels: [Vec<f32>; 3] = Default::default();
    let (y0, y1) = ((top[1] + 0.5 * unit) as u32, (top[1] + 0.72 * unit) as u32);
    let (x0, x1) = ((neck[0] - half).max(0.0) as u32, (neck[0] + half) as u32);
    for y in y0..=y1.min(person.height() - 1) {
        for x in x0..=x1.min(person.width() - 1) {
            let p = person.get_pixel(x, y).0;
            for c in 0..3 {
                channels[c].push(f32::from(p[c]));
            }
        }
    }
    let [r, g, b] = &mut channels;
    Some([median(r)?, median(g)?, median(b)?])
}

impl Measured {
    fn into_body(self, mask: Mask, small: RgbaImage, alpha: Vec<u8>, s: f32) -> Body {
        let to_canvas = |p: P| [p[0] * s + 0.5 * (s - 1.0), p[1] * s + 0.5 * (s - 1.0)];
        let mut landmarks = BodyLandmarks::default();
        for ((_, slot), p) in landmarks.points_mut().into_iter().zip(self.points) {
            *slot = p.map(to_canvas);
        }
        let arms = self.arms.map(|a| {
            a.map(|a| Arm {
                chain: a.chain.map(to_canvas),
                half_width: a.half_width * s,
            })
        });
        let legs = self.legs.map(|l| Leg {
            samples: l
                .samples
                .iter()
                .map(|&(y, x, hw)| (y * s + 0.5 * (s - 1.0), x * s + 0.5 * (s - 1.0), hw * s))
                .collect(),
        });
        Body {
            landmarks,
            sources: self.sources,
            confidence: self.confidence,
            grid: (mask.width, mask.height),
            small,
            alpha,
            scale: s,
            mask,
            torso: self.torso,
            neck_half_width: self.neck_half_width * s,
            head_unit: self.head_unit * s,
            figure_height: self.figure_height * s,
            full_body: self.full_body,
            crotch_y: self.crotch_y.map(|y| y * s),
            arms,
            legs,
            skin: None,
        }
    }
}

impl Body {
    /// Torso edges `(left, right)` at canvas row `y`, where the torso was followed.
    pub fn torso_at(&self, y: f32) -> Option<(f32, f32)> {
        let s = self.scale;
        let gy = ((y - 0.5 * (s - 1.0)) / s).round();
        if gy < 0.0 {
            return None;
        }
        let (l, r) = self.torso.get(gy as usize).copied().flatten()?;
        Some((l * s + 0.5 * (s - 1.0), r * s + 0.5 * (s - 1.0)))
    }

    /// The torso edges at `y`, or the nearest followed row's.
    pub fn torso_near(&self, y: f32) -> Option<(f32, f32)> {
        let s = self.scale;
        let gy = ((y / s).round().max(0.0) as usize).min(self.torso.len().saturating_sub(1));
        let below = (gy..self.torso.len()).find_map(|i| self.torso[i].map(|t| (i, t)));
        let above = (0..=gy).rev().find_map(|i| self.torso[i].map(|t| (i, t)));
        let pick = match (above, below) {
            (Some(a), Some(b)) => Some(if gy - a.0 <= b.0 - gy { a.1 } else { b.1 }),
            (a, b) => a.or(b).map(|x| x.1),
        }?;
        Some((pick.0 * s + 0.5 * (s - 1.0), pick.1 * s + 0.5 * (s - 1.0)))
    }

    /// Top of the silhouette in canvas column `x`, searching from canvas row `from_y` down.
    pub fn top_contour(&self, x: f32, from_y: f32) -> Option<f32> {
        let s = self.scale;
        let gx = (x / s).round().max(0.0) as usize;
        let gy = (from_y / s).round().max(0.0) as usize;
        self.mask.column_top(gx, gy).map(|y| y as f32 * s)
    }

    /// Torso centre line at row `y`: the followed torso's middle, else the neck's x.
    pub fn centre_at(&self, y: f32) -> f32 {
        self.torso_near(y)
            .map(|(l, r)| (l + r) * 0.5)
            .or(self.landmarks.neck.map(|n| n[0]))
            .unwrap_or(self.grid.0 as f32 * self.scale * 0.5)
    }

    fn apply_supplied(&mut self, given: &BodyLandmarks) {
        let mut given = *given;
        let given_points: Vec<Option<P>> =
            given.points_mut().into_iter().map(|(_, p)| *p).collect();
        for (i, ((_, slot), g)) in self
            .landmarks
            .points_mut()
            .into_iter()
            .zip(given_points)
            .enumerate()
        {
            if let Some(p) = g {
                *slot = Some(p);
                self.sources[i] = Some(Source::Supplied);
                self.confidence[i] = 1.0;
            }
        }
        if let (Some(top), Some(neck)) = (self.landmarks.head_top, self.landmarks.neck) {
            self.head_unit = (neck[1] - top[1]).max(4.0);
        }
    }

    /// Per-landmark facts and per-group confidence, for the result's metadata.
    pub fn report(&self) -> (Map<String, Value>, Map<String, Value>) {
        let mut points = Map::new();
        let mut lm = self.landmarks;
        for (i, (name, p)) in lm.points_mut().into_iter().enumerate() {
            if let (Some([x, y]), Some(source)) = (*p, self.sources[i]) {
                points.insert(
                    name.to_owned(),
                    json!({
                        "x": round1(x),
                        "y": round1(y),
                        "source": source.as_str(),
                        "confidence": round2(self.confidence[i]),
                    }),
                );
            } else if let Some([x, y]) = *p {
                points.insert(name.to_owned(), json!({ "x": round1(x), "y": round1(y), "source": "supplied", "confidence": 1.0 }));
            }
        }
        let mut groups = Map::new();
        for (group, members) in GROUPS {
            let known: Vec<f32> = members
                .iter()
                .filter(|&&i| self.sources[i].is_some())
                .map(|&i| self.confidence[i])
                .collect();
            let value = if known.is_empty() {
                0.0
            } else {
                known.iter().copied().fold(f32::MAX, f32::min)
            };
            groups.insert(group.to_owned(), json!(round2(value)));
        }
        debug_assert_eq!(NAMES.len(), 15);
        (points, groups)
    }

    /// Names of landmarks supplied by the retailer.
    pub fn supplied_names(&self) -> Vec<&'static str> {
        NAMES
            .iter()
            .zip(&self.sources)
            .filter(|(_, s)| **s == Some(Source::Supplied))
            .map(|(n, _)| *n)
            .collect()
    }
}

fn round1(v: f32) -> f64 {
    (f64::from(v) * 10.0).round() / 10.0
}

fn round2(v: f32) -> f64 {
    (f64::from(v) * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    #[test]
    fn arms_are_found_on_every_fixture_person() {
        let vision = Vision::global().unwrap();
        for spec in fitview_fixtures::person_specs() {
            let path = format!(
                "{}/../../fixtures/persons/{}.jpg",
                env!("CARGO_MANIFEST_DIR"),
                spec.id
            );
            let prepared = crate::pipeline::prepare_person(
                &std::fs::read(path).unwrap(),
                &Limits::default(),
                (1024, 1024),
                None,
            )
            .unwrap();
            let body = analyse(vision, &prepared.canvas, None).unwrap();
            for (k, arm) in body.arms.iter().enumerate() {
                let arm = arm.unwrap_or_else(|| panic!("{}: arm {k} not found", spec.id));
                // Hanging arms, a little outward, the wrists below the waist.
                let [s, _, wrist, _] = arm.chain;
                let side = if k == 0 { -1.0 } else { 1.0 };
                let waist = body.landmarks.waist_left.unwrap();
                assert!((wrist[0] - s[0]) * side > 0.0, "{}: {arm:?}", spec.id);
                assert!(wrist[1] > waist[1], "{}: {arm:?} waist {waist:?}", spec.id);
            }
        }
    }

    #[test]
    fn an_arm_chain_locates_points_along_it() {
        let arm = Arm {
            chain: [[0.0, 0.0], [0.0, 10.0], [10.0, 10.0], [10.0, 14.0]],
            half_width: 2.0,
        };
        assert_eq!(arm.length_to(3), 24.0);
        assert_eq!(arm.wrist(), 20.0);
        let (t, d) = arm.locate([5.0, 11.0]);
        assert!((t - 15.0).abs() < 1e-4 && (d - 1.0).abs() < 1e-4, "{t} {d}");
        let (p, dir) = arm.at(12.0);
        assert_eq!(p, [2.0, 10.0]);
        assert_eq!(dir, [1.0, 0.0]);
    }
}
