//! Weekly demand forecasts: classify the series, try the methods of its class, keep the one
//! with the lowest backtest error, and always say how it compares with the seasonal-naive
//! baseline (MASE, as the M5 competition did) so a retailer knows when to trust it.
//!
//! One file per method, each a pure function of the series and its parameters:
//! [`croston_sba`], [`tsb`], [`holt`], [`holt_winters`], [`seasonal_naive`]; [`mase`] scores
//! them and [`classify`] picks the candidates. [`forecast`] puts them together.

mod classify;
mod croston;
mod holt;
mod holt_winters;
mod mase;
mod seasonal_naive;
mod ses;
mod tsb;

#[cfg(test)]
mod reference_tests;

pub use classify::{Demand, INTERMITTENT_ZEROS, classify, share_of_zeros};
pub use croston::croston_sba;
pub use holt::holt;
pub use holt_winters::holt_winters;
pub use mase::mase;
pub use seasonal_naive::seasonal_naive;
pub use ses::{Smoother, ses};
pub use tsb::tsb;

use serde::Serialize;

/// Weeks in a season of weekly data.
pub const WEEKS_PER_YEAR: usize = 52;
/// Smoothing of Croston-SBA (statsforecast's and R's default).
pub const CROSTON_ALPHA: f64 = 0.1;
/// Smoothing of TSB's demand sizes and demand probability.
pub const TSB_ALPHAS: (f64, f64) = (0.1, 0.1);
/// The z-value of the intervals (about 95 %).
pub const INTERVAL_Z: f64 = 1.96;

/// What a method made of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The one-step forecast of each period from the periods before it (`None` where the method
    /// cannot forecast yet).
    pub fitted: Vec<Option<f64>>,
    /// The forecast of the periods after the series.
    pub forecast: Vec<f64>,
}

/// One forecast period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Expected units.
    pub units: f64,
    /// Lower end of the interval (never below zero).
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

impl Fit {
    /// The forecast with intervals `± z·σ·√h`, where `σ` is the root mean square of the
    /// one-step errors on `series` (the fit's own). None of these methods has a stochastic
    /// model for Croston and TSB, so the same empirical interval serves every method.
    pub fn points(&self, series: &[f64]) -> Vec<Point> {
        let errors: Vec<f64> = series
            .iter()
            .zip(&self.fitted)
            .filter_map(|(y, f)| f.map(|f| y - f))
            .collect();
        let sigma = if errors.is_empty() {
            0.0
        } else {
            (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt()
        };
        self.forecast
            .iter()
            .enumerate()
            .map(|(i, &units)| {
                let spread = INTERVAL_Z * sigma * ((i + 1) as f64).sqrt();
                Point {
                    units,
                    low: (units - spread).max(0.0),
                    high: units + spread,
                }
            })
            .collect()
    }

    /// Sum of squared one-step errors on `series`.
    fn sse(&self, series: &[f64]) -> f64 {
        series
            .iter()
            .zip(&self.fitted)
            .filter_map(|(y, f)| f.map(|f| (y - f).powi(2)))
            .sum()
    }
}

/// A forecasting method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Nothing was ever sold: zero.
    Zero,
    /// [`croston_sba`] with [`CROSTON_ALPHA`].
    CrostonSba,
    /// [`tsb`] with [`TSB_ALPHAS`].
    Tsb,
    /// [`holt`] with parameters chosen by in-sample one-step error.
    Holt,
    /// [`holt_winters`] with parameters chosen by in-sample one-step error.
    HoltWinters,
    /// [`seasonal_naive`] (the baseline).
    SeasonalNaive,
}

const HOLT_ALPHAS: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const HOLT_BETAS: [f64; 5] = [0.01, 0.05, 0.1, 0.2, 0.3];
const WINTERS_ALPHAS: [f64; 4] = [0.1, 0.3, 0.5, 0.7];
const WINTERS_BETAS: [f64; 3] = [0.01, 0.05, 0.1];
const WINTERS_GAMMAS: [f64; 3] = [0.05, 0.1, 0.3];

