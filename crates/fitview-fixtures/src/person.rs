//! Studio photos of a mannequin-like person: the specs, the body geometry, and its rendering.
//!
//! The body is built in "figure units" (fractions of the figure's height, head top to sole) and
//! mapped to pixels by [`Figure`]; the same geometry both draws the picture and yields the
//! landmarks, so the landmarks are exactly where the silhouette was drawn.

use image::RgbImage;

use crate::landmarks::BodyLandmarks;
use crate::raster::{
    Canvas, Mask, P, across, ellipse_outline, lerp, mix, rgbf, scale, smoothstep, spline,
    tube_outline,
};
use crate::rng::{Rng, value_noise};

/// Body type: sets shoulder, chest, waist and hip widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// Narrow shoulders and hips.
    Slim,
    /// Middle proportions.
    Average,
    /// Wide shoulders and chest, straight waist.
    Broad,
    /// Narrow waist, wide hips.
    Curvy,
}

/// How much of the person the frame shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Head to feet with a floor shadow.
    FullBody,
    /// Head to mid-thigh (no knees or ankles in frame).
    HalfBody,
}

/// What the person wears on the legs, in `base_bottom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legwear {
    /// Shorts ending at mid-thigh.
    Shorts,
    /// Straight trousers to the ankle.
    Trousers,
}

/// Hair cut, drawn in `hair`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HairStyle {
    /// Close to the head.
    Short,
    /// Chin-length, falling beside the face but clear of the shoulders.
    Bob,
}

/// Everything that determines one person photo.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonSpec {
    /// File stem, e.g. `slim-light-full`.
    pub id: &'static str,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Skin colour (lit mid-tone).
    pub skin: [u8; 3],
    /// Hair colour.
    pub hair: [u8; 3],
    /// Body type.
    pub build: Build,
    /// Full or half body.
    pub framing: Framing,
    /// Studio backdrop colour (mean; the render adds a gradient, vignette and noise).
    pub background: [u8; 3],
    /// Colour of the fitted top.
    pub base_top: [u8; 3],
    /// Colour of the shorts or trousers.
    pub base_bottom: [u8; 3],
    /// Shorts or trousers.
    pub legwear: Legwear,
    /// Hair cut.
    pub hair_style: HairStyle,
    /// 0 is frontal; up to about 0.2 turns the body slightly towards the image's right.
    pub turn: f32,
    /// Seed for noise and texture.
    pub seed: u64,
}

const LIGHT_GREY: [u8; 3] = [232, 232, 230];
const WHITE: [u8; 3] = [255, 255, 255];

/// The committed set of persons: four builds, light to deep skin, both backdrops, both framings and
/// one slightly turned pose.
pub fn person_specs() -> Vec<PersonSpec> {
    let base = PersonSpec {
        id: "",
        width: 768,
        height: 1024,
        skin: [0; 3],
        hair: [0; 3],
        build: Build::Average,
        framing: Framing::FullBody,
        background: LIGHT_GREY,
        base_top: [0; 3],
        base_bottom: [0; 3],
        legwear: Legwear::Shorts,
        hair_style: HairStyle::Short,
        turn: 0.0,
        seed: 0,
    };
    vec![
        PersonSpec {
            id: "slim-light-full",
            skin: [238, 204, 182],
            hair: [72, 50, 34],
            build: Build::Slim,
            base_top: [48, 58, 84],
            base_bottom: [44, 44, 48],
            hair_style: HairStyle::Bob,
            seed: 11,
            ..base.clone()
        },
        PersonSpec {
            id: "average-medium-full",
            skin: [205, 156, 118],
            hair: [38, 30, 26],
            base_top: [150, 40, 46],
            base_bottom: [58, 66, 88],
            legwear: Legwear::Trousers,
            background: WHITE,
            seed: 12,
            ..base.clone()
        },
        PersonSpec {
            id: "broad-deep-full",
            skin: [118, 78, 56],
            hair: [24, 20, 19],
            build: Build::Broad,
            base_top: [196, 112, 74],
            base_bottom: [70, 70, 74],
            seed: 13,
            ..base.clone()
        },
        PersonSpec {
            id: "curvy-tan-full",
            skin: [222, 172, 130],
            hair: [96, 58, 32],
            build: Build::Curvy,
            base_top: [34, 34, 38],
            base_bottom: [84, 108, 150],
            legwear: Legwear::Trousers,
            hair_style: HairStyle::Bob,
            background: WHITE,
            seed: 14,
            ..base.clone()
        },
        PersonSpec {
            id: "average-olive-half",
            skin: [196, 160, 118],
            hair: [52, 38, 28],
            framing: Framing::HalfBody,
            base_top: [70, 110, 84],
            base_bottom: [40, 40, 44],
            legwear: Legwear::Trousers,
            seed: 15,
            ..base.clone()
        },
        PersonSpec {
            id: "slim-deep-half-turned",
            skin: [92, 60, 44],
            hair: [20, 17, 16],
            build: Build::Slim,
            framing: Framing::HalfBody,
            base_top: [226, 196, 90],
            base_bottom: [52, 52, 60],
            hair_style: HairStyle::Bob,
            background: WHITE,
            turn: 0.16,
            seed: 16,
            ..base
        },
    ]
}

