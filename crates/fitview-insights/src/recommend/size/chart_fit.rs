//! Layer 1: how well each size of a chart fits a body.
//!
//! For size `s` and the measurements `m` both the body and the size give, with `x_m` the body's
//! value, `c_m` the range's centre and `w_m` its width (at least 1 cm):
//!
//! `d_s = sqrt(mean_m ((x_m - c_m) / w_m)^2)`, `weight_s ∝ exp(-d_s^2 / (2 σ^2))`, `σ = 1/2`,
//!
//! so a body at the centre of M, with S and L one range width away, gives M about 0.79; a body on
//! the border of M and L gives each about half. The normalised weights are the layer's confidence
//! per size (SmartSize's three-measurement size tables work the same way: distance to the range).

use crate::recommend::size::{Measurements, SizeChart};

/// Spread of the weights, in range widths.
const SIGMA: f64 = 0.5;

/// Narrowest range width used, in centimetres (a chart may give `[90, 90]`).
const MIN_WIDTH_CM: f64 = 1.0;

/// The chart layer's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFit {
    /// Each chart size's label and weight, in the chart's order; the weights sum to 1.
    pub weights: Vec<(String, f64)>,
    /// How many of the body's measurements the best size was judged on.
    pub measurements_used: usize,
}

/// Weighs each size of `chart` for `body`; `None` when no size gives any measurement the body has.
pub fn chart_fit(chart: &SizeChart, body: &Measurements) -> Option<ChartFit> {
    let distances: Vec<Option<(f64, usize)>> = chart
        .sizes
        .iter()
        .map(|size| {
            let terms: Vec<f64> = size
                .ranges
                .iter()
                .filter_map(|(m, [lo, hi])| {
                    let x = body.get(m)?;
                    let z = (x - (lo + hi) / 2.0) / (hi - lo).max(MIN_WIDTH_CM);
                    Some(z * z)
                })
                .collect();
            (!terms.is_empty())
                .then(|| (terms.iter().sum::<f64>() / terms.len() as f64, terms.len()))
        })
        .collect();
    let nearest = distances
        .iter()
        .flatten()
        .copied()
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    let raw: Vec<f64> = distances
        .iter()
        .map(|d| {
            d.map_or(0.0, |(d2, _)| {
                (-(d2 - nearest.0) / (2.0 * SIGMA * SIGMA)).exp()
            })
        })
        .collect();
    let total: f64 = raw.iter().sum();
    Some(ChartFit {
        weights: chart
            .sizes
            .iter()
            .zip(raw)
            .map(|(size, w)| (size.label.clone(), w / total))
            .collect(),
        measurements_used: nearest.1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::size::Measurement;

    fn chart() -> SizeChart {
        SizeChart::from_json(
            r#"{"unit": "cm", "sizes": {
                "S": {"chest": [84, 90], "waist": [70, 76]},
                "M": {"chest": [90, 96], "waist": [76, 82]},
                "L": {"chest": [96, 102], "waist": [82, 88]}}}"#,
        )
        .unwrap()
    }

    fn weight(fit: &ChartFit, label: &str) -> f64 {
        fit.weights.iter().find(|(l, _)| l == label).unwrap().1
    }

    #[test]
    fn a_body_in_the_middle_of_m_gets_m() {
        let body = Measurements::from([(Measurement::Chest, 93.0), (Measurement::Waist, 79.0)]);
        let fit = chart_fit(&chart(), &body).unwrap();
        assert!((weight(&fit, "M") - 0.787).abs() < 0.01, "{fit:?}");
        assert!((weight(&fit, "S") - weight(&fit, "L")).abs() < 1e-9);
        assert_eq!(fit.measurements_used, 2);
    }

    #[test]
    fn a_body_on_the_border_is_split_and_far_bodies_still_get_the_nearest_size() {
        let border = Measurements::from([(Measurement::Chest, 96.0)]);
        let fit = chart_fit(&chart(), &border).unwrap();
        assert!((weight(&fit, "M") - weight(&fit, "L")).abs() < 1e-9);
        assert!(weight(&fit, "M") > 0.45, "{fit:?}");

        let huge = Measurements::from([(Measurement::Chest, 300.0)]);
        let fit = chart_fit(&chart(), &huge).unwrap();
        assert!((weight(&fit, "L") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn nothing_in_common_is_no_answer() {
        let body = Measurements::from([(Measurement::Height, 180.0)]);
        assert_eq!(chart_fit(&chart(), &body), None);
    }
}
