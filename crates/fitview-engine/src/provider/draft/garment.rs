//! Garment analysis: the category from the silhouette (for `auto`) and garment landmarks per
//! category, read from the matte's row runs.
//!
//! Product shots are flat lays or ghost-mannequin shots, upright and roughly symmetric:
//!
//! - **tops**: the neckline corners are the inner edges of the two shoulder runs at the top (the
//!   back neck dips between them); the body's width is measured below the sleeves; the shoulder
//!   seam ends where that width meets the top edge; underarms are where the body's sides,
//!   followed upwards, jump out into the sleeves; a sleeve's end is the far end of the pixels
//!   outside the body, along the line from the shoulder through their centroid;
//! - **bottoms**: the waistband corners are the top row's ends; trousers have two leg runs at the
//!   bottom (their corners are the leg openings) and a crotch where the gap between them closes;
//!   skirts have one hem run;
//! - **one-pieces**: neckline and straps (or sleeves) as for tops, the waist at the narrowest row of
//!   the upper half, the hem at the bottom.

use serde_json::{Map, Value, json};

use super::silhouette::{Mask, P, Run, dist, median, side_junctions};
use crate::error::{Error, Result};
use crate::request::GarmentCategory;

/// The far end of a sleeve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SleeveEnd {
    /// Middle of the opening.
    pub mid: P,
    /// Corner of the opening further from the garment's centre line.
    pub outer: P,
    /// The other corner.
    pub inner: P,
}

/// A trouser leg's opening.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LegEnd {
    /// Corner on the outside seam.
    pub outer: P,
    /// Corner on the inside seam.
    pub inner: P,
}

/// How a garment is laid out, in garment-canvas pixels.
#[derive(Debug, Clone)]
pub(crate) struct GarmentShape {
    /// The category fitted (`auto` resolved).
    pub category: GarmentCategory,
    /// Whether the category was read from the silhouette.
    pub detected: bool,
    mask: Mask,
    /// Inclusive bounding box `(x0, y0, x1, y1)`.
    pub bbox: (f32, f32, f32, f32),
    /// The garment's centre line.
    pub centre_x: f32,
    pub neckline: Option<[P; 2]>,
    pub shoulders: Option<[P; 2]>,
    pub underarms: Option<[P; 2]>,
    pub sleeves: Option<[SleeveEnd; 2]>,
    pub waist: Option<[P; 2]>,
    pub hem: Option<[P; 2]>,
    pub crotch: Option<P>,
    pub leg_ends: Option<[LegEnd; 2]>,
}

fn no_garment(why: &str) -> Error {
    Error::invalid_input(format!("garment photo: {why}"))
}

/// Light parts of a garment that touch its outline (white stripes on a light backdrop) can be
/// taken for backdrop by the matte, leaving the garment see-through in stripes. When most rows of
/// the garment's middle show at least this many runs, the narrow gaps between them are filled.
const STRIPED_RUNS: usize = 4;
/// Widest gap filled, as a share of the garment's width.
const STRIPE_GAP: f32 = 0.04;

