//! `shows_garment`: the garment's dominant colours are on the body of the output.
//!
//! The dominant colours come from the prepared garment's opaque pixels (its matte), binned at 3
//! bits a channel: every bin with at least 8% of the garment, at most four (the two largest for
//! a busy print). An output pixel matches a colour when its hue (within 20°) and saturation
//! (within 0.25), which shading leaves alone, are close and its brightness is within the range
//! shading gives (half to 1.7 times); neutral colours match neutral pixels of that brightness,
//! and dark colours, whose hue is noise, match by closeness alone. The value is the share of the
//! body region (below the head, across the figure) that matches; for an outfit, the
//! least-visible garment's. Only the person's figure counts (its silhouette in the person photo),
//! so a white or grey garment is not "found" in the backdrop; a garment the colour of the
//! person's own clothes passes trivially: the check catches a garment that is missing, not one
//! that is misplaced.

use image::RgbaImage;

use super::silhouette::Silhouette;
use super::{Bound, Check, CheckName, ValidationConfig, luma, scale_rect};
use crate::pipeline::Placement;

/// Pixels at least this opaque in the matte are garment.
const OPAQUE: u8 = 224;
/// A colour bin is dominant from this share of the garment on.
const MIN_SHARE: f64 = 0.08;
/// Most dominant colours kept per garment.
const MAX_COLOURS: usize = 4;
/// About this many pixels are sampled from a garment or a body region.
const SAMPLES: u64 = 40_000;
/// Largest hue difference of a match, in degrees.
const HUE_TOLERANCE: f32 = 20.0;
/// Largest difference of HSV saturation of a match.
const SATURATION_TOLERANCE: f32 = 0.25;
/// Colours less saturated than this are neutral (white, grey, beige-ish): they match neutral
/// pixels of a similar brightness.
const NEUTRAL: f32 = 0.15;
/// Output brightness over garment brightness allowed for shading.
const SHADING: (f32, f32) = (0.5, 1.7);
/// Below this luma a colour is "dark" and matched by closeness in RGB.
const DARK: f32 = 48.0;

/// One dominant colour of a garment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Colour {
    rgb: [f32; 3],
    /// Share of the garment's opaque pixels.
    share: f64,
}

impl Colour {
    fn matches(&self, p: [u8; 4]) -> bool {
        let [r, g, b] = self.rgb;
        let (pr, pg, pb) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
        let (gy, py) = (luma_f(self.rgb), luma(p));
        if gy < DARK {
            return py < DARK + 24.0
                && (pr - r).abs().max((pg - g).abs()).max((pb - b).abs()) < 40.0;
        }
        let ratio = (py + 4.0) / (gy + 4.0);
        if !(SHADING.0..=SHADING.1).contains(&ratio) {
            return false;
        }
        let (gh, gs) = hue_saturation(self.rgb);
        let (ph, ps) = hue_saturation([pr, pg, pb]);
        if gs < NEUTRAL {
            return ps < NEUTRAL + 0.05;
        }
        let hue_gap = (gh - ph).abs().min(360.0 - (gh - ph).abs());
        (gs - ps).abs() < SATURATION_TOLERANCE && hue_gap < HUE_TOLERANCE
    }
}

/// Hue in degrees and HSV saturation (both unchanged when shading scales a colour).
fn hue_saturation([r, g, b]: [f32; 3]) -> (f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = max - min;
    if max <= 0.0 || delta <= 0.0 {
        return (0.0, 0.0);
    }
    let hue = if max == r {
        60.0 * ((g - b) / delta)
    } else if max == g {
        60.0 * ((b - r) / delta + 2.0)
    } else {
        60.0 * ((r - g) / delta + 4.0)
    };
    (hue.rem_euclid(360.0), delta / max)
}

fn luma_f([r, g, b]: [f32; 3]) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// Regular sampling step so that about `SAMPLES` pixels of a `w` × `h` area are visited.
fn step(w: u32, h: u32) -> usize {
    let pixels = f64::from(w) * f64::from(h);
    ((pixels / SAMPLES as f64).sqrt().floor() as usize).max(1)
}

/// The dominant colours of a prepared garment (RGBA, alpha = matte); empty when it has no
/// opaque pixels.
pub(super) fn dominant_colours(garment: &RgbaImage) -> Vec<Colour> {
    let (w, h) = garment.dimensions();
    let step = step(w, h);
    let mut bins = vec![(0u32, [0f64; 3]); 512];
    let mut total = 0u32;
    for y in (0..h).step_by(step) {
        for x in (0..w).step_by(step) {
            let p = garment.get_pixel(x, y).0;
            if p[3] < OPAQUE {
                continue;
            }
            let bin = (usize::from(p[0] >> 5) << 6)
                | (usize::from(p[1] >> 5) << 3)
                | usize::from(p[2] >> 5);
            let (count, sum) = &mut bins[bin];
            *count += 1;
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
            total += 1;
        }
    }
    if total == 0 {
        return Vec::new();
    }
    bins.sort_by_key(|b| std::cmp::Reverse(b.0));
    let colour = |(count, sum): &(u32, [f64; 3])| Colour {
        rgb: sum.map(|s| (s / f64::from(*count)) as f32),
        share: f64::from(*count) / f64::from(total),
    };
    let dominant: Vec<Colour> = bins
        .iter()
        .take(MAX_COLOURS)
        .filter(|b| b.0 > 0)
        .map(colour)
        .filter(|c| c.share >= MIN_SHARE)
        .collect();
    if dominant.is_empty() {
        bins.iter()
            .take(2)
            .filter(|b| b.0 > 0)
            .map(colour)
            .collect()
    } else {
        dominant
    }
}