/// Body widths and sizes in figure units.
struct Proportions {
    /// Half width at the outside of the shoulder joints.
    shoulder: f32,
    /// Radius of the shoulder joint (deltoid).
    deltoid: f32,
    chest: f32,
    waist: f32,
    hip: f32,
    thigh: f32,
    arm: f32,
    neck: f32,
    head_rx: f32,
    /// Outward angle of the upper arm from vertical, radians.
    arm_angle: f32,
    waist_y: f32,
}

fn proportions(build: Build) -> Proportions {
    let (shoulder, chest, waist, hip, thigh, arm, neck, head_rx, angle) = match build {
        Build::Slim => (
            0.118, 0.076, 0.060, 0.080, 0.046, 0.92f32, 0.027, 0.045, 11.0f32,
        ),
        Build::Average => (0.128, 0.083, 0.069, 0.089, 0.051, 1.0, 0.030, 0.046, 11.0),
        Build::Broad => (0.142, 0.097, 0.086, 0.092, 0.054, 1.18, 0.035, 0.049, 12.0),
        Build::Curvy => (0.120, 0.085, 0.062, 0.106, 0.058, 1.0, 0.028, 0.046, 12.0),
    };
    Proportions {
        shoulder,
        deltoid: 0.029 * arm.sqrt(),
        chest,
        waist,
        hip,
        thigh,
        arm,
        neck,
        head_rx,
        arm_angle: angle.to_radians(),
        waist_y: if build == Build::Curvy { 0.372 } else { 0.378 },
    }
}

// Heights in figure units (0 = top of hair, 1 = sole).
const HEAD_CY: f32 = 0.072;
const HEAD_RY: f32 = 0.060;
const NECK_BASE_Y: f32 = 0.163;
const SHOULDER_TOP_Y: f32 = 0.190;
const ARMPIT_KEY_Y: f32 = 0.250;
const HIP_Y: f32 = 0.490;
const CROTCH_Y: f32 = 0.525;
const KNEE_Y: f32 = 0.715;
const CALF_Y: f32 = 0.80;
const ANKLE_Y: f32 = 0.955;
const WAISTBAND_Y: f32 = 0.43;
const TOP_HEM_Y: f32 = 0.465;
const SHORTS_END_Y: f32 = 0.62;
/// The lowest point a half-body frame shows.
const HALF_BODY_BOTTOM: f32 = 0.62;

/// Maps figure units to pixels and holds the body's geometry.
struct Figure {
    cx: f32,
    top: f32,
    s: f32,
    /// Horizontal scale of the image-left and image-right halves (a turned body is narrower on one side).
    k_left: f32,
    k_right: f32,
    p: Proportions,
}

/// A side of the image: -1 left, +1 right.
type Side = f32;
const SIDES: [Side; 2] = [-1.0, 1.0];

/// One limb segment in pixels.
#[derive(Clone, Copy)]
struct Seg {
    a: P,
    b: P,
    ra: f32,
    rb: f32,
}

impl Seg {
    fn outline(&self) -> Vec<P> {
        tube_outline(self.a, self.b, self.ra, self.rb, true, true)
    }
    /// Signed distance from `p` to the segment's surface (negative inside).
    fn dist(&self, p: P) -> f32 {
        let (dx, dy) = (self.b[0] - self.a[0], self.b[1] - self.a[1]);
        let len2 = (dx * dx + dy * dy).max(1e-6);
        let t = (((p[0] - self.a[0]) * dx + (p[1] - self.a[1]) * dy) / len2).clamp(0.0, 1.0);
        let c = [self.a[0] + dx * t, self.a[1] + dy * t];
        ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt() - lerp(self.ra, self.rb, t)
    }
    /// The first part of the segment, up to fraction `t`, with a square end.
    fn cut(&self, t: f32) -> Vec<P> {
        let b = [lerp(self.a[0], self.b[0], t), lerp(self.a[1], self.b[1], t)];
        tube_outline(self.a, b, self.ra, lerp(self.ra, self.rb, t), true, false)
    }
    fn len(&self) -> f32 {
        ((self.b[0] - self.a[0]).powi(2) + (self.b[1] - self.a[1]).powi(2))
            .sqrt()
            .max(1e-3)
    }
}

impl Figure {
    fn new(spec: &PersonSpec) -> Figure {
        let (w, h) = (spec.width as f32, spec.height as f32);
        let (s, top) = match spec.framing {
            Framing::FullBody => (h * 0.90, h * 0.05),
            Framing::HalfBody => {
                let s = h * 0.93 / HALF_BODY_BOTTOM;
                (s, h * 0.07)
            }
        };
        let turn = spec.turn.clamp(0.0, 0.3);
        Figure {
            cx: w * 0.5 - turn * 0.02 * s,
            top,
            s,
            k_left: 1.0 - 0.9 * turn,
            k_right: 1.0 + 0.1 * turn,
            p: proportions(spec.build),
        }
    }

