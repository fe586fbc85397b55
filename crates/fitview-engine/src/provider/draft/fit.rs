//! The fit: where each garment landmark goes on the body, per category.
//!
//! The garment is scaled by a body measure it must match (shoulder span for tops, waist for
//! bottoms and strap dresses), which gives its natural size on this body; then its corners are
//! pinned to the body with a little ease:
//!
//! - **top**: neckline beside the neck, shoulder seams on the shoulders, underarms at the armpits,
//!   the sides at the waist and hips no narrower than the body (and the middle with them), the
//!   hem at its natural length but between the hips and a little below them, sleeves turned down
//!   along the arms, their openings falling around the arm, ending before the hands. A kurta is a
//!   long top whose hem may reach the knees.
//! - **bottom**: the waistband between waist and hips, trouser legs along the legs to the ankles
//!   (or to their natural length when shorter, like shorts), a skirt's hem at its natural length.
//!   A flat lay shows half the waist's circumference, wider than the body's front view of it, so
//!   a bottom's length is scaled [`WRAP`] times more than its width.
//! - **one-piece**: neckline and straps (or sleeves) as a top, the waist at the waist, the skirt
//!   at its natural length, no lower than the ankles.
//!
//! Widths never go below the body's so the old garment is covered; vertical and horizontal scales
//! stay within [`MAX_ANISOTROPY`] of each other so prints stay recognisable.

use super::garment::GarmentShape;
use super::person::{Arm, Body};
use super::silhouette::{P, dist, lerp};
use crate::error::{Error, Result};
use crate::request::GarmentCategory;

/// Widest ratio allowed between a garment part's vertical and horizontal scale.
const MAX_ANISOTROPY: f32 = 1.35;
/// Extra width over the body where a garment hugs it.
const EASE: f32 = 1.06;
/// A flat lay shows half a waistband's circumference; a body seen from the front shows the
/// waist's width, about this much less (an ellipse of aspect 0.7). Bottoms are scaled across by
/// the body's width but along their length by this much more, or trousers come out as shorts.
const WRAP: f32 = 1.3;
/// Trousers whose natural length reaches this share of the way from the waistband to the feet
/// are full length: their legs end at the feet.
const FULL_LENGTH: f32 = 0.7;
/// Trousers whose leg (waistband to opening) is at least this many times their flat waist's
/// width are full length (the fixture jeans are 1.8, slim jeans up to 2.8; shorts about 1).
const LONG_LEGS: f32 = 1.5;

/// Control points and drawing rules for one garment on one body.
#[derive(Debug, Clone)]
pub(crate) struct Fit {
    /// Points on the person (canvas pixels)…
    pub targets: Vec<P>,
    /// …and the garment points that go there (garment-canvas pixels).
    pub sources: Vec<P>,
    /// Rows at and below which the garment may hang free of the silhouette (skirts).
    pub free_below: f32,
    /// Whether anything above `free_below` is clipped to the silhouette's neighbourhood.
    pub clip_to_body: bool,
    /// Rows below which the garment's body (not its sleeves) stays within the torso's edges.
    pub torso_band_from: Option<f32>,
    /// Output rectangle `(x0, y0, x1, y1)` the garment may cover.
    pub bounds: (f32, f32, f32, f32),
    /// Body region whose old clothes this garment replaces.
    pub replaces: Replaces,
}

/// Which of the person's old clothes a garment replaces, so what it leaves uncovered is bared.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replaces {
    /// Sleeves on the arms.
    pub arms: bool,
    /// Torso rows `(from, to)`.
    pub torso: Option<(f32, f32)>,
    /// Everything from this row down (legs, except hands).
    pub legs_from: Option<f32>,
}

fn missing(what: &str) -> Error {
    Error::internal(format!("draft fit: no {what} landmark"))
}

/// Body measures every fit uses.
struct Frame<'a> {
    body: &'a Body,
    neck: P,
    shoulders: [P; 2],
    armpits: [P; 2],
    waist: [P; 2],
    hips: [P; 2],
    unit: f32,
}

