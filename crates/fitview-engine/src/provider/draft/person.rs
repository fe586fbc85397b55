//! Person analysis: the silhouette on a studio backdrop and body landmarks read from it.
//!
//! The person canvas is halved, cut out of its backdrop with the same matte the pipeline uses for
//! garments (a plain, possibly graded backdrop flood-filled from the border, walled by edges), and
//! the largest foreground component is taken as the person, less the backdrop pockets the matte
//! gave back to it (see `drop_backdrop_pockets`). Landmarks come from the silhouette's row runs,
//! top to bottom:
//!
//! - the head is the first widening, the neck the narrowest rows under it, its base the last
//!   narrow row before the shoulders spread;
//! - each shoulder is the silhouette point furthest out along the 45° diagonal (the top-outer
//!   corner of the deltoid), which is where retailers and the fixtures put it;
//! - armpits are where the torso's sides, followed upwards from mid-torso, jump outwards into
//!   the arms; the torso's edges are followed down from there, ignoring arms and hands that touch;
//! - the waist is the narrowest and the hips the widest torso row in their stretch; the crotch is
//!   where the centre line leaves the silhouette; legs are tracked run by run down to the soles;
//! - knees and ankles are placed on the tracked legs by proportion (a silhouette shows no joint).
//!
//! Distances are judged against the head unit (head top to neck base), so the rules hold at any
//! scale. Anything not found falls back to proportions and says so, with a low confidence.

use image::RgbaImage;
use serde_json::{Map, Value, json};

use super::silhouette::{Mask, P, Run, lerp, median, side_junctions};
use crate::error::{Error, Result};
use crate::landmarks::BodyLandmarks;
use crate::pipeline::matte::estimate_backdrop;
use crate::pipeline::matte_garment;

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

/// One arm as seen in the silhouette: its axis and where it ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arm {
    /// A point on the arm's axis near the shoulder (canvas pixels).
    pub origin: P,
    /// Unit direction down the arm.
    pub dir: P,
    /// Half the arm's width.
    pub half_width: f32,
    /// Distance along the axis from `origin` to the fingertips.
    pub length: f32,
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
        "person photo: {why}; the draft provider needs one person, head to at least the hips, on a plain studio backdrop"
    ))
}

/// Segments the person and estimates body landmarks; `supplied` points replace estimates.
pub(crate) fn analyse(person: &RgbaImage, supplied: Option<&BodyLandmarks>) -> Result<Body> {
    let factor = if person.width() >= 256 && person.height() >= 256 {
        2
    } else {
        1
    };
    let small = downsample(person, factor);
    let matted = matte_garment(&small).map_err(|e| match e {
        Error::InvalidInput { reason }
            if reason.contains("backdrop") && !reason.contains("only") =>
        {
            no_person("the background is not a plain studio backdrop")
        }
        Error::InvalidInput { .. } => no_person("no person found in front of the backdrop"),
        other => other,
    })?;
    let (w, h) = (small.width() as usize, small.height() as usize);
    let mut alpha: Vec<u8> = matted.pixels().map(|p| p.0[3]).collect();
    if let Some(backdrop) = estimate_backdrop(&small) {
        drop_backdrop_pockets(&small, &mut alpha, backdrop);
    }
    let mut mask = Mask::from_alpha(&alpha, w, h, 128);
    let area = mask.keep_largest_component();
    let Some((x0, y0, x1, y1)) = mask.bbox() else {
        return Err(no_person("no person found in front of the backdrop"));
    };
    let frac = area as f32 / (w * h) as f32;
    if !(0.015..=0.75).contains(&frac) || (y1 - y0) < h * 3 / 10 || (x0 == 0 && x1 + 1 == w) {
        return Err(no_person(
            "no person-shaped figure found against the backdrop",
        ));
    }
    let alpha = alpha
        .iter()
        .zip(&mask.data)
        .map(|(&a, &keep)| if keep { a } else { 0 })
        .collect();
    let measured = measure(&mask)
        .ok_or_else(|| no_person("no head, neck and shoulders found in the silhouette"))?;
    let s = factor as f32;
    let mut body = measured.into_body(mask, small, alpha, s);
    body.skin = face_colour(person, &body);
    if let Some(given) = supplied {
        body.apply_supplied(given);
    }
    Ok(body)
}

