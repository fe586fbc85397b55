//! Simple exponential smoothing, the building block of Croston's method and TSB.

/// Simple exponential smoothing with a fixed `alpha`, started at the first value:
/// `s₁ = x₁`, `s_t = α·x_t + (1 − α)·s_{t−1}`; the forecast of every later value is the last
/// `s`. This is statsforecast's `_ses_forecast` (and R's `forecast::ses` with
/// `initial = "simple"`), which Croston and TSB run on their sub-series. Source: Hyndman &
/// Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed.), §8.1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoother {
    alpha: f64,
    level: Option<f64>,
}

impl Smoother {
    /// A smoother that has seen nothing yet.
    pub fn new(alpha: f64) -> Self {
        Self { alpha, level: None }
    }

    /// Takes one value.
    pub fn push(&mut self, x: f64) {
        self.level = Some(match self.level {
            None => x,
            Some(level) => self.alpha * x + (1.0 - self.alpha) * level,
        });
    }

    /// The forecast of the next value (`None` before the first).
    pub fn level(&self) -> Option<f64> {
        self.level
    }
}

/// The one-step forecast after the whole of `series` (`None` for an empty series).
pub fn ses(series: &[f64], alpha: f64) -> Option<f64> {
    let mut smoother = Smoother::new(alpha);
    series.iter().for_each(|&x| smoother.push(x));
    smoother.level()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooths_from_the_first_value() {
        // s = 10; 0.5·20 + 0.5·10 = 15; 0.5·0 + 0.5·15 = 7.5
        assert_eq!(ses(&[10.0, 20.0, 0.0], 0.5), Some(7.5));
        assert_eq!(ses(&[], 0.5), None);
    }
}