impl<'a> Frame<'a> {
    fn new(body: &'a Body) -> Result<Self> {
        let lm = &body.landmarks;
        Ok(Frame {
            body,
            neck: lm.neck.ok_or_else(|| missing("neck"))?,
            shoulders: [
                lm.left_shoulder.ok_or_else(|| missing("left shoulder"))?,
                lm.right_shoulder.ok_or_else(|| missing("right shoulder"))?,
            ],
            armpits: [
                lm.left_armpit.ok_or_else(|| missing("left armpit"))?,
                lm.right_armpit.ok_or_else(|| missing("right armpit"))?,
            ],
            waist: [
                lm.waist_left.ok_or_else(|| missing("waist"))?,
                lm.waist_right.ok_or_else(|| missing("waist"))?,
            ],
            hips: [
                lm.hip_left.ok_or_else(|| missing("hip"))?,
                lm.hip_right.ok_or_else(|| missing("hip"))?,
            ],
            unit: body.head_unit.max(8.0),
        })
    }

    fn waist_y(&self) -> f32 {
        (self.waist[0][1] + self.waist[1][1]) * 0.5
    }

    fn hip_y(&self) -> f32 {
        (self.hips[0][1] + self.hips[1][1]) * 0.5
    }

    fn hip_half(&self) -> f32 {
        (self.hips[1][0] - self.hips[0][0]) * 0.5
    }

    fn head_top_y(&self) -> f32 {
        self.body
            .landmarks
            .head_top
            .map_or(self.neck[1] - self.unit, |p| p[1])
    }

    /// Ankle `k` (0 left, 1 right): given, or placed by proportion below the frame.
    fn ankle(&self, k: usize) -> P {
        let lm = &self.body.landmarks;
        if let Some(p) = [lm.left_ankle, lm.right_ankle][k] {
            return p;
        }
        let side = if k == 0 { -1.0 } else { 1.0 };
        let c = (self.hips[0][0] + self.hips[1][0]) * 0.5;
        [
            c + side * 0.45 * self.hip_half(),
            self.head_top_y() + 0.955 * self.body.figure_height,
        ]
    }

    fn knee_y(&self) -> f32 {
        let lm = &self.body.landmarks;
        match (lm.left_knee, lm.right_knee) {
            (Some(a), Some(b)) => (a[1] + b[1]) * 0.5,
            _ => {
                let ankle = (self.ankle(0)[1] + self.ankle(1)[1]) * 0.5;
                self.hip_y() + 0.48 * (ankle - self.hip_y())
            }
        }
    }

    /// Where the feet start: trousers end here.
    fn foot_y(&self) -> f32 {
        self.ankle(0)[1].max(self.ankle(1)[1]) + 0.02 * self.body.figure_height
    }

    /// The body's outer edges at row `y`: torso, else legs, else the nearest torso row.
    fn extent(&self, y: f32) -> (f32, f32) {
        if let Some(t) = self.body.torso_at(y) {
            return t;
        }
        let legs: Vec<(f32, f32)> = self.body.legs.iter().filter_map(|l| l.at(y)).collect();
        if legs.len() == 2
            && self
                .body
                .legs
                .iter()
                .all(|l| l.samples.last().is_some_and(|s| s.0 >= y))
        {
            let l = legs.iter().map(|(c, h)| c - h).fold(f32::MAX, f32::min);
            let r = legs.iter().map(|(c, h)| c + h).fold(f32::MIN, f32::max);
            return (l, r);
        }
        self.body
            .torso_near(y)
            .unwrap_or((self.hips[0][0], self.hips[1][0]))
    }

    /// Centre and half width of leg `k` at row `y`: tracked, or between hip and ankle.
    fn leg(&self, k: usize, y: f32) -> (f32, f32) {
        let leg = &self.body.legs[k];
        let tracked = leg.samples.first().is_some_and(|s| s.0 <= y)
            && leg.samples.last().is_some_and(|s| s.0 >= y);
        if tracked && let Some(v) = leg.at(y) {
            return v;
        }
        let side = if k == 0 { -1.0 } else { 1.0 };
        let c = (self.hips[0][0] + self.hips[1][0]) * 0.5;
        let hip_c = c + side * 0.5 * self.hip_half();
        let ankle = self.ankle(k);
        let t = ((y - self.hip_y()) / (ankle[1] - self.hip_y()).max(1.0)).clamp(0.0, 1.2);
        (
            lerp(hip_c, ankle[0], t),
            lerp(0.5 * self.hip_half(), 0.035 * self.body.figure_height, t),
        )
    }