/// Largest step between 4-neighbours (any channel) that still continues the backdrop: above
/// the noise of a smooth studio sweep, well below the step at a body's outline.
const BACKDROP_STEP: i32 = 8;

/// Whether `p` could be the backdrop `backdrop`, lit as the sweep lights it or in a floor
/// shadow: the same chromaticity, between half and a little more than its brightness.
fn backdrop_coloured(p: [u8; 4], backdrop: [u8; 3]) -> bool {
    let sum = |c: [f32; 3]| c[0] + c[1] + c[2] + 1.0;
    let c = [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])];
    let b = backdrop.map(f32::from);
    let (sc, sb) = (sum(c), sum(b));
    let chroma = (c[0] / sc - b[0] / sb).abs() + (c[1] / sc - b[1] / sb).abs();
    chroma < 0.03 && (0.5..=1.12).contains(&(sc / sb))
}

/// Makes transparent the parts of the matte's foreground that continue the backdrop with no
/// edge: the matte gives back to the foreground backdrop-reached parts that its closed outline
/// encloses when their colour differs from its backdrop model, and a vignette or a floor shadow
/// makes the narrow gaps between an arm and the body or between trouser legs differ from that
/// model. Spread from the backdrop through backdrop-coloured pixels, by steps no larger than
/// the sweep's own, those gaps are reached; the body's outline, an edge, is never crossed.
fn drop_backdrop_pockets(img: &RgbaImage, alpha: &mut [u8], backdrop: [u8; 3]) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let px = img.as_raw();
    let colour = |i: usize| [px[4 * i], px[4 * i + 1], px[4 * i + 2], 255];
    let step = |i: usize, j: usize| {
        (0..3)
            .map(|c| (i32::from(px[4 * i + c]) - i32::from(px[4 * j + c])).abs())
            .max()
            .unwrap_or(0)
    };
    let mut backdrop_px: Vec<bool> = alpha.iter().map(|&a| a < 128).collect();
    let mut queue: std::collections::VecDeque<usize> =
        (0..w * h).filter(|&i| backdrop_px[i]).collect();
    while let Some(i) = queue.pop_front() {
        let (x, y) = (i % w, i / w);
        let neighbours = [
            (x > 0).then(|| i - 1),
            (x + 1 < w).then(|| i + 1),
            (y > 0).then(|| i - w),
            (y + 1 < h).then(|| i + w),
        ];
        for j in neighbours.into_iter().flatten() {
            if !backdrop_px[j]
                && step(i, j) <= BACKDROP_STEP
                && backdrop_coloured(colour(j), backdrop)
            {
                backdrop_px[j] = true;
                alpha[j] = 0;
                queue.push_back(j);
            }
        }
    }
}

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

struct Marks {
    points: [Option<P>; 15],
    sources: [Option<Source>; 15],
    confidence: [f32; 15],
}

/// Runs of a row with the one under (or nearest to) `x`.
fn nearest_run(runs: &[Run], x: f32) -> Option<Run> {
    runs.iter()
        .copied()
        .min_by(|a, b| run_distance(*a, x).total_cmp(&run_distance(*b, x)))
}