/// Fills the narrow gaps of a striped matte with the garment's light colour (the median of its
/// bright opaque pixels); `None` when the matte is not striped.
pub(crate) fn repair_striped_matte(image: &image::RgbaImage) -> Option<image::RgbaImage> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let alpha: Vec<u8> = image.pixels().map(|p| p.0[3]).collect();
    let mask = Mask::from_alpha(&alpha, w, h, 128);
    let (x0, y0, x1, y1) = mask.bbox()?;
    let max_gap = ((x1 - x0) as f32 * STRIPE_GAP).max(2.0) as usize;
    let rows: Vec<usize> = (0..=50).map(|i| y0 + (y1 - y0) * (30 + i) / 100).collect();
    let striped = rows
        .iter()
        .filter(|&&y| mask.runs(y).iter().filter(|r| r.end - r.start >= 2).count() >= STRIPED_RUNS)
        .count();
    if striped * 2 < rows.len() {
        return None;
    }
    let mut light: [Vec<f32>; 3] = Default::default();
    for p in image.pixels().filter(|p| p.0[3] == 255) {
        let [r, g, b, _] = p.0;
        if u16::from(r) + u16::from(g) + u16::from(b) >= 600 {
            for (c, v) in light.iter_mut().zip([r, g, b]) {
                c.push(f32::from(v));
            }
        }
    }
    if light[0].len() < 100 {
        return None;
    }
    let [r, g, b] = &mut light;
    let fill = [median(r)?, median(g)?, median(b)?];
    let mut out = image.clone();
    for y in y0..=y1 {
        let runs = mask.runs(y);
        for pair in runs.windows(2) {
            let (start, end) = (pair[0].end, pair[1].start);
            if end - start > max_gap {
                continue;
            }
            for x in start..end {
                let px = out.get_pixel_mut(x as u32, y as u32);
                let a = f32::from(px.0[3]) / 255.0;
                for (channel, fill) in px.0.iter_mut().zip(fill) {
                    *channel = (f32::from(*channel) * a + fill * (1.0 - a)).round() as u8;
                }
                px.0[3] = 255;
            }
        }
    }
    Some(out)
}

/// Reads the garment's category (when `auto`) and landmarks from its matte.
pub(crate) fn analyse(image: &image::RgbaImage, category: GarmentCategory) -> Result<GarmentShape> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let alpha: Vec<u8> = image.pixels().map(|p| p.0[3]).collect();
    let mut mask = Mask::from_alpha(&alpha, w, h, 128);
    let area = mask.keep_largest_component();
    let total = (w * h).max(1);
    if area * 200 < total {
        return Err(no_garment("no garment found: the cut-out is empty or tiny"));
    }
    let Some((x0, y0, x1, y1)) = mask.bbox() else {
        return Err(no_garment("no garment found"));
    };
    if area * 100 > total * 97 {
        return Err(no_garment(
            "no garment cut-out: the whole image is opaque (the backdrop could not be removed)",
        ));
    }
    let bbox = (x0 as f32, y0 as f32, x1 as f32, y1 as f32);
    let mut shape = GarmentShape {
        category,
        detected: false,
        mask,
        bbox,
        centre_x: (x0 + x1) as f32 * 0.5,
        neckline: None,
        shoulders: None,
        underarms: None,
        sleeves: None,
        waist: None,
        hem: None,
        crotch: None,
        leg_ends: None,
    };
    if category == GarmentCategory::Auto {
        shape.category = shape.classify();
        shape.detected = true;
    }
    match shape.category {
        GarmentCategory::Bottom => shape.read_bottom(),
        GarmentCategory::OnePiece => shape.read_one_piece(),
        _ => shape.read_top(),
    }
    .ok_or_else(|| {
        no_garment(&format!(
            "its outline does not look like a {} laid flat",
            shape.category
        ))
    })?;
    Ok(shape)
}

impl GarmentShape {
    fn height(&self) -> f32 {
        self.bbox.3 - self.bbox.1
    }

    fn width(&self) -> f32 {
        self.bbox.2 - self.bbox.0
    }

    fn row_at(&self, f: f32) -> usize {
        (self.bbox.1 + f * self.height())
            .round()
            .clamp(self.bbox.1, self.bbox.3) as usize
    }

    /// Runs of a row wider than a speck.
    fn solid_runs(&self, y: usize) -> Vec<Run> {
        let min = (0.02 * self.width()).max(2.0);
        self.mask
            .runs(y)
            .into_iter()
            .filter(|r| r.width() >= min)
            .collect()
    }

    /// Ends of the whole row `(first left, last right)`.
    fn extent(&self, y: usize) -> Option<(f32, f32)> {
        let runs = self.solid_runs(y);
        Some((runs.first()?.left(), runs.last()?.right()))
    }

    /// The body's sides at row `y`: the run on the centre line, or the row's ends when the centre
    /// is open (a neckline, the gap between legs).
    pub fn sides_at(&self, y: f32) -> Option<(f32, f32)> {
        let y = y.round().clamp(self.bbox.1, self.bbox.3) as usize;
        match self.mask.run_at(y, self.centre_x) {
            Some(run) => Some((run.left(), run.right())),
            None => self.extent(y),
        }
    }