    fn y(&self, fy: f32) -> f32 {
        self.top + fy * self.s
    }

    fn x(&self, side: Side, dx: f32) -> f32 {
        let k = if side < 0.0 {
            self.k_left
        } else {
            self.k_right
        };
        self.cx + side * dx * self.s * k
    }

    /// Signed horizontal offset to pixels.
    fn xs(&self, dx: f32) -> f32 {
        self.x(if dx < 0.0 { -1.0 } else { 1.0 }, dx.abs())
    }

    fn pt(&self, side: Side, dx: f32, fy: f32) -> P {
        [self.x(side, dx), self.y(fy)]
    }

    /// Centre of the shoulder joint (in units, as offset from centre).
    fn deltoid_centre(&self) -> (f32, f32) {
        (
            self.p.shoulder - self.p.deltoid,
            SHOULDER_TOP_Y + self.p.deltoid,
        )
    }

    /// y where the shoulder line meets the torso side (just under the shoulder joint).
    fn torso_side_top(&self) -> f32 {
        SHOULDER_TOP_Y + 0.05 * self.p.deltoid
    }

    /// Torso half-width at height `fy`: cosine interpolation between keys, so the waist is exactly
    /// the narrowest and the hip line exactly the widest point of their stretch.
    fn half_width(&self, fy: f32) -> f32 {
        let p = &self.p;
        let keys = [
            (self.torso_side_top(), self.deltoid_centre().0),
            (ARMPIT_KEY_Y, p.chest),
            (p.waist_y, p.waist),
            (HIP_Y, p.hip),
            (CROTCH_Y, p.hip * 0.97),
        ];
        if fy <= keys[0].0 {
            return keys[0].1;
        }
        for win in keys.windows(2) {
            let ((y0, w0), (y1, w1)) = (win[0], win[1]);
            if fy <= y1 {
                let t = (fy - y0) / (y1 - y0);
                let e = (1.0 - (t * std::f32::consts::PI).cos()) * 0.5;
                return lerp(w0, w1, e);
            }
        }
        keys[4].1
    }

    /// The shoulder line (trapezius) from the neck to the shoulder joint, by offset from centre.
    fn shoulder_line(&self, dx: f32) -> f32 {
        let (cdx, _) = self.deltoid_centre();
        let u = ((dx.abs() - self.p.neck) / (cdx - self.p.neck)).clamp(0.0, 1.0);
        lerp(
            NECK_BASE_Y,
            self.torso_side_top(),
            1.0 - (1.0 - u) * (1.0 - u),
        )
    }

    /// Outline of the torso between `fy0` and `fy1`, with the top edge following `top_edge(dx)`
    /// (which must meet the sides at `fy0`) or straight when `None`.
    fn torso_outline(&self, fy0: f32, fy1: f32, top_edge: Option<&dyn Fn(f32) -> f32>) -> Vec<P> {
        let n = 64;
        let mut pts = Vec::with_capacity(4 * n);
        let w0 = self.half_width(fy0);
        for i in 0..=n {
            let dx = -w0 + 2.0 * w0 * i as f32 / n as f32;
            let fy = top_edge.map_or(fy0, |f| f(dx));
            pts.push([self.xs(dx), self.y(fy)]);
        }
        for i in 1..=n {
            let fy = lerp(fy0, fy1, i as f32 / n as f32);
            pts.push(self.pt(1.0, self.half_width(fy), fy));
        }
        for i in (0..n).rev() {
            let fy = lerp(fy0, fy1, i as f32 / n as f32);
            pts.push(self.pt(-1.0, self.half_width(fy), fy));
        }
        pts
    }

    /// Shading coordinate across the torso: -1 at the image-left edge, +1 at the right edge.
    fn torso_across(&self, p: P) -> f32 {
        let fy = (p[1] - self.top) / self.s;
        let hw = self.half_width(fy);
        let dx = p[0] - self.cx;
        let k = if dx < 0.0 { self.k_left } else { self.k_right };
        (dx / (hw * self.s * k)).clamp(-1.0, 1.0)
    }

    fn deltoid(&self, side: Side) -> (P, P) {
        let (cdx, cy) = self.deltoid_centre();
        let k = if side < 0.0 {
            self.k_left
        } else {
            self.k_right
        };
        (
            self.pt(side, cdx, cy),
            [self.p.deltoid * self.s * k, self.p.deltoid * self.s],
        )
    }