fn run_distance(run: Run, x: f32) -> f32 {
    if x < run.left() {
        run.left() - x
    } else if x > run.right() {
        x - run.right()
    } else {
        0.0
    }
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

fn measure(mask: &Mask) -> Option<Measured> {
    let (w, h) = (mask.width, mask.height);
    let (y_top, y_bot) = mask.row_extent()?;
    let mut runs = Vec::new();

    // Head, neck and the start of the shoulders, following the run under the head's centre.
    mask.runs_into(y_top, &mut runs);
    let mut c = nearest_run(&runs, w as f32 * 0.5)?.centre();
    let head_top = [c, y_top as f32];
    let mut widths: Vec<(usize, f32, f32)> = Vec::new();
    let (mut wmax, mut wneck): (f32, f32) = (0.0, f32::MAX);
    let mut in_neck = false;
    let mut shoulders_row = None;
    for y in y_top..=y_bot {
        mask.runs_into(y, &mut runs);
        let run = nearest_run(&runs, c)?;
        if run_distance(run, c) > run.width() {
            return None;
        }
        let width = run.width();
        widths.push((y, width, run.centre()));
        if !in_neck {
            wmax = wmax.max(width);
            in_neck = y > y_top + 3 && wmax >= 6.0 && width < 0.8 * wmax;
            c = run.centre();
        } else {
            wneck = wneck.min(width);
            if width > 2.0 * wneck.max(2.0) {
                shoulders_row = Some(widths.len() - 1);
                break;
            }
            c = run.centre();
        }
    }
    let shoulders_row = shoulders_row?;
    let neck_index = (0..shoulders_row)
        .rev()
        .find(|&i| widths[i].1 <= 1.15 * wneck)?;
    let (neck_y, _, neck_x) = widths[neck_index];
    let neck_y = neck_y as f32;
    let neck = [neck_x, neck_y];
    let head_unit = neck_y - y_top as f32;
    if head_unit < 8.0 || neck_y as usize + 2 >= y_bot {
        return None;
    }

    // Shoulders: the outermost point along each upper diagonal.
    let mut left_sh: Option<(f32, P)> = None;
    let mut right_sh: Option<(f32, P)> = None;
    let sh_end = ((neck_y + 0.7 * head_unit) as usize).min(y_bot);
    for y in neck_y as usize..=sh_end {
        mask.runs_into(y, &mut runs);
        let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
            continue;
        };
        let yf = y as f32;
        let l = [first.left(), yf];
        let r = [last.right(), yf];
        if left_sh.is_none_or(|(s, _)| -l[0] - yf > s) {
            left_sh = Some((-l[0] - yf, l));
        }
        if right_sh.is_none_or(|(s, _)| r[0] - yf > s) {
            right_sh = Some((r[0] - yf, r));
        }
    }
    let (left_sh, right_sh) = (left_sh?.1, right_sh?.1);
    let span = right_sh[0] - left_sh[0];
    if span < 2.5 * wneck {
        return None;
    }

    let mut marks = Marks {
        points: [None; 15],
        sources: [None; 15],
        confidence: [0.0; 15],
    };
    let set = |m: &mut Marks, i: usize, p: P, source: Source, conf: f32| {
        m.points[i] = Some(p);
        m.sources[i] = Some(source);
        m.confidence[i] = conf;
    };
    set(&mut marks, 0, head_top, Source::Measured, 0.95);
    set(
        &mut marks,
        1,
        [neck_x, neck_y - 0.19 * head_unit],
        Source::Proportion,
        0.3,
    );
    set(&mut marks, 2, neck, Source::Measured, 0.85);
    let plausible = if (0.9..=2.2).contains(&(span / head_unit)) {
        1.0
    } else {
        0.6
    };
    let level = if (left_sh[1] - right_sh[1]).abs() < 0.12 * span {
        1.0
    } else {
        0.7
    };
    set(
        &mut marks,
        3,
        left_sh,
        Source::Measured,
        0.85 * plausible * level,
    );
    set(
        &mut marks,
        4,
        right_sh,
        Source::Measured,
        0.85 * plausible * level,
    );

    // Armpits, where the torso's sides followed upwards meet the arms.
    let mid_y = ((neck_y + 0.9 * head_unit) as usize).min(y_bot);
    let separated = mask
        .run_at(mid_y, neck_x)
        .is_some_and(|r| r.width() < 0.9 * span);
    let found = if separated {
        side_junctions(mask, mid_y, neck_y as usize, neck_x)
    } else {
        [None, None]
    };
    let fallback = |sh: P, side: f32| [sh[0] - side * 0.155 * span, sh[1] + 0.29 * span];
    for (k, (sh, side)) in [(left_sh, -1.0), (right_sh, 1.0)].into_iter().enumerate() {
        match found[k] {
            Some(p) if p[1] > sh[1] => set(&mut marks, 5 + k, p, Source::Measured, 0.8),
            _ => set(
                &mut marks,
                5 + k,
                fallback(sh, side),
                Source::Proportion,
                0.35,
            ),
        }
    }
    let armpit_y = marks.points[5]
        .zip(marks.points[6])
        .map_or(mid_y as f32, |(a, b)| a[1].max(b[1]));

    // Torso edges from the armpits down to the crotch (or the frame).
    let mut torso = vec![None; h];
    let start = (armpit_y.round() as usize).min(y_bot);
    let mut centre = neck_x;
    let mut prev: Option<(f32, f32)> = None;
    let mut crotch_y = None;
    let mut torso_rows: Vec<(usize, f32)> = Vec::new();
    for (y, slot) in torso.iter_mut().enumerate().take(y_bot + 1).skip(start) {
        let Some(run) = mask.run_at(y, centre) else {
            crotch_y = Some(y as f32);
            break;
        };
        let (mut l, mut r) = (run.left(), run.right());
        if let Some((pl, pr)) = prev {
            let jump = (0.06 * (pr - pl)).max(2.5);
            if l < pl - jump {
                l = pl;
            }
            if r > pr + jump {
                r = pr;
            }
        }
        prev = Some((l, r));
        *slot = Some((l, r));
        torso_rows.push((y, r - l));
        centre = (l + r) * 0.5;
    }

    // Waist (narrowest) and hips (widest) in their stretches.
    let waist_lo = armpit_y + 0.3 * head_unit;
    let waist_hi = (neck_y + 1.6 * head_unit).min(crotch_y.unwrap_or(f32::MAX) - 1.0);
    let waist_rows: Vec<(usize, f32)> = torso_rows
        .iter()
        .copied()
        .filter(|r| (waist_lo..=waist_hi).contains(&(r.0 as f32)))
        .collect();
    let waist_y = extreme_row(&waist_rows, false)?;
    let hip_hi = (waist_y as f32 + 0.9 * head_unit).min(crotch_y.unwrap_or(f32::MAX) - 1.0);
    let hip_rows: Vec<(usize, f32)> = torso_rows
        .iter()
        .copied()
        .filter(|r| r.0 >= waist_y && (r.0 as f32) <= hip_hi)
        .collect();
    let hip_y = extreme_row(&hip_rows, true)?;
    let torso_conf = if waist_rows.len() > 4 { 0.7 } else { 0.4 };
    let (wl, wr) = torso[waist_y]?;
    set(
        &mut marks,
        7,
        [wl, waist_y as f32],
        Source::Measured,
        torso_conf,
    );
    set(
        &mut marks,
        8,
        [wr, waist_y as f32],
        Source::Measured,
        torso_conf,
    );
    let (hl, hr) = torso[hip_y]?;
    let hip_conf = if hip_y as f32 >= hip_hi - 1.0 && crotch_y.is_none() {
        0.4
    } else {
        torso_conf
    };
    set(
        &mut marks,
        9,
        [hl, hip_y as f32],
        Source::Measured,
        hip_conf,
    );
    set(
        &mut marks,
        10,
        [hr, hip_y as f32],
        Source::Measured,
        hip_conf,
    );

    // Legs, tracked run by run from the crotch down.
    let mut legs = [Leg::default(), Leg::default()];
    let mut leg_ends = [None, None];
    if let Some(cy) = crotch_y {
        let centre = torso[(cy as usize).saturating_sub(1)].map_or(neck_x, |(l, r)| (l + r) * 0.5);
        // A foot narrower than the trouser leg above it, set off-centre, or a row or two lost to
        // the matte between hem and foot must not end the leg: the track continues with any run
        // overlapping the last one, across a short gap.
        let max_gap = (0.12 * head_unit).max(2.0) as usize;
        for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
            let mut track: Option<Run> = None;
            let mut missed = 0;
            for y in cy as usize..=y_bot {
                mask.runs_into(y, &mut runs);
                let candidate = match track {
                    None => runs
                        .iter()
                        .copied()
                        .filter(|r| (r.centre() - centre) * side > 0.0)
                        .min_by(|a, b| {
                            (a.centre() - centre)
                                .abs()
                                .total_cmp(&(b.centre() - centre).abs())
                        }),
                    Some(t) => runs
                        .iter()
                        .copied()
                        .filter(|r| r.start <= t.end + 2 && r.end + 2 >= t.start)
                        .min_by(|a, b| {
                            (a.centre() - t.centre())
                                .abs()
                                .total_cmp(&(b.centre() - t.centre()).abs())
                        }),
                };
                let Some(run) = candidate else {
                    if track.is_none() || missed >= max_gap {
                        break;
                    }
                    missed += 1;
                    continue;
                };
                missed = 0;
                track = Some(run);
                legs[k]
                    .samples
                    .push((y as f32, run.centre(), run.width() * 0.5));
                leg_ends[k] = Some(y as f32);
            }
        }
    }
    let full_body = y_bot + 4 <= h
        && leg_ends
            .iter()
            .all(|e| e.is_some_and(|y| y + 3.0 >= y_bot as f32))
        && legs
            .iter()
            .all(|l| l.samples.len() as f32 > 1.5 * head_unit);
    let figure_height = if full_body {
        y_bot as f32 - y_top as f32
    } else {
        head_unit / 0.163
    };
    if full_body {
        let sole = y_bot as f32;
        let ankle_y = sole - 0.045 * figure_height;
        let knee_y = hip_y as f32 + 0.48 * (ankle_y - hip_y as f32);
        for (k, leg) in legs.iter().enumerate() {
            if let (Some((kx, _)), Some((ax, _))) = (leg.at(knee_y), leg.at(ankle_y)) {
                set(&mut marks, 11 + k, [kx, knee_y], Source::Measured, 0.55);
                set(&mut marks, 13 + k, [ax, ankle_y], Source::Measured, 0.65);
            }
        }
    }

    // Arms: the run beside the torso, tracked down to the fingertips.
    let mut arms = [None, None];
    for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
        let Some(pit) = marks.points[5 + k] else {
            continue;
        };
        let mut samples: Vec<(f32, f32, f32)> = Vec::new();
        let mut track: Option<f32> = None;
        for y in (pit[1] as usize + 1)..=y_bot {
            mask.runs_into(y, &mut runs);
            let candidate = match (track, torso.get(y).copied().flatten()) {
                (None, Some((l, r))) => {
                    let edge = if side < 0.0 { l } else { r };
                    runs.iter()
                        .copied()
                        .filter(|run| {
                            (run.centre() - edge) * side > 0.0 && run_distance(*run, edge) > 0.5
                        })
                        .min_by(|a, b| run_distance(*a, edge).total_cmp(&run_distance(*b, edge)))
                }
                (None, None) => None,
                // Follow the same arm: near its last centre and no wider than it was (a hand
                // ending beside a thigh must not hand the track over to the leg).
                (Some(t), _) => {
                    let width = samples.last().map_or(f32::MAX, |s| 2.0 * s.2);
                    nearest_run(&runs, t).filter(|r| {
                        run_distance(*r, t) < 0.5 * width.min(r.width()) + 2.0
                            && r.width() <= 1.5 * width + 3.0
                    })
                }
            };
            let Some(run) = candidate else {
                if track.is_some() {
                    break;
                }
                continue;
            };
            track = Some(run.centre());
            samples.push((y as f32, run.centre(), run.width() * 0.5));
        }
        arms[k] = fit_arm(&samples, side, marks.points[3 + k]?);
    }

    Some(Measured {
        points: marks.points,
        sources: marks.sources,
        confidence: marks.confidence,
        torso,
        neck_half_width: wneck * 0.5,
        head_unit,
        figure_height,
        full_body,
        crotch_y,
        arms,
        legs,
    })
}