    /// The two leg runs at row `y` (trousers), left then right.
    pub fn legs_at(&self, y: f32) -> Option<[Run; 2]> {
        let y = y.round().clamp(self.bbox.1, self.bbox.3) as usize;
        let runs = self.solid_runs(y);
        let left = runs
            .iter()
            .rev()
            .find(|r| r.centre() < self.centre_x)
            .copied()?;
        let right = runs.iter().find(|r| r.centre() > self.centre_x).copied()?;
        Some([left, right])
    }

    fn two_legs_at_bottom(&self) -> bool {
        let y = self.row_at(0.97);
        let runs = self.solid_runs(y);
        runs.len() >= 2
            && runs.first().is_some_and(|r| r.right() < self.centre_x)
            && runs.last().is_some_and(|r| r.left() > self.centre_x)
    }

    /// Two runs at the top with the centre open between them: straps or a neck opening.
    fn open_top(&self, f: f32) -> Option<(Run, Run)> {
        let runs = self.solid_runs(self.row_at(f));
        let left = runs
            .iter()
            .rev()
            .find(|r| r.right() < self.centre_x)
            .copied()?;
        let right = runs.iter().find(|r| r.left() > self.centre_x).copied()?;
        Some((left, right))
    }

    /// Top, bottom or one-piece from the outline alone: two legs at the bottom make trousers; a
    /// widest part above the hem means sleeves (a top, or a dress when much taller than wide);
    /// otherwise straps or a neck opening, or a waisted tall outline, make a one-piece (or a
    /// sleeveless top when short), and a plain waistband a skirt.
    fn classify(&self) -> GarmentCategory {
        if self.two_legs_at_bottom() {
            return GarmentCategory::Bottom;
        }
        let (w, h) = (self.width(), self.height());
        let widest = |from: usize, to: usize| {
            (from..=to)
                .filter_map(|i| self.extent(self.row_at(i as f32 / 100.0)))
                .map(|(l, r)| r - l)
                .fold(0.0, f32::max)
        };
        let (overall, bottom) = (widest(0, 100), widest(90, 98));
        if overall > 1.2 * bottom {
            return if h >= 1.45 * w {
                GarmentCategory::OnePiece
            } else {
                GarmentCategory::Top
            };
        }
        let open = self
            .open_top(0.03)
            .is_some_and(|(l, r)| r.left() - l.right() > 0.1 * w);
        if open {
            return if h >= 1.4 * w {
                GarmentCategory::OnePiece
            } else {
                GarmentCategory::Top
            };
        }
        let waisted = self.narrowest_row(0.15, 0.6).is_some_and(|(_, width)| {
            self.extent(self.row_at(0.06))
                .is_some_and(|(l, r)| width < 0.9 * (r - l))
        });
        if h >= 1.25 * w && waisted {
            GarmentCategory::OnePiece
        } else {
            GarmentCategory::Bottom
        }
    }

    /// The narrowest body row between fractions `from` and `to` of the height: `(y, width)`.
    fn narrowest_row(&self, from: f32, to: f32) -> Option<(usize, f32)> {
        let (a, b) = (self.row_at(from), self.row_at(to));
        let rows: Vec<(usize, f32)> = (a..=b)
            .filter_map(|y| self.sides_at(y as f32).map(|(l, r)| (y, r - l)))
            .collect();
        let min = rows.iter().map(|r| r.1).fold(f32::MAX, f32::min);
        let plateau: Vec<&(usize, f32)> = rows.iter().filter(|r| r.1 <= min + 1.0).collect();
        plateau.get(plateau.len() / 2).map(|r| (r.0, r.1))
    }

    /// Neckline corners: inner edges of the two top runs, or around the centre of a flat top edge.
    fn read_neckline(&mut self, body_half: f32) -> Option<()> {
        let f = (3.0 / self.height()).max(0.012);
        let y = self.row_at(f) as f32;
        self.neckline = Some(match self.open_top(f) {
            Some((l, r)) => [[l.right(), y], [r.left(), y]],
            None => {
                let half = 0.4 * body_half;
                [
                    [self.centre_x - half, self.bbox.1],
                    [self.centre_x + half, self.bbox.1],
                ]
            }
        });
        Some(())
    }

