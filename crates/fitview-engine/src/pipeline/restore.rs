//! Restoring what a pixel-aligned provider did not mean to change.
//!
//! A generative provider that edits the person photo in place re-renders every pixel, so the
//! face, hair, hands and background drift slightly (noise, softening, a shifted colour cast)
//! even where the garment is not. When the output is pixel-aligned with the canvas sent, the
//! engine finds the region that really changed and takes every other pixel from the original:
//! the face and the background stay exact.
//!
//! 1. A global colour shift (the per-channel median of output − original, over a quarter of the
//!    pixels) is measured, so a provider that regrades the whole image is not taken to have
//!    changed everything. A shift beyond ±40 levels means the output is not an edit of the
//!    input at all (another picture, a blank): then nothing is restored.
//! 2. The region is found on a grid of 2 × 2-pixel cells: a quarter of the work of finding it
//!    per pixel, at no cost in what it finds, since it is grown by 12 px anyway. An area changed
//!    when its difference beyond the shift (max over channels), averaged over a 6 × 6-pixel box
//!    (3 × 3 cells), is above 14 levels. Changed specks smaller than 0.05% of the image are noise.
//! 3. The changed region is grown by 1.2% of the long side (a garment's soft edge and shadow
//!    belong to it) and feathered over half that, and the cells' weights are interpolated back
//!    to pixels. Outside the region each pixel becomes the original plus the global shift —
//!    exactly the original when the provider kept the colours.

use image::RgbaImage;

use super::box_blur::{box_len, box_sums};
use super::components::for_each_component;

/// Mean difference beyond the global shift (0-255, max over channels) above which an area has
/// changed: well above re-encoding noise, well below any garment edit.
const CHANGED: u16 = 14;
/// Side of a cell of the grid the region is found on, in pixels.
const CELL: usize = 2;
/// Radius of the box the difference is averaged over, in cells.
const NOISE_RADIUS: usize = 1;
/// Smallest changed region kept, as a share of the image's pixels.
const MIN_REGION: f32 = 0.0005;
/// How far the changed region is grown, as a share of the image's long side.
const GROW: f32 = 0.012;
/// Largest global shift (per channel) still taken as a colour grade of the same photo; beyond
/// it the output is not an edit of the input and nothing is restored.
const MAX_SHIFT: i16 = 40;

/// What restoring did to one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Restored {
    /// Share of the pixels kept from the provider's output (the changed region, feathered edge
    /// included).
    pub changed: f32,
    /// The global colour shift measured (output − original, per channel).
    pub shift: [i16; 3],
}

/// Replaces the pixels of `output` outside the region it changed with those of `original`
/// (plus any global colour shift). Nothing happens (`None`) when the sizes differ or the output
/// is not an edit of the input (a global shift beyond ±40 levels: another picture, a blank).
/// Alpha is the output's.
pub fn restore_unchanged(output: &mut RgbaImage, original: &RgbaImage) -> Option<Restored> {
    if output.dimensions() != original.dimensions() || output.width() == 0 || output.height() == 0 {
        return None;
    }
    let (w, h) = (output.width() as usize, output.height() as usize);
    let shift = median_shift(output, original);
    if shift.iter().any(|s| s.abs() > MAX_SHIFT) {
        return None;
    }
    let (cw, ch) = (w.div_ceil(CELL), h.div_ceil(CELL));
    let residuals = cell_residuals(output, original, shift);
    // An area's mean residual is above CHANGED when its box's sum is above CHANGED times the
    // pixels the box covers: integers, no division.
    let sums = box_sums(&residuals, cw, ch, NOISE_RADIUS);
    let mut over = Vec::with_capacity(cw * ch);
    for cy in 0..ch {
        let rows = covered_pixels(cy, ch, NOISE_RADIUS, h);
        over.extend((0..cw).map(|cx| {
            let pixels = covered_pixels(cx, cw, NOISE_RADIUS, w) * rows;
            sums[cy * cw + cx] > u32::from(CHANGED) * pixels
        }));
    }
    let mut changed = vec![0u8; cw * ch];
    let min_region = ((w * h) as f32 * MIN_REGION / (CELL * CELL) as f32).ceil() as usize;
    for_each_component(
        cw,
        ch,
        |i| over[i],
        |region| {
            if region.len() >= min_region {
                for &i in region {
                    changed[i] = 1;
                }
            }
        },
    );
    let grow = ((w.max(h) as f32 * GROW).round() as usize).max(1);
    // Growing: any changed cell within `grow` pixels makes a cell changed; then a feather of
    // half that width fades the edge.
    let grown: Vec<u8> = box_sums(&changed, cw, ch, grow.div_ceil(CELL))
        .into_iter()
        .map(|sum| u8::from(sum > 0))
        .collect();
    let feather = (grow / 2).div_ceil(CELL);
    let covered = box_sums(&grown, cw, ch, feather);
    let mut weights = Vec::with_capacity(cw * ch);
    for cy in 0..ch {
        let rows = box_len(cy, ch, feather);
        weights.extend(
            (0..cw)
                .map(|cx| covered[cy * cw + cx] as f32 / (box_len(cx, cw, feather) * rows) as f32),
        );
    }
    let kept = blend(output, original, shift, &weights);
    Some(Restored {
        changed: (kept / (w * h) as f64) as f32,
        shift,
    })
}