/// Where the garment is looked for, in asked-size (canvas) pixels.
pub(super) struct Body<'a> {
    /// Below the head, across the figure.
    pub rect: Placement,
    /// The person's figure; without one, the whole rectangle counts.
    pub silhouette: Option<&'a Silhouette>,
}

/// The `shows_garment` check, or `None` when no garment has colours to look for.
pub(super) fn coverage(
    image: &RgbaImage,
    expected: (u32, u32),
    body: &Body<'_>,
    garments: &[&[Colour]],
    config: &ValidationConfig,
) -> Option<Check> {
    let (w, h) = image.dimensions();
    let rect = scale_rect(body.rect, expected, (w, h));
    let (sx, sy) = (
        expected.0 as f32 / w.max(1) as f32,
        expected.1 as f32 / h.max(1) as f32,
    );
    let step = step(rect.width, rect.height);
    let mut matched = vec![0u32; garments.len()];
    let mut n = 0u32;
    for y in (rect.y..rect.y + rect.height).step_by(step) {
        for x in (rect.x..rect.x + rect.width).step_by(step) {
            if let Some(figure) = body.silhouette
                && !figure.contains((x as f32 + 0.5) * sx, (y as f32 + 0.5) * sy)
            {
                continue;
            }
            let p = image.get_pixel(x, y).0;
            n += 1;
            for (count, colours) in matched.iter_mut().zip(garments) {
                if colours.iter().any(|c| c.matches(p)) {
                    *count += 1;
                }
            }
        }
    }
    let (worst, share) = matched
        .iter()
        .zip(garments)
        .enumerate()
        .filter(|(_, (_, colours))| !colours.is_empty())
        .map(|(i, (&count, _))| (i, f64::from(count) / f64::from(n.max(1))))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let detail = if garments.len() > 1 {
        format!(
            "garment {} is the least visible; body region {}×{} at ({}, {})",
            worst + 1,
            rect.width,
            rect.height,
            rect.x,
            rect.y
        )
    } else {
        format!(
            "body region {}×{} at ({}, {})",
            rect.width, rect.height, rect.x, rect.y
        )
    };
    Some(
        Check::new(
            CheckName::ShowsGarment,
            share,
            config.min_garment_coverage,
            Bound::AtLeast,
        )
        .with_detail(detail),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::conformance::{sample_garment, sample_person, sample_tryon_image};
    use image::Rgba;

    #[test]
    fn the_striped_sample_garment_has_red_and_white() {
        let colours = dominant_colours(&sample_garment((512, 512)));
        assert_eq!(colours.len(), 2, "{colours:?}");
        assert!(colours.iter().any(|c| c.matches([200, 30, 40, 255])));
        assert!(colours.iter().any(|c| c.matches([240, 240, 240, 255])));
        // Red in shadow is still red; pink or orange is not.
        let red = colours
            .iter()
            .find(|c| c.rgb[0] > 150.0 && c.rgb[1] < 80.0)
            .unwrap();
        assert!(red.matches([120, 18, 24, 255]));
        assert!(!red.matches([230, 150, 160, 255]));
        assert!(!red.matches([220, 110, 30, 255]));
    }

    #[test]
    fn the_garment_on_the_body_passes_and_the_bare_person_fails() {
        let config = ValidationConfig::default();
        let colours = dominant_colours(&sample_garment((512, 512)));
        let colours = [colours.as_slice()];
        let body = Placement {
            x: 300,
            y: 200,
            width: 424,
            height: 780,
        };
        let dressed = sample_tryon_image((1024, 1024));
        let body = Body {
            rect: body,
            silhouette: None,
        };
        let check = coverage(&dressed, (1024, 1024), &body, &colours, &config).unwrap();
        assert!(check.passed(), "{check:?}");
        // The person alone: grey clothes and skin. Without the silhouette, the white stripes
        // would be found in the light backdrop; on the figure, nothing matches.
        let bare = sample_person((1024, 1024));
        let figure = Silhouette::of(&bare, &Placement::full(1024, 1024)).unwrap();
        let on_figure = Body {
            rect: body.rect,
            silhouette: Some(&figure),
        };
        let check = coverage(&bare, (1024, 1024), &on_figure, &colours, &config).unwrap();
        // (What little matches is backdrop at the edge of the coarse silhouette.)
        assert!(!check.passed() && check.value < 0.03, "{check:?}");
        let check = coverage(&bare, (1024, 1024), &body, &colours, &config).unwrap();
        assert!(check.passed(), "the backdrop passes for white: {check:?}");
    }

    #[test]
    fn a_transparent_garment_has_no_colours_and_no_check() {
        let empty = RgbaImage::from_pixel(64, 64, Rgba([0, 0, 0, 0]));
        assert!(dominant_colours(&empty).is_empty());
        let img = RgbaImage::from_pixel(64, 64, Rgba([9, 9, 9, 255]));
        let config = ValidationConfig::default();
        let body = Body {
            rect: Placement::full(64, 64),
            silhouette: None,
        };
        let none = coverage(&img, (64, 64), &body, &[&[]], &config);
        assert!(none.is_none());
    }
}