    /// Hem corners: the lowest points of the sides before they turn inward along the hem (a
    /// shirt tail curves up at the sides; a straight hem turns at the bottom row).
    fn read_hem(&mut self) -> Option<()> {
        let bottom = self.bbox.3 as usize;
        let from = self.row_at(0.8);
        let (l0, r0) = self.sides_at(from as f32)?;
        let turn = (0.015 * self.width()).max(2.0);
        let mut corners = [[l0, from as f32], [r0, from as f32]];
        let (mut open_l, mut open_r) = (true, true);
        let (mut outer_l, mut outer_r) = (l0, r0);
        for y in from..=bottom {
            let Some((l, r)) = self.sides_at(y as f32) else {
                break;
            };
            outer_l = outer_l.min(l);
            outer_r = outer_r.max(r);
            open_l &= l <= outer_l + turn;
            open_r &= r >= outer_r - turn;
            if open_l {
                corners[0] = [l, y as f32];
            }
            if open_r {
                corners[1] = [r, y as f32];
            }
        }
        self.hem = Some(corners);
        Some(())
    }

    /// Body width below the sleeves: `(centre, half width)`.
    fn body_below_sleeves(&self) -> Option<(f32, f32)> {
        let (mut centres, mut halves) = (Vec::new(), Vec::new());
        for i in 55..=70 {
            let y = self.row_at(i as f32 / 100.0);
            if let Some(run) = self.mask.run_at(y, self.centre_x) {
                centres.push(run.centre());
                halves.push(run.width() * 0.5);
            }
        }
        Some((median(&mut centres)?, median(&mut halves)?))
    }

    fn read_top(&mut self) -> Option<()> {
        let (cx, body_half) = self.body_below_sleeves()?;
        self.centre_x = cx;
        let widest_upper = (5..=50)
            .filter_map(|i| self.extent(self.row_at(i as f32 / 100.0)))
            .map(|(l, r)| r - l)
            .fold(0.0, f32::max);
        let sleeved = widest_upper > 1.25 * 2.0 * body_half;
        self.read_neckline(body_half)?;
        self.read_upper_body(cx, body_half, sleeved, self.row_at(0.6))?;
        self.read_hem()
    }

    /// Shoulders, underarms and sleeve ends, given the body's centre and half width.
    fn read_upper_body(
        &mut self,
        cx: f32,
        body_half: f32,
        sleeved: bool,
        body_row: usize,
    ) -> Option<()> {
        let top = self.bbox.1 as usize;
        if sleeved {
            let xs = [cx - 0.96 * body_half, cx + 0.96 * body_half];
            let ys = xs.map(|x| {
                self.mask
                    .column_top(x.round() as usize, top)
                    .map(|y| y as f32)
            });
            self.shoulders = Some([[xs[0], ys[0]?], [xs[1], ys[1]?]]);
            let [l, r] = side_junctions(&self.mask, body_row, top, cx);
            self.underarms = Some([l?, r?]);
            let shoulders = self.shoulders?;
            let underarms = self.underarms?;
            self.sleeves = Some([
                self.sleeve_end(shoulders[0], underarms[0], -1.0)?,
                self.sleeve_end(shoulders[1], underarms[1], 1.0)?,
            ]);
        } else {
            let f = (3.0 / self.height()).max(0.012);
            let y = self.row_at(f) as f32;
            let (l, r) = match self.open_top(f) {
                Some((l, r)) => (l.left(), r.right()),
                None => self.extent(y as usize)?,
            };
            self.shoulders = Some([[l, y], [r, y]]);
            // The armhole's low point, a third of the way from the shoulder to the body row.
            let ua_y = y + 0.3 * (body_row as f32 - y);
            let (sl, sr) = self.sides_at(ua_y)?;
            self.underarms = Some([[sl, ua_y], [sr, ua_y]]);
        }
        Some(())
    }

