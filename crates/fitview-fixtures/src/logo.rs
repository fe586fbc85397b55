//! The printed chest emblem: a ring with a chevron, and blocky lettering.

use crate::raster::{Canvas, Mask, P, ellipse_outline};

/// 5x7 bitmaps of the letters the print uses.
fn glyph(c: char) -> [&'static str; 7] {
    match c {
        'F' => [
            "#####", "#....", "#....", "####.", "#....", "#....", "#....",
        ],
        'I' => [
            "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "#####",
        ],
        'T' => [
            "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#..",
        ],
        'V' => [
            "#...#", "#...#", "#...#", "#...#", ".#.#.", ".#.#.", "..#..",
        ],
        'E' => [
            "#####", "#....", "#....", "####.", "#....", "#....", "#####",
        ],
        'W' => [
            "#...#", "#...#", "#...#", "#.#.#", "#.#.#", "##.##", "#...#",
        ],
        _ => [
            ".....", ".....", ".....", ".....", ".....", ".....", ".....",
        ],
    }
}

const INK: [f32; 3] = [236.0, 232.0, 222.0];
const ACCENT: [f32; 3] = [222.0, 120.0, 46.0];

/// Prints the emblem centred at `c`, the lettering `width` pixels wide below it.
pub(crate) fn print(canvas: &mut Canvas, c: P, width: f32, seed: u64) {
    let text = "FITVIEW";
    let cell = width / (text.len() as f32 * 6.0 - 1.0);
    let r = width * 0.24;
    let ec = [c[0], c[1] - r * 0.2];
    // Ring: outer contour one way, inner the other, so the middle stays empty.
    let outer = ellipse_outline(ec, [r, r], 128);
    let mut inner = ellipse_outline(ec, [r * 0.8, r * 0.8], 128);
    inner.reverse();
    let ink = |x: f32, y: f32| {
        // A print is slightly worn: tiny speckles let the fabric through.
        let n = crate::rng::value_noise(x * 0.9, y * 0.9, seed);
        (INK, if n > 0.9 { 0.6 } else { 0.95 })
    };
    canvas.paint(&Mask::contours(&[&outer, &inner]), ink);
    let chevron = [
        [ec[0] - r * 0.55, ec[1] + r * 0.25],
        [ec[0], ec[1] - r * 0.45],
        [ec[0] + r * 0.55, ec[1] + r * 0.25],
        [ec[0] + r * 0.32, ec[1] + r * 0.38],
        [ec[0], ec[1] - r * 0.05],
        [ec[0] - r * 0.32, ec[1] + r * 0.38],
    ];
    canvas.paint(&Mask::polygon(&chevron), |_, _| (ACCENT, 0.95));

    let x0 = c[0] - width * 0.5;
    let y0 = ec[1] + r * 1.35;
    let mut cells: Vec<Vec<P>> = Vec::new();
    for (i, ch) in text.chars().enumerate() {
        for (row, bits) in glyph(ch).iter().enumerate() {
            for (col, b) in bits.chars().enumerate() {
                if b == '#' {
                    let x = x0 + (i as f32 * 6.0 + col as f32) * cell;
                    let y = y0 + row as f32 * cell;
                    cells.push(vec![
                        [x, y],
                        [x + cell, y],
                        [x + cell, y + cell],
                        [x, y + cell],
                    ]);
                }
            }
        }
    }
    let refs: Vec<&[P]> = cells.iter().map(|c| c.as_slice()).collect();
    canvas.paint(&Mask::contours(&refs), ink);
}