    /// A point on the shoulder line at column `x`: the silhouette's top, never above the neck base.
    fn on_shoulder_line(&self, x: f32) -> P {
        let y = self
            .body
            .top_contour(x, self.neck[1] - 0.05 * self.unit)
            .unwrap_or(self.neck[1]);
        [
            x,
            y.max(self.neck[1])
                .min(self.armpits[0][1].min(self.armpits[1][1])),
        ]
    }

    /// Arm `k`: measured, or hanging a little outward by proportion from the shoulder.
    fn arm(&self, k: usize) -> Arm {
        if let Some(arm) = self.body.arms[k] {
            return arm;
        }
        let side = if k == 0 { -1.0 } else { 1.0 };
        let span = dist(self.shoulders[0], self.shoulders[1]);
        let s = [
            self.shoulders[k][0] - side * 0.07 * span,
            self.shoulders[k][1],
        ];
        let step = 0.16 * self.body.figure_height;
        let along = |t: f32| [s[0] + side * 0.19 * step * t, s[1] + step * t];
        Arm {
            chain: [s, along(1.0), along(2.0), along(2.5)],
            half_width: 0.09 * span,
        }
    }
}

/// Pins `garment` onto `body`.
pub(crate) fn fit(body: &Body, garment: &GarmentShape) -> Result<Fit> {
    let frame = Frame::new(body)?;
    let mut pairs = Pairs::default();
    let plan = match garment.category {
        GarmentCategory::Bottom => fit_bottom(&frame, garment, &mut pairs),
        GarmentCategory::OnePiece => fit_one_piece(&frame, garment, &mut pairs),
        _ => fit_top(
            &frame,
            garment,
            &mut pairs,
            garment.category == GarmentCategory::Kurta,
        ),
    }
    .ok_or_else(|| {
        Error::internal(format!(
            "draft fit: the {} garment lacks a landmark",
            garment.category
        ))
    })?;
    let margin = 0.6 * frame.unit;
    let xs = pairs.targets.iter().map(|p| p[0]);
    let ys = pairs.targets.iter().map(|p| p[1]);
    let bounds = (
        xs.clone().fold(f32::MAX, f32::min) - margin,
        ys.clone().fold(f32::MAX, f32::min) - 0.2 * margin,
        xs.fold(f32::MIN, f32::max) + margin,
        ys.fold(f32::MIN, f32::max) + 0.2 * margin,
    );
    Ok(Fit {
        targets: pairs.targets,
        sources: pairs.sources,
        free_below: plan.free_below,
        clip_to_body: plan.clip_to_body,
        torso_band_from: plan.torso_band_from,
        bounds,
        replaces: plan.replaces,
    })
}

#[derive(Default)]
struct Pairs {
    targets: Vec<P>,
    sources: Vec<P>,
}

impl Pairs {
    fn add(&mut self, target: P, source: P) {
        self.targets.push(target);
        self.sources.push(source);
    }
}

struct Plan {
    free_below: f32,
    clip_to_body: bool,
    torso_band_from: Option<f32>,
    replaces: Replaces,
}

