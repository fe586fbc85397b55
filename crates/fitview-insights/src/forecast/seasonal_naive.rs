//! The seasonal-naive baseline every forecast is judged against.

use super::Fit;

/// Seasonal naive: each future period repeats the value one season earlier,
/// `ŷ_{n+h} = y_{n+h−m·⌈h/m⌉}`; with `season` 1 it is the naive forecast (the last value).
///
/// Hyndman & Athanasopoulos, *FPP3* §5.2; statsforecast's `SeasonalNaive(season_length)`. The
/// M5 competition scaled its errors by this method's (Makridakis et al., *IJF* 38, 2022).
pub fn seasonal_naive(series: &[f64], season: usize, horizon: usize) -> Fit {
    let m = season.max(1);
    let n = series.len();
    let fitted = (0..n)
        .map(|t| t.checked_sub(m).map(|s| series[s]))
        .collect();
    let forecast = if n < m {
        vec![series.last().copied().unwrap_or(0.0); horizon]
    } else {
        (0..horizon).map(|h| series[n - m + h % m]).collect()
    };
    Fit { fitted, forecast }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_the_last_season() {
        let fit = seasonal_naive(&[1.0, 2.0, 3.0, 4.0, 5.0], 2, 3);
        assert_eq!(fit.forecast, [4.0, 5.0, 4.0]);
        assert_eq!(fit.fitted[..3], [None, None, Some(1.0)]);
        assert_eq!(seasonal_naive(&[7.0], 4, 2).forecast, [7.0, 7.0]);
    }
}
