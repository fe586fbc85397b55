//! A [`Scene`] drawn into a PDF page's content stream, in the PDF's base-14 Helvetica (no font
//! file to embed), text encoded as WinAnsi: Latin letters and the usual punctuation print as
//! themselves, anything else as `?`.

use pdf_writer::{Content, Name, Str};

use super::text_width::width;
use super::{Anchor, Colour, Item, Scene};

/// The page's two fonts, as named in its resources.
#[derive(Debug, Clone, Copy)]
pub struct Fonts<'a> {
    /// Helvetica.
    pub regular: Name<'a>,
    /// Helvetica-Bold.
    pub bold: Name<'a>,
}

/// `text` in WinAnsi (Windows-1252), the encoding the report's fonts are declared with.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' | '\u{a0}'..='\u{ff}' => c as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '™' => 0x99,
            _ => b'?',
        })
        .collect()
}

fn fill(content: &mut Content, colour: Colour) {
    content.set_fill_rgb(
        f32::from(colour.0) / 255.0,
        f32::from(colour.1) / 255.0,
        f32::from(colour.2) / 255.0,
    );
}

fn stroke(content: &mut Content, colour: Colour) {
    content.set_stroke_rgb(
        f32::from(colour.0) / 255.0,
        f32::from(colour.1) / 255.0,
        f32::from(colour.2) / 255.0,
    );
}

/// Writes one line of text with its baseline at (`x`, `y`) in page coordinates.
pub fn text(
    content: &mut Content,
    fonts: Fonts<'_>,
    (x, y): (f32, f32),
    words: &str,
    size: f32,
    bold: bool,
    colour: Colour,
) {
    fill(content, colour);
    content.begin_text();
    content.set_font(if bold { fonts.bold } else { fonts.regular }, size);
    content.next_line(x, y);
    content.show(Str(&win_ansi(words)));
    content.end_text();
}

/// Draws `scene` with its top left corner at (`left`, `top`) of the page (PDF coordinates:
/// points from the bottom left).
pub fn draw(content: &mut Content, fonts: Fonts<'_>, scene: &Scene, left: f32, top: f32) {
    let at = |(x, y): (f32, f32)| (left + x, top - y);
    content.save_state();
    for item in &scene.items {
        match item {
            Item::Rect {
                x,
                y,
                w,
                h,
                fill: f,
            } => {
                if *w <= 0.0 || *h <= 0.0 {
                    continue;
                }
                fill(content, *f);
                let (px, py) = at((*x, *y + *h));
                content.rect(px, py, *w, *h);
                content.fill_nonzero();
            }
            Item::Line {
                points,
                stroke: s,
                width,
                dashed,
            } => {
                let Some((first, rest)) = points.split_first() else {
                    continue;
                };
                stroke(content, *s);
                content.set_line_width(*width);
                if *dashed {
                    content.set_dash_pattern([4.0, 3.0], 0.0);
                } else {
                    content.set_dash_pattern([], 0.0);
                }
                let (x, y) = at(*first);
                content.move_to(x, y);
                for p in rest {
                    let (x, y) = at(*p);
                    content.line_to(x, y);
                }
                content.stroke();
            }
            Item::Area { points, fill: f } => {
                let Some((first, rest)) = points.split_first() else {
                    continue;
                };
                fill(content, *f);
                let (x, y) = at(*first);
                content.move_to(x, y);
                for p in rest {
                    let (x, y) = at(*p);
                    content.line_to(x, y);
                }
                content.close_path();
                content.fill_nonzero();
            }
            Item::Text {
                x,
                y,
                text: words,
                size,
                anchor,
                colour,
                bold,
            } => {
                let shift = match anchor {
                    Anchor::Start => 0.0,
                    Anchor::Middle => width(words, *size, *bold) / 2.0,
                    Anchor::End => width(words, *size, *bold),
                };
                let (px, py) = at((*x - shift, *y));
                text(content, fonts, (px, py), words, *size, *bold, *colour);
            }
        }
    }
    content.restore_state();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_win_ansi() {
        assert_eq!(win_ansi("Café – 5 €"), b"Caf\xe9 \x96 5 \x80");
        assert_eq!(win_ansi("日本"), b"??");
    }
}
