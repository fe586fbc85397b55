//! Which kind of demand a series shows, which decides the methods tried on it.

use serde::Serialize;

/// Share of zero weeks above which demand counts as intermittent. anofox-forecast's model
/// selection guide and Syntetos-Boylan's ADI > 1.32 (about 24 % zeros) sit around here; 30 % is
/// the guide's figure.
pub const INTERMITTENT_ZEROS: f64 = 0.3;

/// The kind of a demand series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Demand {
    /// Nothing sold.
    None,
    /// More than [`INTERMITTENT_ZEROS`] of the periods sold nothing: Croston-SBA or TSB.
    Intermittent,
    /// Sales in most periods: exponential smoothing (Holt; Holt-Winters with two seasons).
    Smooth,
}

/// The share of periods without demand (0 for an empty series).
pub fn share_of_zeros(series: &[f64]) -> f64 {
    if series.is_empty() {
        return 0.0;
    }
    series.iter().filter(|&&y| y == 0.0).count() as f64 / series.len() as f64
}

/// Classifies a series by its share of zero periods.
pub fn classify(series: &[f64]) -> Demand {
    if series.iter().all(|&y| y == 0.0) {
        Demand::None
    } else if share_of_zeros(series) > INTERMITTENT_ZEROS {
        Demand::Intermittent
    } else {
        Demand::Smooth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_share_of_zero_weeks() {
        assert_eq!(classify(&[0.0, 0.0]), Demand::None);
        assert_eq!(classify(&[]), Demand::None);
        assert_eq!(classify(&[0.0, 3.0, 0.0, 1.0]), Demand::Intermittent);
        // 3 zeros in 10 is exactly 30 %: still smooth.
        assert_eq!(
            classify(&[0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 1.0, 2.0, 3.0, 1.0]),
            Demand::Smooth
        );
        assert_eq!(share_of_zeros(&[0.0, 1.0, 1.0, 1.0]), 0.25);
    }
}