    /// The far end of the sleeve on `side`: pixels outside the body line, at the far end of the
    /// axis from the armhole's middle (between shoulder and underarm) through them. The axis is
    /// refined once through the end found, so an opening cut at a slant is still centred.
    fn sleeve_end(&self, shoulder: P, underarm: P, side: f32) -> Option<SleeveEnd> {
        let h = self.mask.height;
        // Above the underarm, the sleeve is what lies beyond it; below, the runs beside the body.
        let mut pixels: Vec<P> = Vec::new();
        for y in (self.bbox.1 as usize)..=(self.bbox.3 as usize).min(h - 1) {
            let yf = y as f32;
            for run in self.mask.runs(y) {
                if yf > underarm[1] && run.left() <= self.centre_x && run.right() >= self.centre_x {
                    continue;
                }
                for x in run.start..run.end {
                    if (x as f32 - underarm[0]) * side > 1.0 {
                        pixels.push([x as f32, yf]);
                    }
                }
            }
        }
        if pixels.len() < 16 {
            return None;
        }
        let mean = |ps: &[&P]| {
            let n = ps.len().max(1) as f32;
            [
                ps.iter().map(|p| p[0]).sum::<f32>() / n,
                ps.iter().map(|p| p[1]).sum::<f32>() / n,
            ]
        };
        let armhole = [
            (shoulder[0] + underarm[0]) * 0.5,
            (shoulder[1] + underarm[1]) * 0.5,
        ];
        let mut through = mean(&pixels.iter().collect::<Vec<_>>());
        let band = (0.03 * self.height()).max(3.0);
        let mut end: Vec<&P> = Vec::new();
        let mut axis = [0.0, 1.0];
        for _ in 0..3 {
            let len = dist(through, armhole).max(1.0);
            axis = [
                (through[0] - armhole[0]) / len,
                (through[1] - armhole[1]) / len,
            ];
            let along = |p: &P| (p[0] - armhole[0]) * axis[0] + (p[1] - armhole[1]) * axis[1];
            let far = pixels.iter().map(along).fold(f32::MIN, f32::max);
            end = pixels.iter().filter(|p| along(p) >= far - band).collect();
            through = mean(&end);
        }
        let mid = through;
        let across = |p: &&P| (p[0] - mid[0]) * -axis[1] + (p[1] - mid[1]) * axis[0];
        let a = end
            .iter()
            .copied()
            .min_by(|p, q| across(p).total_cmp(&across(q)))?;
        let b = end
            .iter()
            .copied()
            .max_by(|p, q| across(p).total_cmp(&across(q)))?;
        let (outer, inner) = if (a[0] - self.centre_x).abs() >= (b[0] - self.centre_x).abs() {
            (*a, *b)
        } else {
            (*b, *a)
        };
        Some(SleeveEnd { mid, outer, inner })
    }

    fn read_bottom(&mut self) -> Option<()> {
        let f = (3.0 / self.height()).max(0.012);
        let y = self.row_at(f) as f32;
        let (l, r) = self.extent(y as usize)?;
        self.centre_x = (l + r) * 0.5;
        self.waist = Some([[l, y], [r, y]]);
        if self.two_legs_at_bottom() {
            let yb = self.bbox.3 - (0.01 * self.height()).max(2.0);
            let [left, right] = self.legs_at(yb)?;
            self.leg_ends = Some([
                LegEnd {
                    outer: [left.left(), yb],
                    inner: [left.right(), yb],
                },
                LegEnd {
                    outer: [right.right(), yb],
                    inner: [right.left(), yb],
                },
            ]);
            let gap_x = (left.right() + right.left()) * 0.5;
            let top = self.bbox.1 as usize;
            let crotch = (top..yb as usize)
                .rev()
                .find(|&y| self.mask.get(gap_x.round() as usize, y))?;
            self.crotch = Some([gap_x, crotch as f32]);
            Some(())
        } else {
            self.read_hem()
        }
    }