/// The sum over each cell's pixels of the difference beyond `shift` (max over channels).
fn cell_residuals(output: &RgbaImage, original: &RgbaImage, shift: [i16; 3]) -> Vec<u32> {
    let (w, h) = (output.width() as usize, output.height() as usize);
    let cw = w.div_ceil(CELL);
    let mut cells = vec![0u32; cw * h.div_ceil(CELL)];
    let rows = output
        .as_raw()
        .chunks_exact(w * 4)
        .zip(original.as_raw().chunks_exact(w * 4));
    for (y, (out_row, in_row)) in rows.enumerate() {
        let cell_row = &mut cells[y / CELL * cw..(y / CELL + 1) * cw];
        let pixels = out_row.chunks_exact(4).zip(in_row.chunks_exact(4));
        for (x, (o, i)) in pixels.enumerate() {
            let d = |c: usize| (i16::from(o[c]) - i16::from(i[c]) - shift[c]).unsigned_abs();
            cell_row[x / CELL] += u32::from(d(0).max(d(1)).max(d(2)));
        }
    }
    cells
}

/// Pixels of an axis `len` pixels long covered by the cells within `r` of cell `i` (of `cells`).
fn covered_pixels(i: usize, cells: usize, r: usize, len: usize) -> u32 {
    let first = i.saturating_sub(r) * CELL;
    let end = ((i + r + 1).min(cells) * CELL).min(len);
    (end - first) as u32
}

/// For each pixel of an axis `len` pixels long, the two cells whose centres surround it and the
/// weight of the second, for interpolating cell values back to pixels.
fn cell_taps(len: usize) -> Vec<(usize, usize, f32)> {
    let last = len.div_ceil(CELL) - 1;
    (0..len)
        .map(|p| {
            // Cell c's centre is at pixel (c + 0.5) · CELL − 0.5.
            let u = ((p as f32 + 0.5) / CELL as f32 - 0.5).max(0.0);
            let first = (u as usize).min(last);
            let second = (first + 1).min(last);
            (first, second, (u - first as f32).clamp(0.0, 1.0))
        })
        .collect()
}

/// Blends `output` towards `original` + `shift` by the cell `weights` interpolated to each
/// pixel: weight 1 keeps the output, 0 takes the original. Returns the sum of the weights.
fn blend(output: &mut RgbaImage, original: &RgbaImage, shift: [i16; 3], weights: &[f32]) -> f64 {
    let (w, h) = (output.width() as usize, output.height() as usize);
    let cw = w.div_ceil(CELL);
    let (columns, rows) = (cell_taps(w), cell_taps(h));
    // original + shift, per channel and level.
    let shifted: [[u8; 256]; 3] =
        std::array::from_fn(|c| std::array::from_fn(|v| (v as i16 + shift[c]).clamp(0, 255) as u8));
    let (made, input): (&mut [u8], &[u8]) = (output, original.as_raw());
    let mut row_weights = vec![0f32; w];
    let mut kept = 0f64;
    for (y, &(r0, r1, ty)) in rows.iter().enumerate() {
        let (above, below) = (
            &weights[r0 * cw..(r0 + 1) * cw],
            &weights[r1 * cw..(r1 + 1) * cw],
        );
        for (k, &(c0, c1, tx)) in row_weights.iter_mut().zip(&columns) {
            let top = above[c0] + (above[c1] - above[c0]) * tx;
            let bottom = below[c0] + (below[c1] - below[c0]) * tx;
            *k = top + (bottom - top) * ty;
        }
        kept += row_weights.iter().map(|&k| f64::from(k)).sum::<f64>();
        let span = y * w * 4..(y + 1) * w * 4;
        let pixels = made[span.clone()]
            .chunks_exact_mut(4)
            .zip(input[span].chunks_exact(4))
            .zip(&row_weights);
        for ((o, i), &k) in pixels {
            if k >= 1.0 {
                continue;
            }
            for c in 0..3 {
                let base = shifted[c][usize::from(i[c])];
                o[c] = if k <= 0.0 {
                    base
                } else {
                    let base = f32::from(base);
                    (base + (f32::from(o[c]) - base) * k)
                        .round()
                        .clamp(0.0, 255.0) as u8
                };
            }
        }
    }
    kept
}

/// The global colour shift: the per-channel median of `output − original`, measured again over
/// the pixels within [`CHANGED`] of the first estimate, so the edit itself does not bias it.
fn median_shift(output: &RgbaImage, original: &RgbaImage) -> [i16; 3] {
    let rough = median_difference(output, original, |_| true);
    median_difference(output, original, |d| {
        (0..3).all(|c| (d[c] - rough[c]).unsigned_abs() <= CHANGED)
    })
}

