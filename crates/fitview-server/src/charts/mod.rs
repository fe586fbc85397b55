//! Charts of the retailer's figures, drawn once and written twice: a chart is laid out as a
//! [`Scene`] of rectangles, lines, areas and text in its own box, which [`svg`] writes for the
//! dashboard page and [`pdf`] for the report, so the two always show the same picture.
//!
//! - [`bars`]: horizontal bars (funnel, top products, models) and grouped columns (sizes).
//! - [`lines`]: lines over a time axis with an optional band (try-ons per day, forecasts).
//! - [`plot`]: the value axis, grid and legend the column and line charts share.
//! - [`text_width`]: how wide a label is, so long names are cut to fit.

pub mod bars;
pub mod lines;
pub mod pdf;
pub mod plot;
pub mod svg;
pub mod text_width;

/// A colour as red, green, blue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    /// Text and axes.
    pub const INK: Colour = Colour(0x22, 0x22, 0x22);
    /// Secondary text (ticks, notes).
    pub const MUTED: Colour = Colour(0x6b, 0x6b, 0x6b);
    /// Grid lines.
    pub const GRID: Colour = Colour(0xe2, 0xe2, 0xe2);
    /// The first series (a dark teal, AA contrast on white).
    pub const PRIMARY: Colour = Colour(0x0b, 0x6e, 0x6e);
    /// The second series (a dark orange, AA contrast on white).
    pub const SECONDARY: Colour = Colour(0xb3, 0x4a, 0x00);
    /// A forecast's band.
    pub const BAND: Colour = Colour(0xcd, 0xe6, 0xe6);

    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// Where a text's `x` is: its start, middle or end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// `x` is the left edge.
    Start,
    /// `x` is the centre.
    Middle,
    /// `x` is the right edge.
    End,
}

/// One thing drawn. Coordinates are points from the top left of the scene.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A filled rectangle.
    Rect {
        /// Left edge.
        x: f32,
        /// Top edge.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Fill.
        fill: Colour,
    },
    /// An open line through the points.
    Line {
        /// The points, in order.
        points: Vec<(f32, f32)>,
        /// Stroke.
        stroke: Colour,
        /// Stroke width.
        width: f32,
        /// Dashed (a forecast) or solid (what happened).
        dashed: bool,
    },
    /// A filled polygon (a forecast's band).
    Area {
        /// The corners, in order.
        points: Vec<(f32, f32)>,
        /// Fill.
        fill: Colour,
    },
    /// One line of text; `y` is its baseline.
    Text {
        /// Anchor's position.
        x: f32,
        /// Baseline.
        y: f32,
        /// The words (already cut to fit).
        text: String,
        /// Font size.
        size: f32,
        /// What `x` is.
        anchor: Anchor,
        /// Fill.
        colour: Colour,
        /// Bold (titles).
        bold: bool,
    },
}

/// A chart: its size, its title (also its accessible name) and what it draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Width in points.
    pub width: f32,
    /// Height in points.
    pub height: f32,
    /// What the chart shows, in words.
    pub title: String,
    /// What is drawn, back to front.
    pub items: Vec<Item>,
}

impl Scene {
    /// An empty scene.
    pub fn new(width: f32, height: f32, title: &str) -> Self {
        Scene {
            width,
            height,
            title: title.to_owned(),
            items: Vec::new(),
        }
    }

    /// Adds a text.
    pub fn text(&mut self, x: f32, y: f32, text: &str, size: f32, anchor: Anchor, colour: Colour) {
        self.items.push(Item::Text {
            x,
            y,
            text: text.to_owned(),
            size,
            anchor,
            colour,
            bold: false,
        });
    }

    /// Adds the title, bold, at the top left.
    pub fn heading(&mut self) {
        self.items.push(Item::Text {
            x: 0.0,
            y: TITLE_SIZE,
            text: self.title.clone(),
            size: TITLE_SIZE,
            anchor: Anchor::Start,
            colour: Colour::INK,
            bold: true,
        });
    }

    /// Adds a note in the middle of the plot when there is nothing to draw.
    pub fn nothing_yet(&mut self, words: &str) {
        self.text(
            self.width / 2.0,
            self.height / 2.0 + TITLE_SIZE / 2.0,
            words,
            LABEL_SIZE,
            Anchor::Middle,
            Colour::MUTED,
        );
    }
}

/// Size of a chart's title.
pub const TITLE_SIZE: f32 = 12.0;
/// Size of labels and ticks.
pub const LABEL_SIZE: f32 = 10.0;

/// Up to about `count` round tick values from 0 to at least `max` (steps of 1, 2 or 5 times a
/// power of ten, at least 1: the charts count units and shoppers), so an axis reads 0, 50, 100
/// rather than 0, 43.7, 87.4.
pub fn ticks(max: f64, count: usize) -> Vec<f64> {
    if !(max.is_finite() && max > 0.0) {
        return vec![0.0, 1.0];
    }
    let raw = (max / count.max(1) as f64).max(1.0);
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    let steps = (max / step).ceil() as usize;
    (0..=steps).map(|i| i as f64 * step).collect()
}

/// A tick's label: no decimals for whole numbers, one otherwise.
pub fn tick_label(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(87.4, 4), vec![0.0, 50.0, 100.0]);
        assert_eq!(ticks(7.0, 4), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(ticks(1000.0, 4), vec![0.0, 500.0, 1000.0]);
        assert_eq!(ticks(0.0, 4), vec![0.0, 1.0]);
        assert_eq!(ticks(2.0, 4), vec![0.0, 1.0, 2.0]);
        assert_eq!(ticks(0.3, 3), vec![0.0, 1.0]);
        assert_eq!(tick_label(2.5), "2.5");
    }
}
