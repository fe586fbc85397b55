//! How wide a line of text is in Helvetica (the report's font, and the first choice of the
//! dashboard's), from the font's published metrics, so labels are cut before they overlap.

/// Advance widths of ASCII 32 to 126 in Helvetica, in thousandths of the font size (Adobe's
/// Helvetica AFM).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584,
    556, // '0'..'?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
    778, // '@'..'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
    556, // 'P'..'_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556,
    556, // '`'..'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p'..'~'
];

/// Width of a character outside ASCII (Helvetica's digit width, a fair average).
const OTHER: u16 = 556;
/// Bold Helvetica is about this much wider.
const BOLD: f32 = 1.07;
/// How much wider than Helvetica a browser may draw: one without Helvetica or Arial falls back
/// to a wider sans (DejaVu Sans is about 12% wider), so on-screen layouts leave this much room.
pub const FALLBACK_SLACK: f32 = 1.15;
/// What a cut label ends with.
pub const ELLIPSIS: char = '…';

fn advance(c: char) -> u16 {
    match c {
        ' '..='~' => HELVETICA[c as usize - 32],
        ELLIPSIS => 1000,
        _ => OTHER,
    }
}

/// Width of `text` at `size` points.
pub fn width(text: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = text.chars().map(|c| u32::from(advance(c))).sum();
    let plain = units as f32 * size / 1000.0;
    if bold { plain * BOLD } else { plain }
}

/// `text` as it fits in `max` points at `size`: whole, or cut and ended with an ellipsis.
pub fn fit(text: &str, size: f32, max: f32) -> String {
    if width(text, size, false) <= max {
        return text.to_owned();
    }
    let room = max - width(&ELLIPSIS.to_string(), size, false);
    let mut used = 0.0;
    let mut cut = String::new();
    for c in text.chars() {
        used += f32::from(advance(c)) * size / 1000.0;
        if used > room {
            break;
        }
        cut.push(c);
    }
    let mut cut = cut.trim_end().to_owned();
    cut.push(ELLIPSIS);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_font() {
        // "Hello" in Helvetica: 722 + 556 + 222 + 222 + 556 = 2278 thousandths.
        assert!((width("Hello", 10.0, false) - 22.78).abs() < 1e-4);
        assert!(width("WWW", 10.0, false) > width("iii", 10.0, false) * 3.0);
    }

    #[test]
    fn long_labels_are_cut_to_fit() {
        assert_eq!(fit("Linen shirt", 10.0, 200.0), "Linen shirt");
        let cut = fit("An extraordinarily long product name", 10.0, 80.0);
        assert!(cut.ends_with(ELLIPSIS), "{cut}");
        assert!(width(&cut, 10.0, false) <= 80.0, "{cut}");
        assert!(cut.starts_with("An extra"), "{cut}");
    }
}
