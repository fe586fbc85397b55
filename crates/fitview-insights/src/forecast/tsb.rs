//! Teunter-Syntetos-Babai, for intermittent demand that may die out.

use super::Fit;
use super::ses::Smoother;

/// TSB: smooth the non-zero demand sizes `z` with `alpha_d` and the probability of demand
/// (1 in a period with demand, 0 without, updated every period) `p` with `alpha_p`; forecast
/// every future period as `p·z`. Unlike Croston the probability decays through a run of zeros,
/// so an item that stops selling is forecast towards zero.
///
/// Teunter, Syntetos & Babai, "Intermittent demand: linking forecasting to inventory
/// obsolescence", *EJOR* 214 (2011). This is statsforecast's `TSB(alpha_d, alpha_p)` (checked
/// on reference vectors).
pub fn tsb(series: &[f64], alpha_d: f64, alpha_p: f64, horizon: usize) -> Fit {
    let mut sizes = Smoother::new(alpha_d);
    let mut probability = Smoother::new(alpha_p);
    let mut fitted = Vec::with_capacity(series.len());
    let forecast_now =
        |sizes: &Smoother, probability: &Smoother| match (sizes.level(), probability.level()) {
            (Some(z), Some(p)) => Some(p * z),
            (None, Some(_)) => Some(0.0),
            _ => None,
        };
    for &y in series {
        fitted.push(forecast_now(&sizes, &probability));
        probability.push(if y != 0.0 { 1.0 } else { 0.0 });
        if y != 0.0 {
            sizes.push(y);
        }
    }
    let next = forecast_now(&sizes, &probability).unwrap_or(0.0);
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
        // p: 0 → 0.5·1 = 0.5 → 0.25 → 0.125; z = 4. Forecast 0.125 · 4 = 0.5.
        let fit = tsb(&[0.0, 4.0, 0.0, 0.0], 0.5, 0.5, 1);
        assert!((fit.forecast[0] - 0.5).abs() < 1e-12);
        assert_eq!(fit.fitted, [None, Some(0.0), Some(2.0), Some(1.0)]);
    }

    #[test]
    fn decays_after_demand_stops() {
        let mut series = vec![3.0; 10];
        series.extend([0.0; 20]);
        let fit = tsb(&series, 0.1, 0.2, 1);
        assert!(fit.forecast[0] < 0.05 * 3.0);
    }
}
