//! The report's charts, laid out from its [`Figures`]: the same scenes go to the dashboard as
//! SVG and to the PDF.

use chrono::Days;

use super::figures::{Figures, Named};
use super::words::{count, percent, step};
use crate::analytics::routes::ProductForecast;
use crate::charts::bars::{self, Bar, Series};
use crate::charts::lines::{self, Band, Line};
use crate::charts::{Colour, Scene};

/// Height of the column and line charts.
const PLOT_HEIGHT: f32 = 190.0;
/// Weeks of history drawn before a forecast.
const HISTORY_WEEKS: usize = 26;

/// Viewed → tried on → carted → bought, with the share of the first step.
pub fn funnel(figures: &Figures, width: f32) -> Scene {
    let bars: Vec<Bar> = figures
        .funnel
        .iter()
        .map(|s| Bar {
            label: step(s.event).to_owned(),
            value: s.count as f64,
            shown: match s.conversion_from_first {
                Some(share) if s.event != figures.funnel[0].event => {
                    format!("{} ({})", count(s.count as i64), percent(Some(share)))
                }
                _ => count(s.count as i64),
            },
        })
        .collect();
    let bars = if bars.iter().all(|b| b.value == 0.0) {
        Vec::new()
    } else {
        bars
    };
    bars::horizontal("Shoppers at each step", &bars, width)
}

/// Units bought of the best sellers.
pub fn top_products(figures: &Figures, width: f32) -> Scene {
    let bars: Vec<Bar> = figures
        .products
        .iter()
        .filter(|p| p.figures.purchased_units > 0 || p.figures.tryons > 0)
        .map(|p| Bar {
            label: p.name.clone(),
            value: p.figures.purchased_units as f64,
            shown: format!(
                "{} bought, {} tried on",
                count(p.figures.purchased_units),
                count(p.figures.tryons)
            ),
        })
        .collect();
    bars::horizontal("Best sellers: units bought", &bars, width)
}

/// Try-ons per model: the bodies shoppers choose.
pub fn models(figures: &Figures, width: f32) -> Scene {
    let bars: Vec<Bar> = figures
        .models
        .iter()
        .filter(|m| m.figures.tryons > 0 || m.figures.selections > 0)
        .map(|m| Bar {
            label: m.name.clone(),
            value: m.figures.tryons as f64,
            shown: format!(
                "{} try-ons, {} converted",
                count(m.figures.tryons),
                percent(m.figures.conversion)
            ),
        })
        .collect();
    bars::horizontal("Try-ons by model", &bars, width)
}

/// Units bought and returned per size.
pub fn sizes(figures: &Figures, width: f32) -> Scene {
    let sizes: Vec<&_> = figures
        .sizes
        .iter()
        .filter(|s| !s.size.is_empty())
        .collect();
    let categories: Vec<String> = sizes.iter().map(|s| s.size.clone()).collect();
    let series = [
        Series {
            name: "Bought".to_owned(),
            colour: Colour::PRIMARY,
            values: sizes.iter().map(|s| s.purchased_units as f64).collect(),
        },
        Series {
            name: "Returned".to_owned(),
            colour: Colour::SECONDARY,
            values: sizes.iter().map(|s| s.returned_units as f64).collect(),
        },
    ];
    bars::columns(
        "Units bought and returned by size",
        &categories,
        &series,
        width,
        PLOT_HEIGHT,
    )
}

/// Try-ons completed and failed on each day of the period (days without any at zero).
pub fn tryons(figures: &Figures, width: f32) -> Scene {
    let days = (figures.to - figures.from).num_days().max(0) as u64 + 1;
    let dates: Vec<_> = (0..days).map(|i| figures.from + Days::new(i)).collect();
    let on = |day, pick: fn(&fitview_insights::aggregate::DayFigures) -> i64| {
        figures
            .days
            .iter()
            .find(|d| d.day == Some(day))
            .map_or(0.0, |d| pick(d) as f64)
    };
    let lines = [
        Line {
            name: "Completed".to_owned(),
            colour: Colour::PRIMARY,
            values: dates
                .iter()
                .map(|d| Some(on(*d, |f| f.completed)))
                .collect(),
            dashed: false,
        },
        Line {
            name: "Failed".to_owned(),
            colour: Colour::SECONDARY,
            values: dates.iter().map(|d| Some(on(*d, |f| f.failed))).collect(),
            dashed: false,
        },
    ];
    let labels: Vec<String> = dates
        .iter()
        .map(|d| d.format("%b %-d").to_string())
        .collect();
    let lines: Vec<Line> = if figures.days.is_empty() {
        Vec::new()
    } else {
        lines.into()
    };
    lines::over_time("Try-ons per day", &labels, &lines, None, width, PLOT_HEIGHT)
}

/// A best seller's last weeks of sales and its forecast with the 95% range.
pub fn forecast(one: &Named<ProductForecast>, width: f32) -> Scene {
    let f = &one.figures;
    let shown = f.history.len().min(HISTORY_WEEKS);
    let history = &f.history[f.history.len() - shown..];
    let ahead = f.forecast.points.len();
    let first_week = f.this_week - Days::new(7 * shown as u64);
    let labels: Vec<String> = (0..shown + ahead)
        .map(|i| {
            (first_week + Days::new(7 * i as u64))
                .format("%b %-d")
                .to_string()
        })
        .collect();
    // The forecast line starts at the last week sold, so the two lines meet.
    let mut sold: Vec<Option<f64>> = history.iter().map(|u| Some(*u)).collect();
    sold.resize(shown + ahead, None);
    let mut expected: Vec<Option<f64>> = vec![None; shown + ahead];
    if let Some(last) = history.last() {
        expected[shown - 1] = Some(*last);
    }
    let mut low = vec![None; shown + ahead];
    let mut high = vec![None; shown + ahead];
    for (i, p) in f.forecast.points.iter().enumerate() {
        expected[shown + i] = Some(p.units);
        low[shown + i] = Some(p.low);
        high[shown + i] = Some(p.high);
    }
    let lines = [
        Line {
            name: "Units sold per week".to_owned(),
            colour: Colour::PRIMARY,
            values: sold,
            dashed: false,
        },
        Line {
            name: "Forecast".to_owned(),
            colour: Colour::PRIMARY,
            values: expected,
            dashed: true,
        },
    ];
    let band = Band {
        name: "95% range".to_owned(),
        low,
        high,
    };
    lines::over_time(
        &format!("Demand forecast: {}", one.name),
        &labels,
        &lines,
        Some(&band),
        width,
        PLOT_HEIGHT,
    )
}