/// The season of the baseline for a series of `n` weeks: a year once there is one, else 1.
fn baseline_season(n: usize) -> usize {
    if n >= WEEKS_PER_YEAR {
        WEEKS_PER_YEAR
    } else {
        1
    }
}

impl Method {
    /// Fits the method to `series` and forecasts `horizon` periods (`None` when the series is
    /// too short for it).
    pub fn fit(self, series: &[f64], horizon: usize) -> Option<Fit> {
        match self {
            Method::Zero => Some(Fit {
                fitted: vec![Some(0.0); series.len()],
                forecast: vec![0.0; horizon],
            }),
            Method::CrostonSba => Some(croston_sba(series, CROSTON_ALPHA, horizon)),
            Method::Tsb => Some(tsb(series, TSB_ALPHAS.0, TSB_ALPHAS.1, horizon)),
            Method::Holt => {
                let grid = HOLT_ALPHAS
                    .iter()
                    .flat_map(|&a| HOLT_BETAS.iter().map(move |&b| (a, b)));
                grid.map(|(a, b)| holt(series, a, b, horizon))
                    .min_by(|x, y| x.sse(series).total_cmp(&y.sse(series)))
            }
            Method::HoltWinters => {
                let grid = WINTERS_ALPHAS.iter().flat_map(|&a| {
                    WINTERS_BETAS
                        .iter()
                        .flat_map(move |&b| WINTERS_GAMMAS.iter().map(move |&g| (a, b, g)))
                });
                grid.filter_map(|p| holt_winters(series, WEEKS_PER_YEAR, p, horizon))
                    .min_by(|x, y| x.sse(series).total_cmp(&y.sse(series)))
            }
            Method::SeasonalNaive => Some(seasonal_naive(
                series,
                baseline_season(series.len()),
                horizon,
            )),
        }
    }

    /// The methods tried on demand of this kind, preferred first on a tie.
    pub fn candidates(demand: Demand, weeks: usize) -> Vec<Method> {
        match demand {
            Demand::None => vec![Method::Zero],
            Demand::Intermittent => vec![Method::CrostonSba, Method::Tsb],
            Demand::Smooth if weeks >= 2 * WEEKS_PER_YEAR => {
                vec![Method::HoltWinters, Method::Holt]
            }
            Demand::Smooth => vec![Method::Holt],
        }
    }
}

/// How the chosen method did on the last weeks of the history, held out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    /// Weeks held out.
    pub holdout_weeks: usize,
    /// The method's MASE on them (scaled by the naive one-step error of the rest, as M5 did).
    pub mase: Option<f64>,
    /// The seasonal-naive baseline's MASE on the same weeks.
    pub seasonal_naive_mase: Option<f64>,
    /// Whether the method beat the baseline (a retailer should trust it more when it does).
    pub beats_seasonal_naive: Option<bool>,
}

/// A demand forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// The kind of demand.
    pub demand: Demand,
    /// The method chosen.
    pub method: Method,
    /// One point per future week.
    pub points: Vec<Point>,
    /// The backtest, when the history is long enough (at least 8 weeks).
    pub backtest: Option<Backtest>,
}

/// Weeks held out by the backtest of an `n`-week history asked for `horizon` weeks: a quarter
/// of the history at most, `None` under 8 weeks.
fn holdout(n: usize, horizon: usize) -> Option<usize> {
    (n >= 8).then(|| horizon.clamp(1, n / 4))
}

fn backtest_of(method: Method, series: &[f64], h: usize) -> Option<f64> {
    let (train, test) = series.split_at(series.len() - h);
    let fit = method.fit(train, h)?;
    mase(train, test, &fit.forecast, 1)
}