/// Neckline, shoulders, underarms and sleeves of a top (or a sleeved dress). Returns the
/// horizontal scale and the armpit targets' half gap.
fn fit_upper(f: &Frame<'_>, g: &GarmentShape, pairs: &mut Pairs) -> Option<(f32, f32)> {
    let gsh = g.shoulders?;
    let gua = g.underarms?;
    let gneck = g.neckline?;
    let span_g = (gsh[1][0] - gsh[0][0]).max(1.0);
    let span_b = f.shoulders[1][0] - f.shoulders[0][0];
    let sx = span_b / span_g;

    let neck_half = ((gneck[1][0] - gneck[0][0]) * 0.5 * sx)
        .max(f.body.neck_half_width * 1.25)
        .min(0.4 * span_b);
    for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
        pairs.add(f.on_shoulder_line(f.neck[0] + side * neck_half), gneck[k]);
        pairs.add(f.shoulders[k], gsh[k]);
    }
    let gap = (f.armpits[1][0] - f.armpits[0][0]) * 0.5;
    let ease = 0.06 * gap + 1.0;
    for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
        let a = f.armpits[k];
        pairs.add([a[0] + side * ease, a[1] + 0.03 * f.unit], gua[k]);
    }
    if let Some(sleeves) = g.sleeves {
        for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
            let end = sleeves[k];
            let arm = f.arm(k);
            let arm_half = arm.half_width;
            // The sleeve runs down the arm's chain from the shoulder joint and ends before the
            // hand; a long sleeve bends at the elbow with it.
            let length = dist(gsh[k], end.mid) * sx;
            let usable = (arm.wrist() - 0.3 * arm_half).max(arm_half);
            let t_end = length.min(usable).max(0.5 * arm_half);
            let (mid, dir) = arm.at(t_end);
            // A loose sleeve's opening, scaled with the shoulders, can be far wider than a thin
            // arm: pinned at that width across a hanging arm its inner corner lands inside the
            // torso and folds the sleeve over the body. A hanging sleeve falls around the arm.
            let open_half = (dist(end.outer, end.inner) * 0.5 * sx)
                .min(arm_half * 1.6 + 2.0)
                .max(arm_half * 1.2 + 1.0);
            let out = [side * dir[1], -side * dir[0]];
            // A slanted opening keeps its slant: each corner stays as far along the sleeve, ahead
            // of or behind the opening's middle, as it is on the garment. Pinning both corners
            // level with the middle would pull the part of the sleeve beyond a corner out into a
            // flared point.
            let armhole = [(gsh[k][0] + gua[k][0]) * 0.5, (gsh[k][1] + gua[k][1]) * 0.5];
            let axis_len = dist(end.mid, armhole).max(1.0);
            let axis = [
                (end.mid[0] - armhole[0]) / axis_len,
                (end.mid[1] - armhole[1]) / axis_len,
            ];
            let ahead = |c: P| ((c[0] - end.mid[0]) * axis[0] + (c[1] - end.mid[1]) * axis[1]) * sx;
            let corner = |c: P, across: f32| {
                let t = ahead(c).clamp(-open_half, open_half);
                [
                    mid[0] + dir[0] * t + out[0] * across,
                    mid[1] + dir[1] * t + out[1] * across,
                ]
            };
            pairs.add(mid, end.mid);
            pairs.add(corner(end.outer, open_half), end.outer);
            pairs.add(corner(end.inner, -open_half), end.inner);
            let t_elbow = arm.length_to(1);
            if t_end > t_elbow + 2.0 * arm_half {
                // The garment's sleeve at the elbow's share of its length, pinned on the elbow.
                let share = t_elbow / t_end;
                let g_mid = [
                    lerp(gsh[k][0], end.mid[0], share),
                    lerp(gsh[k][1], end.mid[1], share),
                ];
                let g_half = lerp(
                    dist(gsh[k], gua[k]) * 0.5,
                    dist(end.outer, end.inner) * 0.5,
                    share,
                );
                let g_out = [side * axis[1], -side * axis[0]];
                let (elbow, edir) = arm.at(t_elbow);
                let e_out = [side * edir[1], -side * edir[0]];
                let half = (g_half * sx).clamp(arm_half * 1.2 + 1.0, arm_half * 1.8 + 2.0);
                pairs.add(elbow, g_mid);
                for s in [-1.0f32, 1.0] {
                    pairs.add(
                        [
                            elbow[0] + s * e_out[0] * half,
                            elbow[1] + s * e_out[1] * half,
                        ],
                        [
                            g_mid[0] + s * g_out[0] * g_half,
                            g_mid[1] + s * g_out[1] * g_half,
                        ],
                    );
                }
            }
        }
    }
    Some((sx, gap + ease))
}

