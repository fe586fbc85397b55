//! Product shots of garments laid flat: the specs, their outlines and landmarks, fabric and details.

use image::{Rgb, RgbImage, Rgba, RgbaImage};

use crate::landmarks::GarmentLandmarks;
use crate::logo;
use crate::raster::{
    Canvas, Mask, P, blur, ellipse_outline, lerp, q, rgbf, scale, smoothstep, spline,
    stroke_outline,
};
use crate::rng::{Rng, value_noise};

/// What part of the body a garment dresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GarmentKind {
    /// Worn on the upper body.
    Top,
    /// Worn from the waist down.
    Bottom,
    /// Dresses and jumpsuits: shoulders to hem.
    OnePiece,
}

/// The shape the garment is cut to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Crew-neck short-sleeve tee.
    TShirt,
    /// Crew-neck long-sleeve top.
    LongSleeve,
    /// Short-sleeve button-up shirt with a collar.
    Shirt,
    /// Straight trousers with a waistband.
    Trousers,
    /// Five-pocket jeans: denim twill, contrast stitching, rivets.
    Jeans,
    /// A-line skirt with a waistband.
    Skirt,
    /// Sleeveless dress with a fitted bodice and flared skirt.
    Dress,
}

/// Print on the fabric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// One colour.
    Plain,
    /// Vertical stripes in white.
    Stripes,
    /// Gingham checks in white.
    Checks,
    /// White polka dots.
    Dots,
    /// Plain with a printed emblem and lettering on the chest.
    Logo,
}

/// How the product shot is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GarmentFile {
    /// JPEG on its backdrop.
    Jpeg,
    /// Opaque PNG on its backdrop.
    Png,
    /// RGBA PNG, already cut out: the backdrop is fully transparent, edges partly so.
    PngCutout,
}

/// Everything that determines one garment product shot.
#[derive(Debug, Clone, PartialEq)]
pub struct GarmentSpec {
    /// File stem, e.g. `tshirt-plain`.
    pub id: &'static str,
    /// Top, bottom or one-piece.
    pub category: GarmentKind,
    /// Shape of the garment.
    pub cut: Cut,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Main fabric colour.
    pub colour: [u8; 3],
    /// Print on the fabric.
    pub pattern: Pattern,
    /// Backdrop colour (white 255 or light grey about 235).
    pub background: [u8; 3],
    /// How [`crate::write_all`] stores it.
    pub file: GarmentFile,
    /// Seed for folds and texture.
    pub seed: u64,
}

const WHITE: [u8; 3] = [255, 255, 255];
const GREY: [u8; 3] = [235, 235, 233];

/// The committed set of garments: tops, bottoms and a dress, every pattern, both backdrops, JPEG,
/// opaque PNG and cut-out PNG.
pub fn garment_specs() -> Vec<GarmentSpec> {
    let g = |id, category, cut, width, colour, pattern, background, file, seed| GarmentSpec {
        id,
        category,
        cut,
        width,
        height: 768,
        colour,
        pattern,
        background,
        file,
        seed,
    };
    use Cut::*;
    use GarmentKind::*;
    vec![
        g(
            "tshirt-plain",
            Top,
            TShirt,
            768,
            [38, 98, 168],
            Pattern::Plain,
            WHITE,
            GarmentFile::Jpeg,
            21,
        ),
        g(
            "longsleeve-logo",
            Top,
            LongSleeve,
            768,
            [46, 46, 52],
            Pattern::Logo,
            GREY,
            GarmentFile::PngCutout,
            22,
        ),
        g(
            "shirt-striped",
            Top,
            Shirt,
            768,
            [58, 96, 150],
            Pattern::Stripes,
            GREY,
            GarmentFile::Jpeg,
            23,
        ),
        g(
            "trousers-chino",
            Bottom,
            Trousers,
            576,
            [176, 156, 118],
            Pattern::Plain,
            WHITE,
            GarmentFile::Jpeg,
            24,
        ),
        g(
            "jeans-blue",
            Bottom,
            Jeans,
            576,
            [52, 78, 122],
            Pattern::Plain,
            GREY,
            GarmentFile::Jpeg,
            25,
        ),
        g(
            "skirt-checks",
            Bottom,
            Skirt,
            768,
            [160, 36, 48],
            Pattern::Checks,
            WHITE,
            GarmentFile::Png,
            26,
        ),
        g(
            "dress-dots",
            OnePiece,
            Dress,
            576,
            [24, 40, 78],
            Pattern::Dots,
            WHITE,
            GarmentFile::Jpeg,
            27,
        ),
    ]
}

