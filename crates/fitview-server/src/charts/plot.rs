//! The plot area of a column or line chart: a value axis from zero with round ticks and grid
//! lines, and a legend above it.

use super::text_width::{FALLBACK_SLACK, width};
use super::{Anchor, Colour, Item, LABEL_SIZE, Scene, TITLE_SIZE, tick_label, ticks};

/// Room left of the plot for the tick labels.
const AXIS_ROOM: f32 = 40.0;
/// Room under the plot for the category or date labels.
const LABEL_ROOM: f32 = 18.0;
/// Top of the legend row.
const LEGEND_TOP: f32 = TITLE_SIZE + 8.0;
/// Ticks on the value axis, about.
const TICKS: usize = 4;

/// A series' key in the legend.
pub struct Key<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its colour.
    pub colour: Colour,
    /// A dashed line (a forecast) rather than a swatch.
    pub dashed: bool,
}

/// Where values go: the plot's box and the top of its value axis.
#[derive(Debug, Clone, Copy)]
pub struct Plot {
    /// Left edge.
    pub left: f32,
    /// Top edge.
    pub top: f32,
    /// Right edge.
    pub right: f32,
    /// Bottom edge (the zero line).
    pub bottom: f32,
    /// The value at the top edge.
    pub max: f64,
}

impl Plot {
    /// Draws the title, the legend and the value axis for values up to `max`, and gives the
    /// box the values go in.
    pub fn frame(scene: &mut Scene, keys: &[Key<'_>], max: f64) -> Plot {
        scene.heading();
        legend(scene, keys);
        let ticks = ticks(max, TICKS);
        let top_value = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        let plot = Plot {
            left: AXIS_ROOM,
            top: LEGEND_TOP + LABEL_SIZE + 12.0,
            right: scene.width - 4.0,
            bottom: scene.height - LABEL_ROOM,
            max: top_value,
        };
        for tick in ticks {
            let y = plot.y(tick);
            scene.items.push(Item::Line {
                points: vec![(plot.left, y), (plot.right, y)],
                stroke: if tick == 0.0 {
                    Colour::MUTED
                } else {
                    Colour::GRID
                },
                width: 0.5,
                dashed: false,
            });
            scene.text(
                plot.left - 4.0,
                y + LABEL_SIZE / 3.0,
                &tick_label(tick),
                LABEL_SIZE,
                Anchor::End,
                Colour::MUTED,
            );
        }
        plot
    }

    /// The height of `value` (clamped into the axis).
    pub fn y(&self, value: f64) -> f32 {
        let share = (value / self.max).clamp(0.0, 1.0) as f32;
        self.bottom - share * (self.bottom - self.top)
    }

    /// Width of the plot.
    pub fn width(&self) -> f32 {
        self.right - self.left
    }

    /// Writes a category or date label under the plot at `x`.
    pub fn label_under(&self, scene: &mut Scene, x: f32, text: &str) {
        scene.text(
            x,
            self.bottom + LABEL_SIZE + 4.0,
            text,
            LABEL_SIZE,
            Anchor::Middle,
            Colour::MUTED,
        );
    }
}

fn legend(scene: &mut Scene, keys: &[Key<'_>]) {
    let mut x = AXIS_ROOM;
    let y = LEGEND_TOP;
    for key in keys {
        if key.dashed {
            scene.items.push(Item::Line {
                points: vec![(x, y + 4.5), (x + 14.0, y + 4.5)],
                stroke: key.colour,
                width: 2.0,
                dashed: true,
            });
        } else {
            scene.items.push(Item::Rect {
                x,
                y,
                w: 14.0,
                h: 9.0,
                fill: key.colour,
            });
        }
        scene.text(
            x + 18.0,
            y + 8.0,
            key.name,
            LABEL_SIZE,
            Anchor::Start,
            Colour::INK,
        );
        x += 18.0 + width(key.name, LABEL_SIZE, false) * FALLBACK_SLACK + 12.0;
    }
}