/// Pins the garment's sides at body row `y` to the body's extent there (with ease), or to the
/// garment's own width at that scale when it is wider; `gy` is the matching garment row.
fn pin_sides(
    f: &Frame<'_>,
    g: &GarmentShape,
    pairs: &mut Pairs,
    y: f32,
    gy: f32,
    natural_half: f32,
) -> Option<()> {
    let (gl, gr) = g.sides_at(gy)?;
    let (bl, br) = f.extent(y);
    let half = ((br - bl) * 0.5 * EASE + 2.0).max(natural_half);
    let c = (bl + br) * 0.5;
    pairs.add([c - half, y], [gl, gy]);
    pairs.add([c + half, y], [gr, gy]);
    Some(())
}

fn fit_top(f: &Frame<'_>, g: &GarmentShape, pairs: &mut Pairs, long: bool) -> Option<Plan> {
    let (sx, armpit_half) = fit_upper(f, g, pairs)?;
    let gsh = g.shoulders?;
    let gua = g.underarms?;
    let ghem = g.hem?;
    let sh_y = (f.shoulders[0][1] + f.shoulders[1][1]) * 0.5;
    let gsh_y = (gsh[0][1] + gsh[1][1]) * 0.5;
    let ghem_y = (ghem[0][1] + ghem[1][1]) * 0.5;
    let hip_y = f.hip_y();
    let natural = sh_y + sx * (ghem_y - gsh_y);
    let (lo, hi) = if long {
        (hip_y + 0.3 * f.unit, f.knee_y())
    } else {
        (hip_y + 0.05 * f.unit, hip_y + 0.45 * f.unit)
    };
    // Keep the vertical scale within reach of the horizontal one.
    let (lo_a, hi_a) = (
        sh_y + sx / MAX_ANISOTROPY * (ghem_y - gsh_y),
        sh_y + sx * MAX_ANISOTROPY * (ghem_y - gsh_y),
    );
    let hem_y = natural.clamp(lo.max(lo_a).min(hi), hi.min(hi_a).max(lo));

    let ua_y = (f.armpits[0][1] + f.armpits[1][1]) * 0.5 + 0.03 * f.unit;
    let gua_y = (gua[0][1] + gua[1][1]) * 0.5;
    let g_ua_half = (gua[1][0] - gua[0][0]) * 0.5;
    let g_hem_half = (ghem[1][0] - ghem[0][0]) * 0.5;
    let taper = g_hem_half / g_ua_half.max(1.0);
    let (bl, br) = f.extent(hem_y);
    let hem_half = ((br - bl) * 0.5 * EASE + 2.0).max(taper * armpit_half);
    let c = (bl + br) * 0.5;
    pairs.add([c - hem_half, hem_y], ghem[0]);
    pairs.add([c + hem_half, hem_y], ghem[1]);
    // The middle is pinned too, at the hem and with each pair of sides below: with pins on the
    // outline only, the sleeves turned down the arms bend the spline so far that the garment's
    // middle can fold up above its hem and leave a hole over the belly.
    pairs.add([c, hem_y], [(ghem[0][0] + ghem[1][0]) * 0.5, ghem_y]);
    // Pins down the sides at the waist, the hips and in between, so the sleeves' turn cannot drag
    // the body's sides inward.
    let mut rows: Vec<f32> = [0.15, 0.35, 0.55, 0.75, 0.9]
        .iter()
        .map(|t| lerp(ua_y, hem_y, *t))
        .collect();
    rows.retain(|y| (y - f.waist_y()).abs() > 0.1 * f.unit && (y - hip_y).abs() > 0.1 * f.unit);
    rows.extend([f.waist_y(), hip_y]);
    for y in rows {
        if y > ua_y + 0.1 * f.unit && y < hem_y - 0.1 * f.unit {
            let t = (y - ua_y) / (hem_y - ua_y);
            let gy = lerp(gua_y, ghem_y, t);
            let (gl, gr) = g.sides_at(gy)?;
            let shaping = ((gr - gl) * 0.5) / lerp(g_ua_half, g_hem_half, t).max(1.0);
            pin_sides(f, g, pairs, y, gy, shaping * lerp(armpit_half, hem_half, t))?;
            let (bl, br) = f.extent(y);
            pairs.add([(bl + br) * 0.5, y], [(gl + gr) * 0.5, gy]);
        }
    }
    Some(Plan {
        free_below: f32::MAX,
        clip_to_body: true,
        torso_band_from: Some(ua_y),
        // The new top's hem is at or below the hips, so an old top ends under it: the torso is
        // bared only where the new top leaves gaps, and not near the hem, where old bottoms begin.
        replaces: Replaces {
            arms: true,
            torso: Some((f.neck[1], hem_y - 0.4 * f.unit)),
            legs_from: None,
        },
    })
}