/// A garment's shape in pixels: outline, landmarks and the lines that details follow.
struct Shape {
    outline: Vec<P>,
    marks: GarmentLandmarks,
    /// Darker regions showing the inside of the garment (back of the neck).
    inside: Vec<Vec<P>>,
    /// Seams and hems: thin darker lines.
    seams: Vec<Vec<P>>,
    /// Visible stitching (dashed, contrasting on jeans).
    stitches: Vec<Vec<P>>,
    /// Separate panels drawn over the body: collar flaps, waistband, pockets.
    panels: Vec<(Vec<P>, f32)>,
    buttons: Vec<(P, f32)>,
    /// Where the chest print goes (centre, width).
    print: Option<(P, f32)>,
    /// Folds run mostly vertically (bottoms, skirts) rather than diagonally.
    vertical_folds: bool,
}

fn mirror(c: f32, pts: &[P]) -> Vec<P> {
    pts.iter().rev().map(|p| [2.0 * c - p[0], p[1]]).collect()
}

fn mid(a: P, b: P) -> P {
    [(a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5]
}

fn none_marks() -> GarmentLandmarks {
    GarmentLandmarks {
        neckline_left: None,
        neckline_right: None,
        shoulder_left: None,
        shoulder_right: None,
        sleeve_end_left: None,
        sleeve_end_right: None,
        hem_left: None,
        hem_right: None,
        waist_left: None,
        waist_right: None,
        leg_end_left: None,
        leg_end_right: None,
        mask_bbox: [0; 4],
    }
}

fn shape(spec: &GarmentSpec) -> Shape {
    let (w, h) = (spec.width as f32, spec.height as f32);
    let cx = w * 0.5;
    // Unit box: u in [-1, 1] across, v in [0, 1] down.
    let (hw, gh) = match spec.cut {
        Cut::TShirt | Cut::Shirt => (0.40 * w, 0.78 * h),
        Cut::LongSleeve => (0.42 * w, 0.82 * h),
        Cut::Trousers | Cut::Jeans => (0.40 * w, 0.86 * h),
        Cut::Skirt => (0.44 * w, 0.70 * h),
        Cut::Dress => (0.42 * w, 0.88 * h),
    };
    let y0 = (h - gh) * 0.5;
    let m = |u: f32, v: f32| -> P { [cx + u * hw, y0 + v * gh] };
    let mut s = Shape {
        outline: Vec::new(),
        marks: none_marks(),
        inside: Vec::new(),
        seams: Vec::new(),
        stitches: Vec::new(),
        panels: Vec::new(),
        buttons: Vec::new(),
        print: None,
        vertical_folds: false,
    };
    match spec.cut {
        Cut::TShirt | Cut::Shirt | Cut::LongSleeve => {
            let long = spec.cut == Cut::LongSleeve;
            let shirt = spec.cut == Cut::Shirt;
            let neck = m(0.20, 0.0);
            let shoulder = m(0.47, 0.07);
            let (outer, inner, underarm) = if long {
                (m(0.99, 0.80), m(0.80, 0.86), m(0.48, 0.30))
            } else {
                (m(0.98, 0.31), m(0.80, 0.45), m(0.50, 0.33))
            };
            let hem_v = if shirt { 0.93 } else { 1.0 };
            let hem = m(0.49, hem_v);
            // Right half from the neck to the hem centre, then mirrored.
            let mut right = vec![neck, shoulder];
            right.extend(
                spline(&[shoulder, mid(shoulder, outer), outer], 6)
                    .into_iter()
                    .skip(1),
            );
            right.push(inner);
            right.extend(
                spline(&[inner, underarm, m(0.50, 0.45), m(0.495, 0.75), hem], 10)
                    .into_iter()
                    .skip(1),
            );
            let hem_curve = if shirt {
                spline(&[hem, m(0.35, 0.99), m(0.0, 1.0)], 12)
            } else {
                spline(&[hem, m(0.25, 1.004), m(0.0, 1.008)], 12)
            };
            right.extend(hem_curve.into_iter().skip(1));
            let back_neck = spline(
                &[
                    m(-0.20, 0.0),
                    m(-0.1, 0.028),
                    m(0.0, 0.035),
                    m(0.1, 0.028),
                    neck,
                ],
                8,
            );
            let mut outline = right.clone();
            outline.pop();
            outline.extend(mirror(cx, &right));
            // Back neckline (the garment's top edge), image-left to right.
            outline.extend(
                back_neck
                    .iter()
                    .skip(1)
                    .take(back_neck.len().saturating_sub(2)),
            );
            s.outline = outline;
            let front_neck = spline(
                &[
                    m(-0.20, 0.0),
                    m(-0.13, 0.085),
                    m(0.0, 0.125),
                    m(0.13, 0.085),
                    neck,
                ],
                10,
            );
            let mut inside = back_neck.clone();
            inside.extend(front_neck.iter().rev().skip(1));
            s.inside.push(inside);
            if shirt {
                let collar = |sgn: f32| {
                    let pts = vec![
                        m(0.20 * sgn, -0.005),
                        m(0.26 * sgn, 0.06),
                        m(0.12 * sgn, 0.20),
                        m(0.015 * sgn, 0.13),
                        m(0.10 * sgn, 0.04),
                    ];
                    spline(&pts, 6)
                };
                s.panels.push((collar(-1.0), 1.04));
                s.panels.push((collar(1.0), 1.04));
                s.seams.push(vec![m(0.0, 0.13), m(0.0, 0.985)]);
                s.seams.push(vec![m(0.06, 0.14), m(0.06, 0.985)]);
                for i in 0..5 {
                    s.buttons.push((m(0.03, 0.2 + 0.17 * i as f32), 0.011 * w));
                }
            } else {
                s.panels
                    .push((stroke_outline(&front_neck, 0.012 * w), 0.93));
            }
            for sgn in [-1.0f32, 1.0] {
                let f = |p: P| [2.0 * cx - p[0], p[1]];
                let side = |p: P| if sgn < 0.0 { f(p) } else { p };
                s.seams.push(vec![side(neck), side(shoulder)]);
                s.seams.push(spline(
                    &[side(shoulder), side(m(0.50, 0.2)), side(underarm)],
                    6,
                ));
                let (o, i) = (side(outer), side(inner));
                let inset = |p: P, k: f32| -> P {
                    let c = side(if long { m(0.72, 0.60) } else { m(0.75, 0.33) });
                    [lerp(p[0], c[0], k), lerp(p[1], c[1], k)]
                };
                s.stitches.push(vec![inset(o, 0.10), inset(i, 0.10)]);
            }
            s.stitches.push(spline(
                &[
                    m(-0.48, hem_v - 0.03),
                    m(0.0, hem_v + 0.005 - 0.03),
                    m(0.48, hem_v - 0.03),
                ],
                12,
            ));
            s.marks.neckline_left = Some(m(-0.20, 0.0));
            s.marks.neckline_right = Some(neck);
            s.marks.shoulder_left = Some([2.0 * cx - shoulder[0], shoulder[1]]);
            s.marks.shoulder_right = Some(shoulder);
            let se = mid(outer, inner);
            s.marks.sleeve_end_left = Some([2.0 * cx - se[0], se[1]]);
            s.marks.sleeve_end_right = Some(se);
            s.marks.hem_left = Some([2.0 * cx - hem[0], hem[1]]);
            s.marks.hem_right = Some(hem);
            if spec.pattern == Pattern::Logo {
                s.print = Some((m(0.0, 0.30), 0.42 * hw));
            }
        }
        Cut::Trousers | Cut::Jeans => {
            let jeans = spec.cut == Cut::Jeans;
            let waist = m(0.78, 0.0);
            let (hem_out, hem_in, crotch_v) = if jeans {
                (m(0.74, 1.0), m(0.16, 1.0), 0.30)
            } else {
                (m(0.90, 1.0), m(0.10, 1.0), 0.33)
            };
            let right = spline(
                &[
                    waist,
                    m(0.86, 0.12),
                    m(0.90, 0.30),
                    m(0.86 - if jeans { 0.07 } else { 0.0 }, 0.65),
                    hem_out,
                ],
                12,
            );
            let inner = spline(
                &[hem_in, m(0.14, 0.62), m(0.06, 0.40), m(0.0, crotch_v)],
                12,
            );
            let mut outline = vec![m(0.0, -0.004)];
            outline.extend(right.iter().copied());
            outline.extend(inner.iter().copied());
            let left_leg: Vec<P> = outline
                .iter()
                .skip(1)
                .rev()
                .map(|p| [2.0 * cx - p[0], p[1]])
                .collect();
            outline.extend(left_leg.into_iter().skip(1));
            s.outline = outline;
            let band = 0.06;
            s.panels.push((
                vec![
                    m(-0.80, -0.002),
                    m(0.80, -0.002),
                    m(0.82, band),
                    m(-0.82, band),
                ],
                0.94,
            ));
            s.seams.push(vec![m(-0.82, band), m(0.82, band)]);
            s.seams.push(vec![m(0.0, band), m(0.0, crotch_v)]);
            s.stitches.push(spline(
                &[
                    m(0.0, band + 0.01),
                    m(0.16, band + 0.02),
                    m(0.17, 0.20),
                    m(0.03, 0.25),
                ],
                8,
            ));
            for sgn in [-1.0f32, 1.0] {
                let side = |p: P| {
                    if sgn < 0.0 {
                        [2.0 * cx - p[0], p[1]]
                    } else {
                        p
                    }
                };
                s.stitches.push(vec![
                    side([lerp(hem_out[0], hem_in[0], 0.0), hem_out[1] - 0.025 * gh]),
                    side([hem_in[0], hem_in[1] - 0.025 * gh]),
                ]);
                s.stitches.push(spline(
                    &[
                        side(m(0.50, band + 0.01)),
                        side(m(0.60, 0.15)),
                        side(m(0.84, 0.17)),
                    ],
                    8,
                ));
                for u in [0.25, 0.62] {
                    s.panels.push((
                        vec![
                            side(m(u - 0.035, -0.01)),
                            side(m(u + 0.035, -0.01)),
                            side(m(u + 0.035, band + 0.02)),
                            side(m(u - 0.035, band + 0.02)),
                        ],
                        0.9,
                    ));
                }
                if jeans {
                    s.buttons.push((side(m(0.55, band + 0.015)), 0.007 * w));
                    s.buttons.push((side(m(0.83, 0.17)), 0.007 * w));
                    s.stitches.push(spline(
                        &[
                            side(m(0.86, 0.12)),
                            side(m(0.84, 0.45)),
                            side(m(0.76, 0.97)),
                        ],
                        10,
                    ));
                } else {
                    // Pressed crease down the middle of each leg.
                    s.seams.push(spline(
                        &[side(m(0.47, 0.2)), side(m(0.50, 0.6)), side(m(0.51, 0.99))],
                        10,
                    ));
                }
                s.seams.push(vec![side(m(0.0, band)), side(m(0.0, band))]);
            }
            if jeans {
                s.buttons.push((m(0.0, band * 0.5), 0.014 * w));
            }
            s.marks.waist_left = Some([2.0 * cx - waist[0], waist[1]]);
            s.marks.waist_right = Some(waist);
            let le = mid(hem_out, hem_in);
            s.marks.leg_end_left = Some([2.0 * cx - le[0], le[1]]);
            s.marks.leg_end_right = Some(le);
            s.vertical_folds = true;
        }
        Cut::Skirt => {
            let waist = m(0.40, 0.0);
            let hem = m(0.96, 0.97);
            let right = spline(&[waist, m(0.47, 0.12), m(0.70, 0.55), hem], 12);
            let hem_curve = spline(&[hem, m(0.5, 0.995), m(0.0, 1.0)], 12);
            let mut half = vec![m(0.0, 0.0)];
            half.extend(right.iter().copied());
            half.extend(hem_curve.iter().skip(1).copied());
            let mut outline = half.clone();
            outline.pop();
            outline.extend(mirror(cx, &half).into_iter().skip(1));
            outline.pop();
            s.outline = outline;
            s.panels.push((
                vec![
                    m(-0.40, -0.002),
                    m(0.40, -0.002),
                    m(0.42, 0.07),
                    m(-0.42, 0.07),
                ],
                0.93,
            ));
            s.seams.push(vec![m(-0.42, 0.07), m(0.42, 0.07)]);
            s.stitches
                .push(spline(&[m(-0.95, 0.94), m(0.0, 0.972), m(0.95, 0.94)], 12));
            s.marks.waist_left = Some(m(-0.40, 0.0));
            s.marks.waist_right = Some(waist);
            s.marks.hem_left = Some(m(-0.96, 0.97));
            s.marks.hem_right = Some(hem);
            s.vertical_folds = true;
        }
        Cut::Dress => {
            let neck = m(0.16, 0.0);
            let shoulder = m(0.30, 0.0);
            let waist = m(0.30, 0.37);
            let hem = m(0.96, 0.985);
            let right = spline(
                &[
                    shoulder,
                    m(0.33, 0.09),
                    m(0.41, 0.17),
                    m(0.36, 0.27),
                    waist,
                    m(0.45, 0.50),
                    m(0.75, 0.80),
                    hem,
                ],
                10,
            );
            let hem_curve = spline(&[hem, m(0.5, 1.0), m(0.0, 1.004)], 12);
            let front_neck = spline(
                &[
                    m(-0.16, 0.0),
                    m(-0.10, 0.10),
                    m(0.0, 0.13),
                    m(0.10, 0.10),
                    neck,
                ],
                10,
            );
            let mut half = vec![neck];
            half.extend(right.iter().copied());
            half.extend(hem_curve.iter().skip(1).copied());
            let mut outline = half.clone();
            outline.pop();
            outline.extend(mirror(cx, &half));
            outline.extend(
                front_neck
                    .iter()
                    .skip(1)
                    .take(front_neck.len().saturating_sub(2)),
            );
            s.outline = outline;
            s.seams
                .push(spline(&[m(-0.30, 0.37), m(0.0, 0.385), waist], 10));
            s.stitches.push(spline(
                &[m(-0.94, 0.955), m(0.0, 0.975), m(0.94, 0.955)],
                12,
            ));
            s.marks.neckline_left = Some(m(-0.16, 0.0));
            s.marks.neckline_right = Some(neck);
            s.marks.shoulder_left = Some(m(-0.30, 0.0));
            s.marks.shoulder_right = Some(shoulder);
            s.marks.waist_left = Some(m(-0.30, 0.37));
            s.marks.waist_right = Some(waist);
            s.marks.hem_left = Some(m(-0.96, 0.985));
            s.marks.hem_right = Some(hem);
            s.vertical_folds = true;
        }
    }
    s
}

/// A soft wrinkle: a shadow line with a highlight beside it.
struct Fold {
    c: P,
    dir: P,
    half_len: f32,
    width: f32,
    depth: f32,
}

fn folds(spec: &GarmentSpec, vertical: bool) -> Vec<Fold> {
    let mut rng = Rng::new(spec.seed ^ 0xF01D);
    let (w, h) = (spec.width as f32, spec.height as f32);
    (0..7)
        .map(|_| {
            let angle = if vertical {
                rng.range(-0.25, 0.25) + std::f32::consts::FRAC_PI_2
            } else {
                rng.range(-0.9, 0.9)
            };
            Fold {
                c: [rng.range(0.25, 0.75) * w, rng.range(0.2, 0.85) * h],
                dir: [angle.cos(), angle.sin()],
                half_len: rng.range(0.08, 0.22) * h,
                width: rng.range(0.008, 0.02) * w,
                depth: rng.range(0.05, 0.11),
            }
        })
        .collect()
}

fn fold_shade(folds: &[Fold], x: f32, y: f32) -> f32 {
    let mut k = 1.0;
    for f in folds {
        let (dx, dy) = (x - f.c[0], y - f.c[1]);
        let along = dx * f.dir[0] + dy * f.dir[1];
        if along.abs() > f.half_len {
            continue;
        }
        let acrs = (-dx * f.dir[1] + dy * f.dir[0]) / f.width;
        let env = 1.0 - (along / f.half_len).powi(2);
        k += env * f.depth * (0.6 * (-(acrs - 1.2).powi(2)).exp() - (-(acrs * acrs)).exp());
    }
    k
}

/// Base fabric colour at a pixel (pattern, and twill for denim).
fn fabric(spec: &GarmentSpec, x: f32, y: f32) -> [f32; 3] {
    let base = rgbf(spec.colour);
    let white = [238.0, 236.0, 230.0];
    let l = spec.width.max(spec.height) as f32;
    let band = |v: f32, period: f32, duty: f32| {
        // Anti-aliased square wave: 1 inside the band.
        let p = (v / period).rem_euclid(1.0) * period;
        smoothstep(-0.5, 0.5, p) * smoothstep(duty * period + 0.5, duty * period - 0.5, p)
    };
    let col = match spec.pattern {
        Pattern::Plain | Pattern::Logo => base,
        Pattern::Stripes => {
            let t = band(x, 0.034 * l, 0.42);
            crate::raster::mix(white, base, t)
        }
        Pattern::Checks => {
            let p = 0.05 * l;
            let a = band(x, p, 0.5);
            let b = band(y, p, 0.5);
            let t = 0.5 * a + 0.5 * b;
            crate::raster::mix(white, base, t.max(a * b))
        }
        Pattern::Dots => {
            let p = 0.045 * l;
            let row = (y / p).floor();
            let ox = if row as i64 % 2 == 0 { 0.0 } else { 0.5 * p };
            let dx = ((x + ox) / p).rem_euclid(1.0) * p - 0.5 * p;
            let dy = (y / p).rem_euclid(1.0) * p - 0.5 * p;
            let d = (dx * dx + dy * dy).sqrt();
            crate::raster::mix(base, white, smoothstep(0.13 * p + 0.5, 0.13 * p - 0.5, d))
        }
    };
    if spec.cut == Cut::Jeans {
        // Diagonal twill and slub: darker ridges and slightly lighter weft.
        let twill = ((x + y) * 0.9).sin() * 0.5 + 0.5;
        let slub = value_noise(x / 40.0, y / 3.0, spec.seed);
        return scale(col, 0.88 + 0.12 * twill * 0.6 + 0.2 * (slub - 0.5));
    }
    col
}

/// Renders one garment product shot (on its backdrop) and the landmarks of what it drew.
pub fn render_garment(spec: &GarmentSpec) -> (RgbImage, GarmentLandmarks) {
    let r = render(spec);
    let mut img = RgbImage::new(spec.width, spec.height);
    for (i, p) in img.pixels_mut().enumerate() {
        let c = r.cov[i];
        let (f, b) = (r.fabric[i], r.backdrop[i]);
        *p = Rgb([
            q(lerp(b[0], f[0], c)),
            q(lerp(b[1], f[1], c)),
            q(lerp(b[2], f[2], c)),
        ]);
    }
    (img, r.marks)
}

/// Renders the garment already cut out: fabric colour with alpha = coverage, fully transparent
/// (and black) elsewhere.
pub fn render_garment_cutout(spec: &GarmentSpec) -> (RgbaImage, GarmentLandmarks) {
    let r = render(spec);
    let mut img = RgbaImage::new(spec.width, spec.height);
    for (i, p) in img.pixels_mut().enumerate() {
        let a = q(r.cov[i] * 255.0);
        let f = r.fabric[i];
        *p = if a == 0 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([q(f[0]), q(f[1]), q(f[2]), a])
        };
    }
    (img, r.marks)
}

