//! The mean absolute scaled error, the yardstick of every backtest.

/// MASE of `forecast` against `actual`, scaled by the in-sample mean absolute error of the
/// seasonal-naive method of season `m` on `train`:
/// `mean|y_t − ŷ_t| / mean_{t>m}|y_t − y_{t−m}|`. Below 1 the method beats the seasonal naive
/// method's in-sample one-step errors. `None` when the scale is zero (a constant or too short
/// training series) or nothing is compared.
///
/// Hyndman & Koehler, "Another look at measures of forecast accuracy", *IJF* 22 (2006); the
/// M5 competition's scale (Makridakis et al., *IJF* 38, 2022). Equal to utilsforecast's
/// `losses.mase(seasonality = m)` (checked on reference vectors).
pub fn mase(train: &[f64], actual: &[f64], forecast: &[f64], m: usize) -> Option<f64> {
    let m = m.max(1);
    if train.len() <= m || actual.is_empty() || actual.len() != forecast.len() {
        return None;
    }
    let scale = train
        .windows(m + 1)
        .map(|w| (w[m] - w[0]).abs())
        .sum::<f64>()
        / (train.len() - m) as f64;
    if scale == 0.0 {
        return None;
    }
    let error = actual
        .iter()
        .zip(forecast)
        .map(|(y, f)| (y - f).abs())
        .sum::<f64>()
        / actual.len() as f64;
    Some(error / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_table() {
        // Naive scale: |2−1|, |4−2|, |3−4| → 4/3; errors |5−4|, |5−7| → 1.5; 1.5 / (4/3) = 1.125.
        let m = mase(&[1.0, 2.0, 4.0, 3.0], &[5.0, 5.0], &[4.0, 7.0], 1).unwrap();
        assert!((m - 1.125).abs() < 1e-12);
        assert_eq!(mase(&[2.0, 2.0, 2.0], &[1.0], &[2.0], 1), None);
        assert_eq!(mase(&[1.0, 2.0], &[1.0], &[2.0], 2), None);
    }
}
