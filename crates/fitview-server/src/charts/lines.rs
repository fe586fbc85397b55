//! Lines over a time axis: one point per day or week, solid for what happened and dashed for a
//! forecast, with an optional band (a forecast's low to high).

use super::plot::{Key, Plot};
use super::{Colour, Item, Scene};

/// Most date labels under the axis.
const DATE_LABELS: usize = 6;

/// One line: a value per point of the axis (`None` where it has none).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Its name in the legend.
    pub name: String,
    /// Its colour.
    pub colour: Colour,
    /// One value per point.
    pub values: Vec<Option<f64>>,
    /// Dashed: a forecast.
    pub dashed: bool,
}

/// A shaded range per point (`None` where there is none).
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Its name in the legend.
    pub name: String,
    /// Low end per point.
    pub low: Vec<Option<f64>>,
    /// High end per point.
    pub high: Vec<Option<f64>>,
}

/// Lines over `dates` (one label per point, a few of them shown), the band behind them.
pub fn over_time(
    title: &str,
    dates: &[String],
    lines: &[Line],
    band: Option<&Band>,
    chart_width: f32,
    chart_height: f32,
) -> Scene {
    let mut scene = Scene::new(chart_width, chart_height, title);
    let mut keys: Vec<Key<'_>> = lines
        .iter()
        .map(|l| Key {
            name: &l.name,
            colour: l.colour,
            dashed: l.dashed,
        })
        .collect();
    if let Some(band) = band {
        keys.push(Key {
            name: &band.name,
            colour: Colour::BAND,
            dashed: false,
        });
    }
    let values = lines
        .iter()
        .flat_map(|l| l.values.iter())
        .chain(band.iter().flat_map(|b| b.high.iter()))
        .flatten();
    let max = values.copied().fold(0.0, f64::max);
    let plot = Plot::frame(&mut scene, &keys, max);
    let any = lines.iter().any(|l| l.values.iter().any(Option::is_some));
    if dates.is_empty() || !any {
        scene.nothing_yet("Nothing in this period yet");
        return scene;
    }
    let step = if dates.len() > 1 {
        plot.width() / (dates.len() - 1) as f32
    } else {
        0.0
    };
    let x = |i: usize| {
        if dates.len() > 1 {
            plot.left + step * i as f32
        } else {
            plot.left + plot.width() / 2.0
        }
    };
    if let Some(band) = band {
        let upper: Vec<(f32, f32)> = (0..dates.len())
            .filter_map(|i| {
                band.high
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|v| (x(i), plot.y(v)))
            })
            .collect();
        let lower: Vec<(f32, f32)> = (0..dates.len())
            .rev()
            .filter_map(|i| {
                band.low
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|v| (x(i), plot.y(v)))
            })
            .collect();
        if upper.len() > 1 {
            scene.items.push(Item::Area {
                points: upper.into_iter().chain(lower).collect(),
                fill: Colour::BAND,
            });
        }
    }
    for line in lines {
        // A gap in the values breaks the line.
        let mut run = Vec::new();
        for i in 0..=dates.len() {
            match line.values.get(i).copied().flatten() {
                Some(v) if i < dates.len() => run.push((x(i), plot.y(v))),
                _ => {
                    if !run.is_empty() {
                        scene.items.push(Item::Line {
                            points: std::mem::take(&mut run),
                            stroke: line.colour,
                            width: 1.5,
                            dashed: line.dashed,
                        });
                    }
                }
            }
        }
    }
    let every = dates.len().div_ceil(DATE_LABELS).max(1);
    for (i, date) in dates.iter().enumerate().step_by(every) {
        plot.label_under(&mut scene, x(i), date);
    }
    scene
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("d{i}")).collect()
    }

    #[test]
    fn a_line_rises_with_its_values_and_breaks_at_gaps() {
        let line = Line {
            name: "Units".into(),
            colour: Colour::PRIMARY,
            values: vec![Some(0.0), Some(10.0), None, Some(5.0), Some(20.0)],
            dashed: false,
        };
        let scene = over_time("Weekly units", &dates(5), &[line], None, 400.0, 200.0);
        let runs: Vec<&Vec<(f32, f32)>> = scene
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Line { points, width, .. } if *width == 1.5 => Some(points),
                _ => None,
            })
            .collect();
        assert_eq!(runs.len(), 2, "the gap splits the line");
        assert_eq!(runs[0].len(), 2);
        // Higher values are higher up (smaller y).
        assert!(runs[0][1].1 < runs[0][0].1);
        assert!(runs[1][1].1 < runs[1][0].1);
        // Points are evenly spaced left to right.
        assert!(runs[1][0].0 > runs[0][1].0);
    }

    #[test]
    fn a_band_is_drawn_behind_its_forecast() {
        let forecast = Line {
            name: "Forecast".into(),
            colour: Colour::PRIMARY,
            values: vec![Some(4.0), Some(5.0), Some(6.0)],
            dashed: true,
        };
        let band = Band {
            name: "80% range".into(),
            low: vec![Some(2.0), Some(3.0), Some(3.0)],
            high: vec![Some(6.0), Some(8.0), Some(9.0)],
        };
        let scene = over_time(
            "Forecast",
            &dates(3),
            &[forecast],
            Some(&band),
            400.0,
            200.0,
        );
        let area = scene
            .items
            .iter()
            .position(|i| matches!(i, Item::Area { points, .. } if points.len() == 6))
            .expect("the band");
        let line = scene
            .items
            .iter()
            .rposition(|i| matches!(i, Item::Line { dashed: true, .. }))
            .expect("the dashed forecast");
        assert!(area < line, "band behind the line");
    }

    #[test]
    fn no_values_says_so() {
        let empty = Line {
            name: "Units".into(),
            colour: Colour::PRIMARY,
            values: vec![None, None],
            dashed: false,
        };
        let scene = over_time("Units", &dates(2), &[empty], None, 400.0, 200.0);
        assert!(
            scene.items.iter().any(
                |i| matches!(i, Item::Text { text, .. } if text == "Nothing in this period yet")
            )
        );
    }
}
