//! The person's silhouette against a plain studio backdrop, at about 256 pixels on the long side.
//!
//! The backdrop is modelled as a plane per colour channel (which absorbs a studio sweep's
//! gradient), fitted to the top rows and the side columns of the photo — not the bottom, which
//! a half-length photo's figure crosses — once more without the samples the first fit explains
//! badly. A pixel further than a threshold from the model is figure; the largest figure
//! component is kept and its holes are filled (a face as light as the backdrop stays part of
//! the head). Unlike the garment matte, nothing walls the backdrop in, so the narrow gaps
//! between bobbed hair, neck and shoulders stay backdrop. A border that is not a plain backdrop
//! gives no silhouette.

use image::RgbaImage;

use crate::pipeline::components::{for_each_component, on_border};
use crate::pipeline::matte::solve3;
use crate::pipeline::{Placement, resize::resize_region};
use crate::provider::draft::silhouette::Mask;

/// Long side of the reduced photo.
const EDGE: u32 = 256;
/// Rows (top) and columns (sides) sampled for the backdrop.
const BAND: usize = 2;
/// Share of border samples that must fit the backdrop model for it to count as plain.
const MIN_PLAIN: f64 = 0.6;
/// Smallest per-channel distance from the backdrop that counts as figure.
const MIN_THRESHOLD: f32 = 20.0;

/// A figure mask over the photo's placement in the canvas.
#[derive(Debug, Clone)]
pub(super) struct Silhouette {
    pub mask: Mask,
    /// Where the reduced photo sits in the canvas.
    placement: Placement,
}

/// `colour = a + b·x + c·y` per channel, x and y in 0..1.
struct Plane([[f32; 3]; 3]);

impl Plane {
    fn at(&self, x: f32, y: f32) -> [f32; 3] {
        let p = &self.0;
        [0, 1, 2].map(|c| p[c][0] + p[c][1] * x + p[c][2] * y)
    }

    /// Least squares over `samples` (x, y, colour); `None` when they do not span a plane.
    fn fit(samples: &[(f32, f32, [f32; 3])]) -> Option<Self> {
        // Normal equations: [n Σx Σy; Σx Σxx Σxy; Σy Σxy Σyy] · (a, b, c) = (Σv, Σxv, Σyv).
        let mut m = [[0f64; 3]; 3];
        let mut rhs = [[0f64; 3]; 3];
        for &(x, y, v) in samples {
            let row = [1.0, f64::from(x), f64::from(y)];
            for i in 0..3 {
                for j in 0..3 {
                    m[i][j] += row[i] * row[j];
                }
                for c in 0..3 {
                    rhs[c][i] += row[i] * f64::from(v[c]);
                }
            }
        }
        let mut plane = [[0f32; 3]; 3];
        for (channel, rhs) in plane.iter_mut().zip(rhs) {
            *channel = solve3(m, rhs)?.map(|v| v as f32);
        }
        Some(Plane(plane))
    }
}

fn distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    (a[0] - b[0])
        .abs()
        .max((a[1] - b[1]).abs())
        .max((a[2] - b[2]).abs())
}