    /// Upper arm, forearm, palm and fingers of one side.
    fn arm(&self, side: Side) -> [Seg; 4] {
        let (cdx, cy) = self.deltoid_centre();
        let a = self.p.arm_angle;
        let r = self.p.arm;
        let s = self.s;
        let k = if side < 0.0 {
            self.k_left
        } else {
            self.k_right
        };
        let step = |from: P, angle: f32, len: f32| -> P {
            [
                from[0] + side * k * angle.sin() * len * s,
                from[1] + angle.cos() * len * s,
            ]
        };
        let shoulder = self.pt(side, cdx, cy);
        let elbow = step(shoulder, a, 0.172);
        let wrist = step(elbow, a + 0.09, 0.148);
        let palm = step(wrist, a + 0.04, 0.045);
        let tips = step(palm, a + 0.0, 0.040);
        [
            Seg {
                a: shoulder,
                b: elbow,
                ra: 0.027 * r * s,
                rb: 0.021 * r * s,
            },
            Seg {
                a: elbow,
                b: wrist,
                ra: 0.0205 * r * s,
                rb: 0.0145 * r * s,
            },
            Seg {
                a: wrist,
                b: palm,
                ra: 0.0145 * r * s,
                rb: 0.0175 * r * s,
            },
            Seg {
                a: palm,
                b: tips,
                ra: 0.0175 * r * s,
                rb: 0.011 * r * s,
            },
        ]
    }

    /// Thigh, knee-to-calf, calf-to-ankle of one side.
    fn leg(&self, side: Side) -> [Seg; 3] {
        let p = &self.p;
        let s = self.s;
        // Offset from the hip point in pixels, so a narrowed (turned) side keeps the thigh inside the hip.
        let hip = self.pt(side, p.hip, HIP_Y + 0.004);
        let joint = [hip[0] - side * 1.18 * p.thigh * s, hip[1]];
        let knee_dx = 0.047 + 0.25 * (p.hip - 0.089);
        let knee = self.pt(side, knee_dx, KNEE_Y);
        let calf = self.pt(side, knee_dx - 0.001, CALF_Y);
        let ankle = self.pt(side, knee_dx - 0.004, ANKLE_Y);
        [
            Seg {
                a: joint,
                b: knee,
                ra: p.thigh * s,
                rb: 0.031 * s,
            },
            Seg {
                a: knee,
                b: calf,
                ra: 0.031 * s,
                rb: 0.033 * s,
            },
            Seg {
                a: calf,
                b: ankle,
                ra: 0.033 * s,
                rb: 0.0175 * s,
            },
        ]
    }

