//! Holt-Winters additive seasonality, for smooth demand with two years of weekly history.

use super::Fit;

/// Holt-Winters with additive trend and season of length `m`, fixed `alpha`, `beta`, `gamma`:
/// `ŷ_t = ℓ_{t−1} + b_{t−1} + s_{t−m}`,
/// `ℓ_t = α(y_t − s_{t−m}) + (1 − α)(ℓ_{t−1} + b_{t−1})`,
/// `b_t = β(ℓ_t − ℓ_{t−1}) + (1 − β)·b_{t−1}`,
/// `s_t = γ(y_t − ℓ_{t−1} − b_{t−1}) + (1 − γ)·s_{t−m}`,
/// forecast `ℓ_n + h·b_n + s_{n+h−m⌈h/m⌉}`. "Simple" initialisation from the first two seasons:
/// `ℓ₀` the first season's mean, `b₀` the difference of the two seasons' means over `m`, and
/// `s_i = y_i − ℓ₀` over the first season. `None` with fewer than `2m` values.
///
/// Winters, "Forecasting sales by exponentially weighted moving averages", *Management Science*
/// 6 (1960); Hyndman & Athanasopoulos, *FPP3* §8.3 and §8.6 (initialisation). Equal to
/// statsmodels' `ExponentialSmoothing(trend="add", seasonal="add",
/// initialization_method="simple")` with these parameters and `optimized=False` (checked on
/// reference vectors).
pub fn holt_winters(
    series: &[f64],
    m: usize,
    (alpha, beta, gamma): (f64, f64, f64),
    horizon: usize,
) -> Option<Fit> {
    if m == 0 || series.len() < 2 * m {
        return None;
    }
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let mut level = mean(&series[..m]);
    let mut trend = (mean(&series[m..2 * m]) - level) / m as f64;
    // season[t] is s_{t−m}: the index of the same period one season earlier.
    let mut season: Vec<f64> = series[..m].iter().map(|y| y - level).collect();
    season.reserve(series.len());
    let mut fitted = Vec::with_capacity(series.len());
    for (t, &y) in series.iter().enumerate() {
        let s = season[t];
        fitted.push(Some(level + trend + s));
        let previous = level;
        level = alpha * (y - s) + (1.0 - alpha) * (level + trend);
        season.push(gamma * (y - previous - trend) + (1.0 - gamma) * s);
        trend = beta * (level - previous) + (1.0 - beta) * trend;
    }
    let n = series.len();
    let forecast = (1..=horizon)
        .map(|h| level + h as f64 * trend + season[n + (h - 1) % m])
        .collect();
    Some(Fit { fitted, forecast })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pure_season_repeats() {
        let season = [5.0, 1.0, 3.0];
        let series: Vec<f64> = season.iter().cycle().take(12).copied().collect();
        let fit = holt_winters(&series, 3, (0.3, 0.1, 0.2), 4).unwrap();
        for (f, want) in fit.forecast.iter().zip([5.0, 1.0, 3.0, 5.0]) {
            assert!((f - want).abs() < 1e-9, "{f} vs {want}");
        }
    }

    #[test]
    fn hand_computed_table_and_short_series() {
        // m = 2, y = 1, 3, 3, 5; ℓ₀ = 2, b₀ = (4 − 2)/2 = 1, s = (−1, 1); α = β = γ = 0.5.
        // t0: ŷ = 2 + 1 − 1 = 2; ℓ = 0.5·2 + 0.5·3 = 2.5; s = 0.5·(1 − 3) + 0.5·(−1) = −1.5;
        //     b = 0.5·0.5 + 0.5·1 = 0.75
        let fit = holt_winters(&[1.0, 3.0, 3.0, 5.0], 2, (0.5, 0.5, 0.5), 1).unwrap();
        assert_eq!(fit.fitted[0], Some(2.0));
        assert_eq!(fit.fitted[1], Some(2.5 + 0.75 + 1.0));
        assert!(holt_winters(&[1.0, 2.0, 3.0], 2, (0.5, 0.5, 0.5), 1).is_none());
    }
}
