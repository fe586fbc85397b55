//! Holt's linear trend method, for smooth demand without a year of history.

use super::Fit;

/// Holt's additive trend with fixed `alpha` (level) and `beta` (trend):
/// `ŷ_t = ℓ_{t−1} + b_{t−1}`, `ℓ_t = α·y_t + (1 − α)(ℓ_{t−1} + b_{t−1})`,
/// `b_t = β(ℓ_t − ℓ_{t−1}) + (1 − β)·b_{t−1}`, forecast `ℓ_n + h·b_n`; started at
/// `ℓ₀ = y₁`, `b₀ = y₂ − y₁` ("simple" initialisation). Fewer than two values give a flat
/// forecast of the value there is.
///
/// Holt, "Forecasting seasonals and trends by exponentially weighted moving averages" (1957,
/// reprinted *IJF* 20, 2004); Hyndman & Athanasopoulos, *FPP3* §8.2. Equal to statsmodels'
/// `ExponentialSmoothing(trend="add", initialization_method="simple")` fitted with these
/// parameters and `optimized=False` (checked on reference vectors).
pub fn holt(series: &[f64], alpha: f64, beta: f64, horizon: usize) -> Fit {
    let (Some(&first), Some(&second)) = (series.first(), series.get(1)) else {
        let last = series.last().copied().unwrap_or(0.0);
        return Fit {
            fitted: vec![None; series.len()],
            forecast: vec![last; horizon],
        };
    };
    let (mut level, mut trend) = (first, second - first);
    let mut fitted = Vec::with_capacity(series.len());
    for &y in series {
        fitted.push(Some(level + trend));
        let previous = level;
        level = alpha * y + (1.0 - alpha) * (level + trend);
        trend = beta * (level - previous) + (1.0 - beta) * trend;
    }
    let forecast = (1..=horizon).map(|h| level + h as f64 * trend).collect();
    Fit { fitted, forecast }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converges_on_a_straight_line() {
        let line: Vec<f64> = (0..60).map(|t| 3.0 + 2.0 * t as f64).collect();
        let fit = holt(&line, 0.5, 0.3, 3);
        // ℓ₀ = y₁ and b₀ = y₂ − y₁ put the first fitted value one step ahead (ŷ₁ = y₂); the
        // error dies out and the forecast goes on along the line.
        assert_eq!(fit.fitted[0], Some(5.0));
        for (h, f) in fit.forecast.iter().enumerate() {
            assert!((f - (3.0 + 2.0 * (60 + h) as f64)).abs() < 1e-6, "{f}");
        }
    }

    #[test]
    fn hand_computed_table() {
        // y = 10, 12, 11; α = 0.5, β = 0.5; ℓ₀ = 10, b₀ = 2.
        // t1: ŷ 12, ℓ = 5 + 6 = 11, b = 0.5 + 1 = 1.5
        // t2: ŷ 12.5, ℓ = 6 + 6.25 = 12.25, b = 0.625 + 0.75 = 1.375
        // t3: ŷ 13.625, ℓ = 5.5 + 6.8125 = 12.3125, b = 0.03125 + 0.6875 = 0.71875
        let fit = holt(&[10.0, 12.0, 11.0], 0.5, 0.5, 2);
        assert_eq!(fit.fitted, [Some(12.0), Some(12.5), Some(13.625)]);
        assert_eq!(fit.forecast, [13.03125, 13.75]);
    }
}