fn fit_bottom(f: &Frame<'_>, g: &GarmentShape, pairs: &mut Pairs) -> Option<Plan> {
    let gw = g.waist?;
    let waist_y = f.waist_y();
    let hip_y = f.hip_y();
    let band_y = waist_y + 0.35 * (hip_y - waist_y);
    let (l, r) = f.body.torso_near(band_y)?;
    let band_half = (r - l) * 0.5 * 1.04 + 1.0;
    let c = (l + r) * 0.5;
    let gw_y = (gw[0][1] + gw[1][1]) * 0.5;
    let sx = 2.0 * band_half / (gw[1][0] - gw[0][0]).max(1.0);
    let sy = sx * WRAP;
    pairs.add([c - band_half, band_y], gw[0]);
    pairs.add([c + band_half, band_y], gw[1]);
    let gy_hip = gw_y + (hip_y - band_y) / sy;
    let (gl, gr) = g.sides_at(gy_hip)?;
    pin_sides(f, g, pairs, hip_y, gy_hip, (gr - gl) * 0.5 * sx)?;
    let foot_y = f.foot_y();
    let crotch_y = f.body.crotch_y.unwrap_or(hip_y + 0.35 * (hip_y - waist_y));

    if let (Some(ends), Some(gcrotch)) = (g.leg_ends, g.crotch) {
        let gend_y = (ends[0].outer[1] + ends[1].outer[1]) * 0.5;
        let natural = sy * (gend_y - gw_y);
        let full = foot_y - band_y;
        // Full length by the garment's own proportions too: trousers whose legs are long for
        // their waistband (jeans, chinos) end at the feet however the body's front width at the
        // band was measured; shorts are about as long as their waist is wide.
        let legs_long = (gend_y - gw_y) >= LONG_LEGS * (gw[1][0] - gw[0][0]).max(1.0);
        let end_y = if legs_long || natural >= FULL_LENGTH * full {
            foot_y
        } else {
            band_y + natural
        };
        let c_crotch = f.body.centre_at(crotch_y - 1.0);
        pairs.add(
            [c_crotch, crotch_y.min(end_y - 0.2 * f.unit) + 0.02 * f.unit],
            gcrotch,
        );
        for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
            let e = ends[k];
            let (lc, lhw) = f.leg(k, end_y);
            let half = ((e.outer[0] - e.inner[0]).abs() * 0.5 * sx).max(lhw * 1.12 + 1.0);
            pairs.add([lc + side * half, end_y], e.outer);
            pairs.add([lc - side * half, end_y], e.inner);
        }
        let gy_knee = lerp(gcrotch[1], gend_y, 0.5);
        let y_knee = lerp(crotch_y, end_y, 0.5);
        if let Some(runs) = g.legs_at(gy_knee) {
            for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
                let run = runs[k];
                let (kc, khw) = f.leg(k, y_knee);
                let half = (run.width() * 0.5 * sx).max(khw * 1.12 + 1.0);
                let (outer, inner) = if k == 0 {
                    (run.left(), run.right())
                } else {
                    (run.right(), run.left())
                };
                pairs.add([kc + side * half, y_knee], [outer, gy_knee]);
                pairs.add([kc - side * half, y_knee], [inner, gy_knee]);
            }
        }
        Some(Plan {
            free_below: f32::MAX,
            clip_to_body: false,
            torso_band_from: None,
            replaces: Replaces {
                arms: false,
                torso: None,
                legs_from: Some(band_y),
            },
        })
    } else {
        let ghem = g.hem?;
        let ghem_y = (ghem[0][1] + ghem[1][1]) * 0.5;
        let hem_y = (band_y + sy * (ghem_y - gw_y))
            .min(foot_y)
            .max(hip_y + 0.2 * f.unit);
        let natural_half = (ghem[1][0] - ghem[0][0]) * 0.5 * sx;
        let (bl, br) = f.extent(hem_y);
        let half = ((br - bl) * 0.5 * 1.05 + 2.0).max(natural_half);
        let c = (bl + br) * 0.5;
        pairs.add([c - half, hem_y], ghem[0]);
        pairs.add([c + half, hem_y], ghem[1]);
        Some(Plan {
            free_below: hip_y,
            clip_to_body: false,
            torso_band_from: None,
            replaces: Replaces {
                arms: false,
                torso: None,
                legs_from: Some(band_y),
            },
        })
    }
}