    /// Where the torso's side leaves the arm: scan down the side edge until it is outside every arm
    /// shape, then bisect to sub-pixel precision.
    fn armpit(&self, side: Side) -> P {
        let arm = self.arm(side);
        let (dc, dr) = self.deltoid(side);
        let inside = |fy: f32| {
            let e = self.pt(side, self.half_width(fy), fy);
            let nx = (e[0] - dc[0]) / dr[0];
            let ny = (e[1] - dc[1]) / dr[1];
            nx * nx + ny * ny < 1.0 || arm[0].dist(e) < 0.0
        };
        let (mut lo, mut hi) = (self.torso_side_top(), self.p.waist_y);
        let step = 0.25 / self.s;
        let mut fy = lo;
        while fy < hi {
            if !inside(fy) {
                hi = fy;
                break;
            }
            lo = fy;
            fy += step;
        }
        for _ in 0..24 {
            let mid = 0.5 * (lo + hi);
            if inside(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        self.pt(side, self.half_width(hi), hi)
    }

    fn landmarks(&self, spec: &PersonSpec) -> BodyLandmarks {
        let p = &self.p;
        let head = self.head(spec);
        let shoulder = |side: Side| {
            let (c, r) = self.deltoid(side);
            let d = std::f32::consts::FRAC_1_SQRT_2;
            [c[0] + side * r[0] * d, c[1] - r[1] * d]
        };
        let full = spec.framing == Framing::FullBody;
        let knee = |side: Side| full.then(|| self.leg(side)[0].b);
        let ankle = |side: Side| full.then(|| self.leg(side)[2].b);
        BodyLandmarks {
            head_top: [head.hair_c[0], head.hair_c[1] - head.hair_r[1]],
            chin: [head.c[0], head.c[1] + head.r[1]],
            neck: [self.cx, self.y(NECK_BASE_Y)],
            left_shoulder: shoulder(-1.0),
            right_shoulder: shoulder(1.0),
            left_armpit: self.armpit(-1.0),
            right_armpit: self.armpit(1.0),
            waist_left: self.pt(-1.0, p.waist, p.waist_y),
            waist_right: self.pt(1.0, p.waist, p.waist_y),
            hip_left: self.pt(-1.0, p.hip, HIP_Y),
            hip_right: self.pt(1.0, p.hip, HIP_Y),
            left_knee: knee(-1.0),
            right_knee: knee(1.0),
            left_ankle: ankle(-1.0),
            right_ankle: ankle(1.0),
        }
    }

    fn head(&self, spec: &PersonSpec) -> Head {
        let turn = spec.turn.clamp(0.0, 0.3);
        let rx = self.p.head_rx * self.s;
        let ry = HEAD_RY * self.s;
        let c = [self.cx + turn * 0.25 * rx, self.y(HEAD_CY)];
        Head {
            c,
            r: [rx, ry],
            face_shift: turn * 1.1 * rx,
            hair_c: [c[0] - turn * 0.1 * rx, c[1] - 0.010 * self.s],
            // The hair's top is the top of the figure (fy = 0).
            hair_r: [rx * 1.12, (HEAD_CY - 0.010) * self.s],
        }
    }
}

struct Head {
    c: P,
    r: P,
    /// Horizontal shift of the face features for a turned head.
    face_shift: f32,
    hair_c: P,
    hair_r: P,
}

/// Light comes from the image's left and slightly above.
const LIGHT: [f32; 3] = [-0.50, -0.25, 0.83];

/// Shade for a point whose surface normal has horizontal component `nx` and vertical `ny`.
fn lambert(nx: f32, ny: f32) -> f32 {
    let nz = (1.0 - nx * nx - ny * ny).max(0.0).sqrt();
    (LIGHT[0] * nx + LIGHT[1] * ny + LIGHT[2] * nz).max(0.0)
}

/// Skin or fabric shading for a cylinder-like part at signed position `n` across it.
fn body_shade(base: [f32; 3], n: f32, contrast: f32) -> [f32; 3] {
    let l = lambert(n * 0.97, 0.0);
    let rim = 1.0 - 0.12 * n.powi(8);
    scale(base, ((1.0 - contrast) + contrast * 1.25 * l) * rim)
}

/// Renders one person photo and the landmarks of what it drew.
pub fn render_person(spec: &PersonSpec) -> (RgbImage, BodyLandmarks) {
    let fig = Figure::new(spec);
    let mut canvas = backdrop(spec);
    if spec.framing == Framing::FullBody {
        floor_shadow(&mut canvas, &fig);
    }
    draw_body(&mut canvas, &fig, spec);
    let landmarks = fig.landmarks(spec);
    (canvas.to_rgb(1.6, spec.seed ^ 0xA5A5), landmarks)
}

/// Studio sweep: soft vertical gradient and a gentle vignette around the backdrop colour.
fn backdrop(spec: &PersonSpec) -> Canvas {
    let bg = rgbf(spec.background);
    let (w, h) = (spec.width as f32, spec.height as f32);
    Canvas::new(spec.width, spec.height, |x, y| {
        let g = 1.025 - 0.05 * (y / h);
        let dx = (x - w * 0.5) / (w * 0.5);
        let dy = (y - h * 0.45) / (h * 0.55);
        let v = 1.0 - 0.075 * (dx * dx + dy * dy) * 0.5;
        scale(bg, g * v)
    })
}

fn floor_shadow(canvas: &mut Canvas, fig: &Figure) {
    let sole = fig.y(1.0);
    let s = fig.s;
    let c = [fig.cx + 0.02 * s, sole - 0.004 * s];
    let (rx, ry) = (0.17 * s, 0.020 * s);
    canvas.multiply(
        [
            c[0] - 3.0 * rx,
            c[1] - 3.0 * ry,
            c[0] + 3.0 * rx,
            c[1] + 3.0 * ry,
        ],
        |x, y| {
            let dx = (x - c[0]) / rx;
            let dy = (y - c[1]) / ry;
            1.0 - 0.22 * (-(dx * dx + dy * dy)).exp()
        },
    );
    for side in SIDES {
        let ankle = fig.leg(side)[2].b;
        let fc = [ankle[0] + side * 0.006 * s, sole - 0.002 * s];
        let (fx, fy) = (0.034 * s, 0.007 * s);
        canvas.multiply(
            [
                fc[0] - 3.0 * fx,
                fc[1] - 3.0 * fy,
                fc[0] + 3.0 * fx,
                fc[1] + 3.0 * fy,
            ],
            |x, y| {
                let dx = (x - fc[0]) / fx;
                let dy = (y - fc[1]) / fy;
                1.0 - 0.35 * (-(dx * dx + dy * dy)).exp()
            },
        );
    }
}

/// Fabric folds: soft anisotropic noise, stretched along the fold direction.
fn folds(x: f32, y: f32, s: f32, seed: u64, horizontal: bool) -> f32 {
    let (fx, fy) = if horizontal {
        (0.05 * s, 0.012 * s)
    } else {
        (0.012 * s, 0.06 * s)
    };
    let n = value_noise(x / fx, y / fy, seed) * 0.65
        + value_noise(x / (fx * 0.45), y / (fy * 0.45), seed ^ 1) * 0.35;
    1.0 + 0.11 * (n - 0.5)
}

fn draw_body(canvas: &mut Canvas, fig: &Figure, spec: &PersonSpec) {
    let skin = rgbf(spec.skin);
    let hair = rgbf(spec.hair);
    let top = rgbf(spec.base_top);
    let bottom = rgbf(spec.base_bottom);
    let s = fig.s;
    let head = fig.head(spec);
    let mut rng = Rng::new(spec.seed);
    let fold_seed = rng.next_u64();

    // Hair behind the head (and, for a bob, beside the face).
    let hair_back_shade = |x: f32, y: f32| (hair_shade(&head, hair, s, fold_seed, x, y), 1.0);
    let mut hair_back = ellipse_outline(head.hair_c, head.hair_r, 160);
    if spec.hair_style == HairStyle::Bob {
        let (c, r) = (head.hair_c, head.hair_r);
        let bottom_y = fig.y(0.150);
        hair_back = spline(
            &[
                [c[0] - r[0] * 0.2, c[1] - r[1]],
                [c[0] - r[0] * 0.85, c[1] - r[1] * 0.6],
                [c[0] - r[0] * 1.08, c[1] + r[1] * 0.3],
                [c[0] - r[0] * 1.12, bottom_y - 0.01 * s],
                [c[0] - r[0] * 0.8, bottom_y],
                [c[0] + r[0] * 0.8, bottom_y],
                [c[0] + r[0] * 1.12, bottom_y - 0.01 * s],
                [c[0] + r[0] * 1.08, c[1] + r[1] * 0.3],
                [c[0] + r[0] * 0.85, c[1] - r[1] * 0.6],
                [c[0] + r[0] * 0.2, c[1] - r[1]],
                [c[0], c[1] - r[1]],
            ],
            12,
        );
    }
    canvas.paint(&Mask::polygon(&hair_back), hair_back_shade);

    // Legs, bare.
    // A limb segment continuing another fades in over its first part, so joints show no seam.
    let skin_seg = |canvas: &mut Canvas, seg: &Seg, joined: bool| {
        canvas.paint(&Mask::polygon(&seg.outline()), |x, y| {
            let (n, t) = across(seg.a, seg.b, seg.ra, seg.rb, [x, y]);
            let alpha = if joined {
                smoothstep(0.0, 0.6 * seg.ra / seg.len(), t)
            } else {
                1.0
            };
            (body_shade(skin, n, 0.5), alpha)
        });
    };
    for side in SIDES {
        let leg = fig.leg(side);
        for (i, seg) in leg.iter().enumerate() {
            skin_seg(canvas, seg, i > 0);
        }
        if spec.framing == Framing::FullBody {
            let ankle = leg[2].b;
            let foot = Seg {
                a: [ankle[0], ankle[1] - 0.004 * s],
                b: [ankle[0] + side * 0.012 * s, fig.y(0.985)],
                ra: 0.018 * s,
                rb: 0.017 * s,
            };
            skin_seg(canvas, &foot, true);
            let toe = ellipse_outline(
                [foot.b[0] + side * 0.002 * s, fig.y(0.988)],
                [0.021 * s, 0.012 * s],
                64,
            );
            canvas.paint(&Mask::polygon(&toe), |x, _| {
                let n = ((x - foot.b[0]) / (0.021 * s)).clamp(-1.0, 1.0);
                (body_shade(skin, n, 0.5), 1.0)
            });
        }
    }

    // Neck and torso skin.
    let neck = Seg {
        a: [
            head.c[0] - head.face_shift * 0.2,
            head.c[1] + head.r[1] * 0.55,
        ],
        b: [fig.cx, fig.y(NECK_BASE_Y + 0.02)],
        ra: fig.p.neck * s,
        rb: fig.p.neck * s * 1.05,
    };
    canvas.paint(&Mask::polygon(&neck.outline()), |x, y| {
        let (n, t) = across(neck.a, neck.b, neck.ra, neck.rb, [x, y]);
        (scale(body_shade(skin, n, 0.5), 0.80 + 0.12 * t), 1.0)
    });
    let shoulder_line = |dx: f32| fig.shoulder_line(dx);
    let torso = fig.torso_outline(fig.torso_side_top(), CROTCH_Y, Some(&shoulder_line));
    canvas.paint(&Mask::polygon(&torso), |x, y| {
        (body_shade(skin, fig.torso_across([x, y]), 0.5), 1.0)
    });

    // Bottoms: legs first, then the seat over them fading out at the crotch so no seam shows.
    let leg_len_t =
        |seg: &Seg, fy: f32| ((fig.y(fy) - seg.a[1]) / (seg.b[1] - seg.a[1])).clamp(0.05, 1.0);
    for side in SIDES {
        let leg = fig.leg(side);
        let mut parts: Vec<(Seg, Vec<P>, bool)> = Vec::new();
        match spec.legwear {
            Legwear::Shorts => {
                let seg = Seg {
                    ra: leg[0].ra * 1.12,
                    rb: leg[0].rb * 1.5,
                    ..leg[0]
                };
                let t = leg_len_t(&seg, SHORTS_END_Y);
                parts.push((seg, seg.cut(t), false));
            }
            Legwear::Trousers => {
                let thigh = Seg {
                    ra: leg[0].ra * 1.12,
                    rb: 0.040 * s,
                    ..leg[0]
                };
                let shin = Seg {
                    a: leg[0].b,
                    b: [leg[2].b[0], fig.y(0.975)],
                    ra: 0.040 * s,
                    rb: 0.036 * s,
                };
                parts.push((thigh, thigh.outline(), false));
                parts.push((shin, shin.cut(1.0), true));
            }
        }
        for (seg, outline, joined) in parts {
            canvas.paint(&Mask::polygon(&outline), |x, y| {
                let (n, t) = across(seg.a, seg.b, seg.ra, seg.rb, [x, y]);
                let f = folds(x, y, s, fold_seed ^ 3, true);
                let alpha = if joined {
                    smoothstep(0.0, 0.6 * seg.ra / seg.len(), t)
                } else {
                    1.0
                };
                (scale(body_shade(bottom, n, 0.45), f), alpha)
            });
        }
    }
    let seat = fig.torso_outline(WAISTBAND_Y, CROTCH_Y + 0.01, None);
    canvas.paint(&Mask::polygon(&seat), |x, y| {
        let fy = (y - fig.top) / s;
        let fade = smoothstep(CROTCH_Y + 0.01, CROTCH_Y - 0.02, fy);
        let band = if fy < WAISTBAND_Y + 0.018 { 0.9 } else { 1.0 };
        let f = folds(x, y, s, fold_seed ^ 3, true);
        (
            scale(body_shade(bottom, fig.torso_across([x, y]), 0.45), f * band),
            fade,
        )
    });

    // Arms and sleeves; the top goes over them so the chest covers the inside of the shoulder.
    for side in SIDES {
        let arm = fig.arm(side);
        for (i, seg) in arm.iter().enumerate() {
            skin_seg(canvas, seg, i > 0);
        }
        let (dc, dr) = fig.deltoid(side);
        let sleeve = arm[0];
        let t = 0.42;
        canvas.paint(&Mask::polygon(&sleeve.cut(t)), |x, y| {
            let (n, tt) = across(sleeve.a, sleeve.b, sleeve.ra, sleeve.rb, [x, y]);
            let hem = if tt > t - 0.06 { 0.92 } else { 1.0 };
            (
                scale(
                    body_shade(top, n, 0.45),
                    hem * folds(x, y, s, fold_seed ^ 9, false),
                ),
                1.0,
            )
        });
        // The shoulder cap, shaded like the sleeve across the arm.
        canvas.paint(&Mask::polygon(&ellipse_outline(dc, dr, 128)), |x, y| {
            let (n, _) = across(sleeve.a, sleeve.b, dr[0], dr[0], [x, y]);
            (
                scale(
                    body_shade(top, n, 0.45),
                    folds(x, y, s, fold_seed ^ 9, false),
                ),
                1.0,
            )
        });
    }

    // The fitted top with a scoop neckline.
    let neckline = |dx: f32| {
        let open = fig.p.neck * 1.9;
        let scoop = NECK_BASE_Y + 0.028 * (1.0 - (dx / open).powi(2)).max(0.0).sqrt();
        fig.shoulder_line(dx).max(scoop)
    };
    let shirt = fig.torso_outline(fig.torso_side_top(), TOP_HEM_Y, Some(&neckline));
    canvas.paint(&Mask::polygon(&shirt), |x, y| {
        let fy = (y - fig.top) / s;
        let f = folds(x, y, s, fold_seed ^ 5, true);
        let hem = if fy > TOP_HEM_Y - 0.012 { 0.93 } else { 1.0 };
        let under_bust = 1.0 - 0.06 * (-((fy - 0.30) / 0.02).powi(2)).exp();
        (
            scale(
                body_shade(top, fig.torso_across([x, y]), 0.45),
                f * hem * under_bust,
            ),
            1.0,
        )
    });

    draw_head(canvas, fig, spec, &head, skin, hair, fold_seed);
}

/// Hair: darker at the sides, a soft sheen up-left, fine strands running downwards.
fn hair_shade(head: &Head, hair: [f32; 3], s: f32, seed: u64, x: f32, y: f32) -> [f32; 3] {
    let dx = ((x - head.hair_c[0]) / head.hair_r[0]).clamp(-1.0, 1.0);
    let dy = ((y - head.hair_c[1]) / head.hair_r[1]).clamp(-1.0, 1.0);
    let strands = value_noise(
        x / (0.0035 * s) + y / (0.012 * s),
        y / (0.03 * s),
        seed ^ 11,
    );
    let sheen = 1.0 + 0.35 * (-((dx + 0.3).powi(2) * 10.0 + (dy + 0.55).powi(2) * 14.0)).exp();
    scale(
        hair,
        (0.7 + 0.45 * lambert(dx * 0.9, dy * 0.6)) * (0.85 + 0.3 * strands) * sheen,
    )
}

fn draw_head(
    canvas: &mut Canvas,
    fig: &Figure,
    spec: &PersonSpec,
    head: &Head,
    skin: [f32; 3],
    hair: [f32; 3],
    seed: u64,
) {
    let s = fig.s;
    let (c, r) = (head.c, head.r);
    let fc = [c[0] + head.face_shift, c[1]];

    // Ears, then the face (slightly narrower towards the jaw).
    let ears = if spec.hair_style == HairStyle::Bob {
        [].as_slice()
    } else {
        SIDES.as_slice()
    };
    for &side in ears {
        let ec = [
            c[0] + side * r[0] * 0.97 + head.face_shift * 0.3,
            c[1] + r[1] * 0.08,
        ];
        let er = [r[0] * 0.16, r[1] * 0.2];
        canvas.paint(&Mask::polygon(&ellipse_outline(ec, er, 48)), |x, _| {
            (
                body_shade(skin, ((x - ec[0]) / er[0]).clamp(-1.0, 1.0), 0.5),
                1.0,
            )
        });
    }
    let face: Vec<P> = (0..160)
        .map(|i| {
            let t = i as f32 / 160.0 * std::f32::consts::TAU;
            let (sn, cs) = t.sin_cos();
            let jaw = 1.0 - 0.16 * sn.max(0.0).powi(2);
            [c[0] + r[0] * cs * jaw, c[1] + r[1] * sn]
        })
        .collect();
    canvas.paint(&Mask::polygon(&face), |x, y| {
        let nx = ((x - c[0]) / r[0]).clamp(-1.0, 1.0);
        let ny = ((y - c[1]) / r[1]).clamp(-1.0, 1.0);
        let len = (nx * nx + ny * ny).sqrt().max(1.0);
        let l = lambert(nx / len * 0.95, ny / len * 0.6);
        (scale(skin, 0.55 + 0.55 * l), 1.0)
    });

    // Soft features, mannequin-like: brows, eyes, nose shadow, lips, cheeks.
    let (rx, ry) = (r[0], r[1]);
    let dark = scale(skin, 0.55);
    for side in SIDES {
        let ex = fc[0] + side * rx * 0.40;
        let ey = c[1] + ry * 0.02;
        canvas.soft_ellipse([ex, ey], [rx * 0.22, ry * 0.085], dark, 0.55, 0.6);
        canvas.soft_ellipse(
            [ex, ey],
            [rx * 0.15, ry * 0.055],
            [235.0, 232.0, 228.0],
            0.55,
            0.5,
        );
        canvas.soft_ellipse(
            [ex, ey],
            [rx * 0.075, ry * 0.058],
            scale(hair, 0.9),
            0.85,
            0.4,
        );
        canvas.soft_ellipse(
            [ex, ey - ry * 0.16],
            [rx * 0.24, ry * 0.035],
            hair,
            0.7,
            0.7,
        );
        canvas.soft_ellipse(
            [fc[0] + side * rx * 0.5, c[1] + ry * 0.35],
            [rx * 0.22, ry * 0.12],
            mix(skin, [200.0, 90.0, 90.0], 0.2),
            0.25,
            1.0,
        );
    }
    canvas.soft_ellipse(
        [fc[0] + rx * 0.10, c[1] + ry * 0.28],
        [rx * 0.10, ry * 0.22],
        dark,
        0.25,
        1.0,
    );
    canvas.soft_ellipse(
        [fc[0], c[1] + ry * 0.44],
        [rx * 0.17, ry * 0.05],
        dark,
        0.35,
        0.9,
    );
    canvas.soft_ellipse(
        [fc[0], c[1] + ry * 0.62],
        [rx * 0.30, ry * 0.075],
        mix(skin, [150.0, 60.0, 70.0], 0.45),
        0.75,
        0.6,
    );
    canvas.soft_ellipse(
        [fc[0], c[1] + ry * 0.615],
        [rx * 0.28, ry * 0.012],
        scale(skin, 0.45),
        0.6,
        0.5,
    );
    canvas.soft_ellipse(
        [c[0], c[1] + ry * 1.05],
        [rx * 0.75, ry * 0.18],
        scale(skin, 0.6),
        0.35,
        1.0,
    );

    // Hair over the forehead.
    let (hc, hr) = (head.hair_c, head.hair_r);
    let mut cap: Vec<P> = (0..=64)
        .map(|i| {
            let t = std::f32::consts::PI * (1.04 + 0.92 * i as f32 / 64.0);
            [hc[0] + hr[0] * t.cos(), hc[1] + hr[1] * t.sin()]
        })
        .collect();
    cap.reverse();
    let sweep = if spec.seed.is_multiple_of(2) {
        1.0
    } else {
        -1.0
    };
    let hairline = spline(
        &[
            [hc[0] - hr[0] * 0.99, c[1] - ry * 0.05],
            [hc[0] - rx * 0.75, c[1] - ry * 0.45],
            [fc[0] - sweep * rx * 0.2, c[1] - ry * 0.62],
            [fc[0] + sweep * rx * 0.45, c[1] - ry * 0.52],
            [hc[0] + rx * 0.8, c[1] - ry * 0.40],
            [hc[0] + hr[0] * 0.99, c[1] - ry * 0.05],
        ],
        10,
    );
    let mut front = hairline;
    front.extend(cap);
    canvas.paint(&Mask::polygon(&front), |x, y| {
        (hair_shade(head, hair, s, seed, x, y), 1.0)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waist_is_narrowest_and_hip_widest_in_their_stretch() {
        for spec in person_specs() {
            let fig = Figure::new(&spec);
            let w = fig.half_width(fig.p.waist_y);
            let h = fig.half_width(HIP_Y);
            for i in 0..100 {
                let fy = lerp(ARMPIT_KEY_Y, CROTCH_Y, i as f32 / 99.0);
                assert!(fig.half_width(fy) >= w - 1e-6);
                if fy > fig.p.waist_y {
                    assert!(fig.half_width(fy) <= h + 1e-6);
                }
            }
        }
    }
}