impl Silhouette {
    /// The silhouette of the person photo at `placement` in `person`, or `None` when the photo's
    /// border is not a plain backdrop or no figure stands out from it.
    pub fn of(person: &RgbaImage, placement: &Placement) -> Option<Self> {
        let long = placement.width.max(placement.height);
        let scale = (long as f32 / EDGE as f32).max(1.0);
        let sw = ((placement.width as f32 / scale).round() as u32).max(8);
        let sh = ((placement.height as f32 / scale).round() as u32).max(8);
        let small = resize_region(person, *placement, sw, sh).ok()?;
        let (w, h) = (sw as usize, sh as usize);
        let pixel = |x: usize, y: usize| {
            let p = small.get_pixel(x as u32, y as u32).0;
            [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]
        };
        let norm = |x: usize, y: usize| (x as f32 / w as f32, y as f32 / h as f32);
        let mut samples = Vec::new();
        for y in 0..h {
            for x in 0..w {
                if y < BAND || x < BAND || x + BAND >= w {
                    let (nx, ny) = norm(x, y);
                    samples.push((nx, ny, pixel(x, y)));
                }
            }
        }
        let first = Plane::fit(&samples)?;
        let residual = |s: &(f32, f32, [f32; 3]), plane: &Plane| distance(s.2, plane.at(s.0, s.1));
        let mut residuals: Vec<f32> = samples.iter().map(|s| residual(s, &first)).collect();
        residuals.sort_by(f32::total_cmp);
        let median = residuals[residuals.len() / 2];
        let cut = (2.5 * median).max(12.0);
        let kept: Vec<_> = samples
            .iter()
            .copied()
            .filter(|s| residual(s, &first) <= cut)
            .collect();
        let plane = Plane::fit(&kept)?;
        let plain = samples
            .iter()
            .filter(|s| residual(s, &plane) <= 24.0)
            .count();
        if (plain as f64) < MIN_PLAIN * samples.len() as f64 {
            return None;
        }
        let mut noise: Vec<f32> = kept.iter().map(|s| residual(s, &plane)).collect();
        noise.sort_by(f32::total_cmp);
        let threshold = (4.0 * noise[noise.len() / 2]).max(MIN_THRESHOLD);
        let mut data = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let (nx, ny) = norm(x, y);
                data.push(distance(pixel(x, y), plane.at(nx, ny)) > threshold);
            }
        }
        let mut silhouette = Silhouette {
            mask: Mask {
                width: w,
                height: h,
                data,
            },
            placement: *placement,
        };
        silhouette.mask.keep_largest_component();
        silhouette.fill_holes();
        let area = silhouette.mask.data.iter().filter(|&&on| on).count();
        let share = area as f64 / (w * h) as f64;
        (0.01..=0.9).contains(&share).then_some(silhouette)
    }

    /// Whether the canvas point `(x, y)` is on the figure.
    pub fn contains(&self, x: f32, y: f32) -> bool {
        let p = &self.placement;
        let mx = (x - p.x as f32) * self.mask.width as f32 / p.width as f32;
        let my = (y - p.y as f32) * self.mask.height as f32 / p.height as f32;
        if mx < 0.0 || my < 0.0 {
            return false;
        }
        let (mx, my) = (mx as usize, my as usize);
        mx < self.mask.width && my < self.mask.height && self.mask.data[my * self.mask.width + mx]
    }

    /// A point of the reduced photo in canvas pixels.
    pub fn to_canvas(&self, x: f32, y: f32) -> [f32; 2] {
        let p = &self.placement;
        [
            p.x as f32 + x * p.width as f32 / self.mask.width as f32,
            p.y as f32 + y * p.height as f32 / self.mask.height as f32,
        ]
    }

    /// Backdrop components that do not touch the border are holes in the figure.
    fn fill_holes(&mut self) {
        let (w, h) = (self.mask.width, self.mask.height);
        let data = &self.mask.data;
        let mut holes = Vec::new();
        for_each_component(
            w,
            h,
            |i| !data[i],
            |members| {
                if !members.iter().any(|&i| on_border(i, w, h)) {
                    holes.extend_from_slice(members);
                }
            },
        );
        for i in holes {
            self.mask.data[i] = true;
        }
    }

    /// Runs `(start, end)` (end exclusive) of figure pixels in row `y`.
    pub fn runs(&self, y: usize) -> Vec<(usize, usize)> {
        let row = &self.mask.data[y * self.mask.width..(y + 1) * self.mask.width];
        let mut runs = Vec::new();
        let mut start = None;
        for (x, &on) in row.iter().enumerate() {
            match (on, start) {
                (true, None) => start = Some(x),
                (false, Some(s)) => {
                    runs.push((s, x));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            runs.push((s, row.len()));
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::conformance::sample_person;
    use image::Rgba;

    #[test]
    fn a_figure_on_a_graded_backdrop_is_cut_out_with_its_holes_filled() {
        // A vertical studio sweep, a figure reaching the bottom edge (a half-length photo), and
        // a face as light as the backdrop inside a dark outline.
        let img = RgbaImage::from_fn(300, 400, |x, y| {
            let sweep = 200 + (y / 10) as u8;
            let (fx, fy) = (x as f32 / 300.0, y as f32 / 400.0);
            let head = (fx - 0.5).powi(2) + (fy - 0.2).powi(2) < 0.01;
            let face = (fx - 0.5).powi(2) + (fy - 0.2).powi(2) < 0.006;
            let body = (0.3..0.7).contains(&fx) && fy > 0.3;
            Rgba(if face {
                [sweep, sweep, sweep, 255]
            } else if head || body {
                [60, 50, 40, 255]
            } else {
                [sweep, sweep, sweep, 255]
            })
        });
        let s = Silhouette::of(&img, &Placement::full(300, 400)).unwrap();
        assert!(s.contains(150.0, 80.0), "the face is part of the figure");
        assert!(s.contains(150.0, 390.0));
        assert!(!s.contains(20.0, 390.0) && !s.contains(20.0, 20.0));
    }

    #[test]
    fn the_gap_between_hair_and_shoulders_stays_backdrop() {
        let person = sample_person((1024, 1024));
        let s = Silhouette::of(&person, &Placement::full(1024, 1024)).unwrap();
        // Beside the neck, under the head, above the shoulders.
        assert!(!s.contains(440.0, 195.0));
        assert!(s.contains(512.0, 195.0));
    }

    #[test]
    fn a_busy_border_has_no_silhouette() {
        let noise = RgbaImage::from_fn(256, 256, |x, y| {
            let v =
                (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)).wrapping_mul(2246822519) >> 24;
            Rgba([v as u8, (v * 7) as u8, (v * 13) as u8, 255])
        });
        assert!(Silhouette::of(&noise, &Placement::full(256, 256)).is_none());
    }
}