    fn read_one_piece(&mut self) -> Option<()> {
        let (waist_y, waist_width) = self.narrowest_row(0.15, 0.6)?;
        let (wl, wr) = self.sides_at(waist_y as f32)?;
        self.centre_x = (wl + wr) * 0.5;
        let body_half = waist_width * 0.5;
        let widest_upper = (5..=45)
            .filter_map(|i| self.extent(self.row_at(i as f32 / 100.0)))
            .map(|(l, r)| r - l)
            .fold(0.0, f32::max);
        let sleeved = widest_upper > 1.6 * waist_width;
        self.read_neckline(body_half * 1.2)?;
        self.read_upper_body(self.centre_x, body_half * 1.1, sleeved, waist_y)?;
        self.waist = Some([[wl, waist_y as f32], [wr, waist_y as f32]]);
        self.read_hem()
    }

    /// Whether garment pixel `(x, y)` belongs to a sleeve rather than the body: outside the line
    /// from an underarm down to the hem's corner (or straight down, without a hem).
    pub fn is_sleeve(&self, x: f32, y: f32) -> bool {
        let (Some(ua), Some(_)) = (self.underarms, self.sleeves) else {
            return false;
        };
        let hem = self
            .hem
            .unwrap_or([[ua[0][0], self.bbox.3], [ua[1][0], self.bbox.3]]);
        let side_x = |k: usize| {
            let (a, b) = (ua[k], hem[k]);
            if y <= a[1] || b[1] <= a[1] {
                a[0]
            } else {
                a[0] + (b[0] - a[0]) * ((y - a[1]) / (b[1] - a[1])).min(1.0)
            }
        };
        x < side_x(0) - 1.0 || x > side_x(1) + 1.0
    }