/// Per-channel median of `output − original` over the pixels whose difference passes `keep`,
/// sampled at every other pixel of every other row: a quarter of the pixels is plenty for a
/// median of levels and keeps this pass cheap.
fn median_difference(
    output: &RgbaImage,
    original: &RgbaImage,
    keep: impl Fn([i16; 3]) -> bool,
) -> [i16; 3] {
    let mut histograms = [[0u32; 511]; 3];
    let mut counted = 0u64;
    let stride = output.width() as usize * 4;
    let rows = output
        .as_raw()
        .chunks(stride)
        .zip(original.as_raw().chunks(stride))
        .step_by(2);
    for (out_row, in_row) in rows {
        for (o, i) in out_row.chunks_exact(8).zip(in_row.chunks_exact(8)) {
            let d: [i16; 3] = std::array::from_fn(|c| i16::from(o[c]) - i16::from(i[c]));
            if !keep(d) {
                continue;
            }
            counted += 1;
            for (histogram, d) in histograms.iter_mut().zip(d) {
                histogram[(d + 255) as usize] += 1;
            }
        }
    }
    let half = counted.div_ceil(2);
    histograms.map(|histogram| {
        let mut seen = 0u64;
        for (bin, &n) in histogram.iter().enumerate() {
            seen += u64::from(n);
            if seen >= half && seen > 0 {
                return bin as i16 - 255;
            }
        }
        0
    })
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;

    /// A 200×200 textured "photo".
    fn original() -> RgbaImage {
        RgbaImage::from_fn(200, 200, |x, y| {
            Rgba([
                (40 + (x * 7 + y * 3) % 150) as u8,
                (60 + (x * 5 + y * 11) % 120) as u8,
                (90 + (x * 13 + y) % 100) as u8,
                255,
            ])
        })
    }

    /// The original with a red block (the "garment") at x, y in 60..140 and ±`noise` of
    /// deterministic drift plus `shift` everywhere.
    fn edited(noise: i16, shift: i16) -> RgbaImage {
        let mut out = original();
        for (x, y, px) in out.enumerate_pixels_mut() {
            if (60..140).contains(&x) && (60..140).contains(&y) {
                *px = Rgba([200, 30, 40, 255]);
                continue;
            }
            let drift = ((x * 31 + y * 17) % (2 * noise as u32 + 1)) as i16 - noise;
            for c in 0..3 {
                px.0[c] = (i16::from(px.0[c]) + drift + shift).clamp(0, 255) as u8;
            }
        }
        out
    }

    #[test]
    fn drift_outside_the_edit_is_undone_and_the_edit_is_kept() {
        let mut out = edited(4, 0);
        let restored = restore_unchanged(&mut out, &original()).unwrap();
        assert_eq!(restored.shift, [0, 0, 0]);
        // Far from the edit: exactly the original.
        for (x, y) in [(5, 5), (190, 20), (20, 190), (30, 100)] {
            assert_eq!(
                out.get_pixel(x, y),
                original().get_pixel(x, y),
                "({x}, {y})"
            );
        }
        // Inside the edit: the provider's pixels.
        assert_eq!(out.get_pixel(100, 100).0, [200, 30, 40, 255]);
        assert!(
            (0.16..0.3).contains(&restored.changed),
            "{}",
            restored.changed
        );
    }

    #[test]
    fn a_global_colour_shift_is_kept_so_no_seam_appears() {
        let mut out = edited(3, 12);
        let restored = restore_unchanged(&mut out, &original()).unwrap();
        assert_eq!(restored.shift, [12, 12, 12]);
        let before = original().get_pixel(10, 10).0;
        let after = out.get_pixel(10, 10).0;
        for c in 0..3 {
            assert_eq!(i16::from(after[c]), (i16::from(before[c]) + 12).min(255));
        }
        assert_eq!(out.get_pixel(100, 100).0, [200, 30, 40, 255]);
    }

    #[test]
    fn an_unchanged_output_becomes_the_original_and_other_sizes_are_left_alone() {
        let mut out = edited(5, 0);
        for (x, y, px) in original().enumerate_pixels() {
            if (60..140).contains(&x) && (60..140).contains(&y) {
                out.put_pixel(x, y, *px);
            }
        }
        let restored = restore_unchanged(&mut out, &original()).unwrap();
        assert_eq!(restored.changed, 0.0);
        assert_eq!(out, original());
        let mut small = RgbaImage::new(10, 10);
        assert_eq!(restore_unchanged(&mut small, &original()), None);
    }

    #[test]
    fn an_output_that_is_not_an_edit_of_the_input_is_left_alone() {
        let blank = RgbaImage::from_pixel(200, 200, Rgba([250, 250, 250, 255]));
        let mut out = blank.clone();
        let dark = RgbaImage::from_pixel(200, 200, Rgba([40, 40, 40, 255]));
        assert_eq!(restore_unchanged(&mut out, &dark), None);
        assert_eq!(out, blank, "a blank answer stays what the provider made");
    }
}