fn fit_one_piece(f: &Frame<'_>, g: &GarmentShape, pairs: &mut Pairs) -> Option<Plan> {
    let gw = g.waist?;
    let ghem = g.hem?;
    let gneck = g.neckline?;
    let gsh = g.shoulders?;
    let gw_y = (gw[0][1] + gw[1][1]) * 0.5;
    let waist_y = f.waist_y();
    let waist_half = (f.waist[1][0] - f.waist[0][0]) * 0.5 * EASE + 2.0;
    let waist_c = (f.waist[0][0] + f.waist[1][0]) * 0.5;
    let (sx, sy) = if g.sleeves.is_some() {
        let (sx, _) = fit_upper(f, g, pairs)?;
        let sh_y = (f.shoulders[0][1] + f.shoulders[1][1]) * 0.5;
        let gsh_y = (gsh[0][1] + gsh[1][1]) * 0.5;
        (sx, (waist_y - sh_y) / (gw_y - gsh_y).max(1.0))
    } else {
        let sx = 2.0 * waist_half / (gw[1][0] - gw[0][0]).max(1.0);
        let (lo, hi) = (f.shoulders[0][0] + 2.0, f.shoulders[1][0] - 2.0);
        for p in [gneck[0], gneck[1], gsh[0], gsh[1]] {
            let x = (f.neck[0] + sx * (p[0] - g.centre_x)).clamp(lo, hi);
            pairs.add(f.on_shoulder_line(x), p);
        }
        if let Some(gua) = g.underarms {
            let gap = (f.armpits[1][0] - f.armpits[0][0]) * 0.5;
            for (k, side) in [-1.0f32, 1.0].into_iter().enumerate() {
                let a = f.armpits[k];
                pairs.add(
                    [a[0] + side * (0.06 * gap + 1.0), a[1] + 0.03 * f.unit],
                    gua[k],
                );
            }
        }
        let gtop = (gneck[0][1] + gneck[1][1]) * 0.5;
        (sx, (waist_y - f.neck[1]) / (gw_y - gtop).max(1.0))
    };
    let sy = sy.clamp(sx / MAX_ANISOTROPY, sx * MAX_ANISOTROPY);
    pairs.add([waist_c - waist_half, waist_y], gw[0]);
    pairs.add([waist_c + waist_half, waist_y], gw[1]);
    let skirt = (sx + sy) * 0.5;
    let hip_y = f.hip_y();
    let gy_hip = gw_y + (hip_y - waist_y) / sy;
    let (gl, gr) = g.sides_at(gy_hip)?;
    pin_sides(f, g, pairs, hip_y, gy_hip, (gr - gl) * 0.5 * skirt)?;
    let ghem_y = (ghem[0][1] + ghem[1][1]) * 0.5;
    let hem_y = (waist_y + sy * (ghem_y - gw_y))
        .min(f.foot_y())
        .max(hip_y + 0.3 * f.unit);
    let (bl, br) = f.extent(hem_y);
    let half = ((br - bl) * 0.5 * 1.05 + 2.0).max((ghem[1][0] - ghem[0][0]) * 0.5 * skirt);
    let c = (bl + br) * 0.5;
    pairs.add([c - half, hem_y], ghem[0]);
    pairs.add([c + half, hem_y], ghem[1]);
    Some(Plan {
        free_below: hip_y,
        clip_to_body: true,
        torso_band_from: g.sleeves.map(|_| (f.armpits[0][1] + f.armpits[1][1]) * 0.5),
        replaces: Replaces {
            arms: true,
            torso: Some((f.neck[1], f32::MAX)),
            legs_from: Some(waist_y),
        },
    })
}
