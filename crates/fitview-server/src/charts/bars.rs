//! Bar charts: horizontal bars, one per row with its label and value (the funnel, top
//! products, models), and columns grouped per category with one per series (sizes).

use super::plot::{Key, Plot};
use super::text_width::{FALLBACK_SLACK, fit, width};
use super::{Anchor, Colour, Item, LABEL_SIZE, Scene, TITLE_SIZE};

/// Height of one horizontal bar's row.
const ROW: f32 = 18.0;
/// What an empty chart says.
const NOTHING: &str = "Nothing in this period yet";

/// One horizontal bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// What it is (cut to fit).
    pub label: String,
    /// Its length.
    pub value: f64,
    /// Its value as words, after the bar ("120 (35%)").
    pub shown: String,
}

/// Horizontal bars, longest value the full width; labels take up to a third of the width.
pub fn horizontal(title: &str, bars: &[Bar], chart_width: f32) -> Scene {
    let top = TITLE_SIZE + 10.0;
    let height = if bars.is_empty() {
        top + 3.0 * ROW
    } else {
        top + ROW * bars.len() as f32 + 4.0
    };
    let mut scene = Scene::new(chart_width, height, title);
    scene.heading();
    if bars.is_empty() {
        scene.nothing_yet(NOTHING);
        return scene;
    }
    let wide = |text: &str| width(text, LABEL_SIZE, false) * FALLBACK_SLACK;
    let label_room = bars
        .iter()
        .map(|b| wide(&b.label))
        .fold(0.0, f32::max)
        .min(chart_width / 3.0);
    let value_room = bars.iter().map(|b| wide(&b.shown)).fold(0.0, f32::max) + 6.0;
    let bar_left = label_room + 8.0;
    let bar_room = (chart_width - bar_left - value_room).max(1.0);
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    for (i, bar) in bars.iter().enumerate() {
        let y = top + ROW * i as f32;
        let baseline = y + ROW / 2.0 + LABEL_SIZE / 3.0;
        scene.text(
            0.0,
            baseline,
            &fit(&bar.label, LABEL_SIZE, label_room / FALLBACK_SLACK),
            LABEL_SIZE,
            Anchor::Start,
            Colour::INK,
        );
        let length = if max > 0.0 {
            (bar.value / max).clamp(0.0, 1.0) as f32 * bar_room
        } else {
            0.0
        };
        scene.items.push(Item::Rect {
            x: bar_left,
            y: y + 3.0,
            w: length,
            h: ROW - 6.0,
            fill: Colour::PRIMARY,
        });
        scene.text(
            bar_left + length + 4.0,
            baseline,
            &bar.shown,
            LABEL_SIZE,
            Anchor::Start,
            Colour::INK,
        );
    }
    scene
}

/// One series of columns: a value per category.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// Its colour.
    pub colour: Colour,
    /// One value per category.
    pub values: Vec<f64>,
}

/// Columns grouped per category, a column per series, on a value axis from zero.
pub fn columns(
    title: &str,
    categories: &[String],
    series: &[Series],
    chart_width: f32,
    chart_height: f32,
) -> Scene {
    let mut scene = Scene::new(chart_width, chart_height, title);
    let keys: Vec<Key<'_>> = series
        .iter()
        .map(|s| Key {
            name: &s.name,
            colour: s.colour,
            dashed: false,
        })
        .collect();
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    let plot = Plot::frame(&mut scene, &keys, max);
    if categories.is_empty() || max <= 0.0 {
        scene.nothing_yet(NOTHING);
        return scene;
    }
    let group = plot.width() / categories.len() as f32;
    let column = (group * 0.8 / series.len().max(1) as f32).min(28.0);
    let used = column * series.len() as f32;
    for (c, category) in categories.iter().enumerate() {
        let group_left = plot.left + group * c as f32;
        let first = group_left + (group - used) / 2.0;
        for (s, one) in series.iter().enumerate() {
            let value = one.values.get(c).copied().unwrap_or(0.0);
            let top = plot.y(value);
            scene.items.push(Item::Rect {
                x: first + column * s as f32,
                y: top,
                w: column - 1.0,
                h: plot.bottom - top,
                fill: one.colour,
            });
        }
        plot.label_under(
            &mut scene,
            group_left + group / 2.0,
            &fit(category, LABEL_SIZE, (group - 2.0) / FALLBACK_SLACK),
        );
    }
    scene
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rects(scene: &Scene) -> Vec<(f32, f32, f32, f32)> {
        scene
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Rect { x, y, w, h, .. } => Some((*x, *y, *w, *h)),
                _ => None,
            })
            .collect()
    }

    fn texts(scene: &Scene) -> Vec<String> {
        scene
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn bars_are_as_long_as_their_values() {
        let bars = [
            Bar {
                label: "Viewed".into(),
                value: 200.0,
                shown: "200".into(),
            },
            Bar {
                label: "Tried on".into(),
                value: 50.0,
                shown: "50 (25%)".into(),
            },
        ];
        let scene = horizontal("Funnel", &bars, 400.0);
        let r = rects(&scene);
        assert_eq!(r.len(), 2);
        assert!((r[0].2 / r[1].2 - 4.0).abs() < 1e-3, "{r:?}");
        assert!(r[0].0 + r[0].2 < 400.0);
        let words = texts(&scene);
        for w in ["Funnel", "Viewed", "Tried on", "200", "50 (25%)"] {
            assert!(words.iter().any(|t| t == w), "{w} in {words:?}");
        }
    }

    #[test]
    fn an_empty_chart_says_so() {
        let scene = horizontal("Top products", &[], 400.0);
        assert!(texts(&scene).iter().any(|t| t == NOTHING));
        let scene = columns("Sizes", &[], &[], 400.0, 200.0);
        assert!(texts(&scene).iter().any(|t| t == NOTHING));
    }

    #[test]
    fn columns_stand_on_the_zero_line_at_their_height() {
        let categories = vec!["S".to_owned(), "M".to_owned()];
        let series = [
            Series {
                name: "Bought".into(),
                colour: Colour::PRIMARY,
                values: vec![10.0, 40.0],
            },
            Series {
                name: "Returned".into(),
                colour: Colour::SECONDARY,
                values: vec![5.0, 0.0],
            },
        ];
        let scene = columns("Sizes", &categories, &series, 400.0, 200.0);
        // Two legend swatches, then four columns.
        let r = rects(&scene);
        assert_eq!(r.len(), 6, "{r:?}");
        let columns = &r[2..];
        let bottom = columns[0].1 + columns[0].3;
        for c in columns {
            assert!((c.1 + c.3 - bottom).abs() < 1e-3, "{c:?}");
        }
        // M bought (40) is four times S bought (10) and eight times S returned (5).
        assert!((columns[2].3 / columns[0].3 - 4.0).abs() < 1e-3);
        assert!((columns[2].3 / columns[1].3 - 8.0).abs() < 1e-3);
        assert_eq!(columns[3].3, 0.0);
        assert!(texts(&scene).iter().any(|t| t == "M"));
    }
}