/// Forecasts `horizon` weeks of `weekly_units`: classifies the series, backtests each candidate
/// method on the held-out last weeks, fits the best on the whole history, and reports the
/// backtest against the seasonal-naive baseline.
pub fn forecast(weekly_units: &[f64], horizon: usize) -> Forecast {
    let demand = classify(weekly_units);
    let candidates = Method::candidates(demand, weekly_units.len());
    let holdout = holdout(weekly_units.len(), horizon);
    let scored: Vec<(Method, Option<f64>)> = candidates
        .iter()
        .map(|&m| (m, holdout.and_then(|h| backtest_of(m, weekly_units, h))))
        .collect();
    let (method, method_mase) = scored
        .iter()
        .copied()
        .min_by(|(_, a), (_, b)| {
            a.unwrap_or(f64::INFINITY)
                .total_cmp(&b.unwrap_or(f64::INFINITY))
        })
        .unwrap_or((Method::Zero, None));
    let fit = method
        .fit(weekly_units, horizon)
        .or_else(|| Method::SeasonalNaive.fit(weekly_units, horizon))
        .unwrap_or(Fit {
            fitted: Vec::new(),
            forecast: vec![0.0; horizon],
        });
    let backtest = holdout.map(|h| {
        let baseline = backtest_of(Method::SeasonalNaive, weekly_units, h);
        Backtest {
            holdout_weeks: h,
            mase: method_mase,
            seasonal_naive_mase: baseline,
            beats_seasonal_naive: method_mase.zip(baseline).map(|(m, b)| m < b),
        }
    });
    Forecast {
        demand,
        method,
        points: fit.points(weekly_units),
        backtest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intermittent_series_get_an_intermittent_method() {
        let series: Vec<f64> = (0..40)
            .map(|t| if t % 3 == 0 { 3.0 } else { 0.0 })
            .collect();
        let f = forecast(&series, 4);
        assert_eq!(f.demand, Demand::Intermittent);
        assert!(matches!(f.method, Method::CrostonSba | Method::Tsb));
        assert_eq!(f.points.len(), 4);
        // About one unit a week.
        assert!((f.points[0].units - 1.0).abs() < 0.2, "{:?}", f.points[0]);
        let bt = f.backtest.unwrap();
        assert_eq!(bt.holdout_weeks, 4);
        assert!(bt.mase.is_some() && bt.seasonal_naive_mase.is_some());
    }

    #[test]
    fn a_trend_is_followed_and_beats_the_baseline() {
        let series: Vec<f64> = (0..30).map(|t| 10.0 + t as f64 + (t % 2) as f64).collect();
        let f = forecast(&series, 3);
        assert_eq!((f.demand, f.method), (Demand::Smooth, Method::Holt));
        assert!(f.points[2].units > 40.0 && f.points[2].units < 44.0);
        assert!(f.points[0].low <= f.points[0].units && f.points[0].units <= f.points[0].high);
        assert!(f.points[2].high - f.points[2].low > f.points[0].high - f.points[0].low);
        assert_eq!(f.backtest.unwrap().beats_seasonal_naive, Some(true));
    }

    #[test]
    fn two_years_of_seasonal_demand_use_holt_winters() {
        // Eight high weeks at the start of each year; the backtest's weeks span a season's start.
        let series: Vec<f64> = (0..160)
            .map(|t| 20.0 + if t % 52 < 8 { 30.0 } else { 0.0 } + (t % 3) as f64)
            .collect();
        let f = forecast(&series, 8);
        assert_eq!(f.method, Method::HoltWinters);
        assert!(f.backtest.unwrap().beats_seasonal_naive.is_some());
        // Week 160 is week 4 of the fourth year: high season until week 164.
        assert!(f.points[0].units > 40.0, "{:?}", f.points[0]);
        assert!(f.points[4].units < 35.0, "{:?}", f.points[4]);
    }

    #[test]
    fn nothing_sold_forecasts_zero_and_short_histories_have_no_backtest() {
        let f = forecast(&[0.0; 10], 2);
        assert_eq!((f.method, f.points[1].units), (Method::Zero, 0.0));
        assert!(forecast(&[1.0, 2.0, 3.0], 2).backtest.is_none());
    }
}