    /// The garment's landmarks for the result's metadata (garment-canvas pixels).
    pub fn report(&self) -> Map<String, Value> {
        let mut out = Map::new();
        let p = |p: P| json!([(p[0] * 10.0).round() / 10.0, (p[1] * 10.0).round() / 10.0]);
        let mut pair = |name: &str, v: Option<[P; 2]>| {
            if let Some([a, b]) = v {
                out.insert(format!("{name}_left"), p(a));
                out.insert(format!("{name}_right"), p(b));
            }
        };
        pair("neckline", self.neckline);
        pair("shoulder", self.shoulders);
        pair("underarm", self.underarms);
        pair("sleeve_end", self.sleeves.map(|s| s.map(|e| e.mid)));
        pair("waist", self.waist);
        pair("hem", self.hem);
        pair(
            "leg_end",
            self.leg_ends
                .map(|l| l.map(|e| [(e.outer[0] + e.inner[0]) * 0.5, e.outer[1]])),
        );
        if let Some(c) = self.crotch {
            out.insert("crotch".to_owned(), p(c));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn fixture(name: &str) -> (image::RgbaImage, serde_json::Value) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/garments/");
        let file = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let f = p.file_name().unwrap().to_string_lossy().into_owned();
                f.starts_with(&format!("{name}.")) && !f.ends_with(".json")
            })
            .unwrap();
        let img = crate::pipeline::prepare_garment(
            &std::fs::read(file).unwrap(),
            &Limits::default(),
            (1024, 1024),
        )
        .unwrap();
        let img = repair_striped_matte(&img).unwrap_or(img);
        let truth =
            serde_json::from_slice(&std::fs::read(format!("{dir}{name}.landmarks.json")).unwrap())
                .unwrap();
        (img, truth)
    }

    /// A fixture garment cut out exactly by the generator, fitted into the canvas by the pipeline,
    /// with its ground truth: tests the landmark reading, not the matte.
    fn cutout(name: &str) -> (image::RgbaImage, fitview_fixtures::GarmentLandmarks) {
        let spec = fitview_fixtures::garment_specs()
            .into_iter()
            .find(|s| s.id == name)
            .unwrap();
        let (img, marks) = fitview_fixtures::render_garment_cutout(&spec);
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let img = crate::pipeline::prepare_garment(png.get_ref(), &Limits::default(), (1024, 1024))
            .unwrap();
        (img, marks)
    }

    /// Maps a ground-truth point from the product photo into the canvas through the two
    /// bounding boxes (the pipeline crops and scales uniformly).
    fn to_canvas(
        truth: &fitview_fixtures::GarmentLandmarks,
        shape: &GarmentShape,
        p: Option<[f32; 2]>,
    ) -> P {
        let b = truth.mask_bbox.map(|v| v as f32);
        let s = (shape.bbox.3 - shape.bbox.1 + 1.0) / (b[3] - b[1]);
        let [x, y] = p.unwrap();
        [shape.bbox.0 + (x - b[0]) * s, shape.bbox.1 + (y - b[1]) * s]
    }

    #[test]
    fn categories_are_read_from_the_outline() {
        for (name, want) in [
            ("tshirt-plain", GarmentCategory::Top),
            ("longsleeve-logo", GarmentCategory::Top),
            ("shirt-striped", GarmentCategory::Top),
            ("trousers-chino", GarmentCategory::Bottom),
            ("jeans-blue", GarmentCategory::Bottom),
            ("skirt-checks", GarmentCategory::Bottom),
            ("dress-dots", GarmentCategory::OnePiece),
        ] {
            let (img, _) = fixture(name);
            let shape = analyse(&img, GarmentCategory::Auto).unwrap();
            assert_eq!(shape.category, want, "{name}");
            assert!(shape.detected);
        }
    }

    #[test]
    fn garment_landmarks_are_near_the_fixtures_ground_truth() {
        type Pick = fn(&GarmentShape) -> Option<[P; 2]>;
        type Truth = fn(&fitview_fixtures::GarmentLandmarks) -> [Option<[f32; 2]>; 2];
        let neckline: (Pick, Truth) = (|s| s.neckline, |t| [t.neckline_left, t.neckline_right]);
        let shoulders: (Pick, Truth) = (|s| s.shoulders, |t| [t.shoulder_left, t.shoulder_right]);
        let hem: (Pick, Truth) = (|s| s.hem, |t| [t.hem_left, t.hem_right]);
        let sleeves: (Pick, Truth) = (
            |s| s.sleeves.map(|e| e.map(|e| e.mid)),
            |t| [t.sleeve_end_left, t.sleeve_end_right],
        );
        let waist: (Pick, Truth) = (|s| s.waist, |t| [t.waist_left, t.waist_right]);
        let legs: (Pick, Truth) = (
            |s| {
                s.leg_ends
                    .map(|l| l.map(|e| [(e.outer[0] + e.inner[0]) * 0.5, e.outer[1]]))
            },
            |t| [t.leg_end_left, t.leg_end_right],
        );
        type Case = (&'static str, GarmentCategory, Vec<(Pick, Truth)>);
        let cases: [Case; 7] = [
            (
                "tshirt-plain",
                GarmentCategory::Top,
                vec![neckline, shoulders, hem, sleeves],
            ),
            (
                "longsleeve-logo",
                GarmentCategory::Top,
                vec![neckline, shoulders, hem, sleeves],
            ),
            (
                "shirt-striped",
                GarmentCategory::Top,
                vec![neckline, shoulders, hem, sleeves],
            ),
            ("trousers-chino", GarmentCategory::Bottom, vec![waist, legs]),
            ("jeans-blue", GarmentCategory::Bottom, vec![waist, legs]),
            ("skirt-checks", GarmentCategory::Bottom, vec![waist, hem]),
            (
                "dress-dots",
                GarmentCategory::OnePiece,
                vec![neckline, shoulders, waist, hem],
            ),
        ];
        for (name, category, checks) in cases {
            let (img, truth) = cutout(name);
            let shape = analyse(&img, category).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Tolerance: 4% of the garment's height in the canvas.
            let tol = 0.04 * (shape.bbox.3 - shape.bbox.1);
            for (i, (pick, want)) in checks.iter().enumerate() {
                let got = pick(&shape).unwrap_or_else(|| panic!("{name}: check {i} found nothing"));
                for (k, got) in got.iter().enumerate() {
                    let want = to_canvas(&truth, &shape, want(&truth)[k]);
                    let d = dist(*got, want);
                    assert!(
                        d <= tol,
                        "{name} check {i} side {k}: {got:?} vs truth {want:?} ({d:.1} px > {tol:.1})"
                    );
                }
            }
        }
    }
}