struct Rendered {
    cov: Vec<f32>,
    fabric: Vec<[f32; 3]>,
    backdrop: Vec<[f32; 3]>,
    marks: GarmentLandmarks,
}

fn render(spec: &GarmentSpec) -> Rendered {
    let (w, h) = (spec.width as usize, spec.height as usize);
    let l = spec.width.max(spec.height) as f32;
    let shape = shape(spec);
    let mask = Mask::polygon(&shape.outline);
    let mut cov = vec![0.0f32; w * h];
    mask.for_each(spec.width, spec.height, |x, y, c| {
        cov[y as usize * w + x as usize] = c
    });

    let mut bbox = [u32::MAX, u32::MAX, 0, 0];
    for y in 0..h {
        for x in 0..w {
            if cov[y * w + x] >= 0.5 {
                bbox = [
                    bbox[0].min(x as u32),
                    bbox[1].min(y as u32),
                    bbox[2].max(x as u32 + 1),
                    bbox[3].max(y as u32 + 1),
                ];
            }
        }
    }
    let mut marks = shape.marks;
    marks.mask_bbox = if bbox[0] == u32::MAX { [0; 4] } else { bbox };

    // Thickness at the edges and the drop shadow both come from blurred coverage.
    let edge = blur(&cov, w, h, (0.006 * l) as usize);
    let (sx, sy) = ((0.008 * l) as usize, (0.012 * l) as usize);
    let mut shifted = vec![0.0f32; w * h];
    for y in sy..h {
        for x in sx..w {
            shifted[y * w + x] = cov[(y - sy) * w + (x - sx)];
        }
    }
    let shadow = blur(&shifted, w, h, (0.012 * l) as usize);

    let bg = rgbf(spec.background);
    let plain_white = spec.background == WHITE;
    let mut rng = Rng::new(spec.seed);
    let mut backdrop = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let g = if plain_white {
                1.0
            } else {
                1.015 - 0.03 * (y as f32 / h as f32)
            };
            let grain = if plain_white { 0.0 } else { rng.gauss() * 0.8 };
            let k = g * (1.0 - 0.13 * shadow[y * w + x]);
            backdrop.push([bg[0] * k + grain, bg[1] * k + grain, bg[2] * k + grain]);
        }
    }

    let fold_list = folds(spec, shape.vertical_folds);
    let mut fab = Canvas::new(spec.width, spec.height, |x, y| {
        let i = y as usize * w + x as usize;
        if cov[i] <= 0.0 {
            return [0.0; 3];
        }
        let light = 1.04 - 0.07 * (x / w as f32 * 0.6 + y / h as f32 * 0.4);
        let thickness = 0.86 + 0.14 * smoothstep(0.45, 0.95, edge[i]);
        let soft = 1.0 + 0.05 * (value_noise(x / (0.08 * l), y / (0.08 * l), spec.seed ^ 3) - 0.5);
        scale(
            fabric(spec, x, y),
            light * thickness * soft * fold_shade(&fold_list, x, y),
        )
    });

    for inside in &shape.inside {
        fab.paint(&Mask::polygon(inside), |x, y| {
            (scale(fabric(spec, x, y), 0.62), 1.0)
        });
    }
    for (panel, k) in &shape.panels {
        fab.paint(&Mask::polygon(panel), |x, y| {
            let f = fold_shade(&fold_list, x, y);
            (scale(fabric(spec, x, y), k * f), 1.0)
        });
        fab.paint(&Mask::polygon(&closed_stroke(panel, 0.0012 * l)), |x, y| {
            (scale(fabric(spec, x, y), 0.7), 0.6)
        });
    }
    for seam in &shape.seams {
        fab.paint(&Mask::polygon(&stroke_outline(seam, 0.0012 * l)), |x, y| {
            (scale(fabric(spec, x, y), 0.62), 0.7)
        });
    }
    let thread = if spec.cut == Cut::Jeans {
        [196.0, 138.0, 62.0]
    } else {
        scale(rgbf(spec.colour), 0.75)
    };
    for line in &shape.stitches {
        for dash in dashes(line, 0.010 * l, 0.006 * l) {
            fab.paint(
                &Mask::polygon(&stroke_outline(&dash, 0.0011 * l)),
                |_, _| (thread, 0.85),
            );
        }
    }
    for (c, r) in &shape.buttons {
        let (c, r) = (*c, *r);
        let metal = spec.cut == Cut::Jeans;
        let base = if metal {
            [176.0, 150.0, 98.0]
        } else {
            [236.0, 234.0, 226.0]
        };
        fab.paint(
            &Mask::polygon(&ellipse_outline(
                [c[0] + 0.3 * r, c[1] + 0.4 * r],
                [r, r],
                48,
            )),
            |_, _| ([20.0; 3], 0.25),
        );
        fab.paint(&Mask::polygon(&ellipse_outline(c, [r, r], 48)), |x, y| {
            let d = ((x - c[0] + 0.35 * r).powi(2) + (y - c[1] + 0.35 * r).powi(2)).sqrt() / r;
            (scale(base, 1.1 - 0.35 * d.min(1.0)), 1.0)
        });
    }
    if let Some((c, width)) = shape.print {
        logo::print(&mut fab, c, width, spec.seed);
    }
    Rendered {
        cov,
        fabric: fab.px,
        backdrop,
        marks,
    }
}

/// Stroke along a closed outline.
fn closed_stroke(pts: &[P], hw: f32) -> Vec<P> {
    let mut p = pts.to_vec();
    if let Some(first) = pts.first() {
        p.push(*first);
    }
    stroke_outline(&p, hw)
}

/// Splits a polyline into dashes of length `on` separated by `off`.
fn dashes(line: &[P], on: f32, off: f32) -> Vec<Vec<P>> {
    let mut out = Vec::new();
    let mut cur: Vec<P> = Vec::new();
    let mut pos = 0.0f32;
    let period = on + off;
    for win in line.windows(2) {
        let (a, b) = (win[0], win[1]);
        let len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        let steps = (len / 1.0).ceil().max(1.0) as usize;
        for k in 0..steps {
            let t = k as f32 / steps as f32;
            let p = [lerp(a[0], b[0], t), lerp(a[1], b[1], t)];
            let drawing = pos.rem_euclid(period) < on;
            if drawing {
                cur.push(p);
            } else if cur.len() >= 2 {
                out.push(std::mem::take(&mut cur));
            } else {
                cur.clear();
            }
            pos += len / steps as f32;
        }
    }
    if cur.len() >= 2 {
        out.push(cur);
    }
    out
}