/// Fits the arm's axis to the run centres of its upper 60% (upper arm and forearm are nearly in
/// line when arms hang); the axis starts level with the shoulder.
fn fit_arm(samples: &[(f32, f32, f32)], side: f32, shoulder: P) -> Option<Arm> {
    if samples.len() < 6 {
        return None;
    }
    let upper = &samples[..(samples.len() * 3 / 5).max(4)];
    let n = upper.len() as f32;
    let my = upper.iter().map(|s| s.0).sum::<f32>() / n;
    let mx = upper.iter().map(|s| s.1).sum::<f32>() / n;
    let syy: f32 = upper.iter().map(|s| (s.0 - my).powi(2)).sum();
    let sxy: f32 = upper.iter().map(|s| (s.0 - my) * (s.1 - mx)).sum();
    let slope = if syy > 1e-3 { sxy / syy } else { 0.0 };
    // Hanging arms only: a raised or crossed arm is outside what this provider handles.
    if !(slope * side > -0.2 && slope * side < 1.2) {
        return None;
    }
    let origin = [mx + slope * (shoulder[1] - my), shoulder[1]];
    let norm = (1.0 + slope * slope).sqrt();
    let dir = [slope / norm, 1.0 / norm];
    let last = samples.last()?;
    let length = (last.0 - shoulder[1]) * norm;
    let mut widths: Vec<f32> = upper.iter().map(|s| s.2).collect();
    let half_width = median(&mut widths)?;
    Some(Arm {
        origin,
        dir,
        half_width,
        length,
    })
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
                origin: to_canvas(a.origin),
                dir: a.dir,
                half_width: a.half_width * s,
                length: a.length * s,
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

/// Median colour of the middle of the face, between the hairline and the chin.
fn face_colour(person: &RgbaImage, body: &Body) -> Option<[f32; 3]> {
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
    fn backdrop_pockets_are_dropped_but_not_the_body_beside_them() {
        // A backdrop with a soft gradient; a dark body (columns 8..16) and a skin-coloured arm
        // (columns 24..28); between them a pocket the matte marked opaque, continuing the
        // backdrop with no edge.
        let (w, h) = (32u32, 20u32);
        let img = RgbaImage::from_fn(w, h, |x, y| {
            let bg = (226 + (x + y) / 8) as u8;
            match x {
                8..16 => image::Rgba([60, 50, 48, 255]),
                24..28 => image::Rgba([220, 170, 130, 255]),
                _ => image::Rgba([bg, bg, bg.saturating_sub(2), 255]),
            }
        });
        let mut alpha: Vec<u8> = (0..w * h)
            .map(|i| {
                if (8..28).contains(&(i % w)) && i / w < 14 {
                    255
                } else {
                    0
                }
            })
            .collect();
        drop_backdrop_pockets(&img, &mut alpha, [230, 230, 228]);
        let at = |x: u32, y: u32| alpha[(y * w + x) as usize];
        assert_eq!(at(20, 5), 0, "the pocket between body and arm is backdrop");
        assert_eq!(at(10, 5), 255, "the body stays");
        assert_eq!(at(25, 5), 255, "the light arm stays");
    }

    #[test]
    fn arms_are_found_on_every_fixture_person() {
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
            let body = analyse(&prepared.canvas, None).unwrap();
            for (k, arm) in body.arms.iter().enumerate() {
                let arm = arm.unwrap_or_else(|| panic!("{}: arm {k} not found", spec.id));
                // Hanging arms, a little outward, reaching at least the hips.
                let side = if k == 0 { -1.0 } else { 1.0 };
                assert!(
                    arm.dir[0] * side > 0.05 && arm.dir[0] * side < 0.4,
                    "{}: {arm:?}",
                    spec.id
                );
                assert!(arm.length > 2.0 * body.head_unit, "{}: {arm:?}", spec.id);
            }
        }
    }
}
