//! Croston's method with the Syntetos-Boylan approximation, for intermittent demand.

use super::Fit;
use super::ses::Smoother;

/// Croston-SBA: smooth the non-zero demand sizes `z` and the intervals `p` between them (in
/// periods, the first counted from the start of the series) with two [`Smoother`]s of the
/// same `alpha`, and forecast every future period as `(1 − α/2)·z/p`.
///
/// Croston, "Forecasting and stock control for intermittent demands", *Operational Research
/// Quarterly* 23 (1972); the bias correction `1 − α/2` is Syntetos & Boylan, "The accuracy of
/// intermittent demand estimates", *IJF* 21 (2005). With `alpha = 0.1` this is exactly
/// statsforecast's `CrostonSBA` (checked on reference vectors). No stochastic model stands
/// behind it, so its intervals come from its one-step errors (see [`Fit::points`]).
pub fn croston_sba(series: &[f64], alpha: f64, horizon: usize) -> Fit {
    let factor = 1.0 - alpha / 2.0;
    let mut sizes = Smoother::new(alpha);
    let mut intervals = Smoother::new(alpha);
    let mut since_demand = 0.0;
    let mut fitted = Vec::with_capacity(series.len());
    let forecast_now =
        |sizes: &Smoother, intervals: &Smoother| match (sizes.level(), intervals.level()) {
            (Some(z), Some(p)) if p != 0.0 => Some(factor * z / p),
            (Some(z), _) => Some(factor * z),
            _ => None,
        };
    for &y in series {
        fitted.push(forecast_now(&sizes, &intervals));
        since_demand += 1.0;
        if y != 0.0 {
            sizes.push(y);
            intervals.push(since_demand);
            since_demand = 0.0;
        }
    }
    let next = forecast_now(&sizes, &intervals).unwrap_or(0.0);
    Fit {
        fitted,
        forecast: vec![next; horizon],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_table() {
        // Demands 4 (interval 2) and 2 (interval 3), α = 0.5:
        // z = 4 → 0.5·2 + 0.5·4 = 3; p = 2 → 0.5·3 + 0.5·2 = 2.5; SBA = 0.75 · 3 / 2.5 = 0.9.
        let fit = croston_sba(&[0.0, 4.0, 0.0, 0.0, 2.0, 0.0], 0.5, 2);
        assert!((fit.forecast[0] - 0.9).abs() < 1e-12);
        assert_eq!(fit.forecast.len(), 2);
        // Before the first demand nothing is forecast; after it, 0.75 · 4 / 2 = 1.5.
        assert_eq!(fit.fitted[..2], [None, None]);
        assert_eq!(fit.fitted[2], Some(1.5));
    }

    #[test]
    fn no_demand_forecasts_zero() {
        assert_eq!(croston_sba(&[0.0; 5], 0.1, 3).forecast, [0.0; 3]);
    }
}
