//! How the report and the dashboard write their figures: counts with thousands separators,
//! money, shares, the funnel's steps and the forecasting methods in words.

use fitview_insights::EventKind;
use fitview_insights::aggregate::DayFigures;
use fitview_insights::forecast::{Demand, Method};

use crate::analytics::routes::ProductForecast;

/// `12345` as `12,345`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Cents as `1,234.50`, with the currency when there is one.
pub fn money(cents: i64, currency: Option<&str>) -> String {
    let amount = format!("{}.{:02}", count(cents / 100), (cents % 100).abs());
    let amount = if cents < 0 && cents > -100 {
        format!("-{amount}")
    } else {
        amount
    };
    match currency {
        Some(code) => format!("{amount} {code}"),
        None => amount,
    }
}

/// A share as a whole percentage (one decimal under 10%), or a dash when there is none.
pub fn percent(share: Option<f64>) -> String {
    match share {
        Some(s) if s.is_finite() => {
            let p = s * 100.0;
            if p > 0.0 && p < 10.0 {
                format!("{p:.1}%")
            } else {
                format!("{p:.0}%")
            }
        }
        _ => "–".to_owned(),
    }
}

/// A funnel step as a retailer says it.
pub fn step(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ProductViewed => "Viewed",
        EventKind::ModelSelected => "Chose a model",
        EventKind::TryonRequested => "Asked for a try-on",
        EventKind::TryonCompleted => "Tried on",
        EventKind::TryonFailed => "Try-on failed",
        EventKind::VariationCreated => "Styled",
        EventKind::CartAdded => "Added to cart",
        EventKind::CartRemoved => "Removed from cart",
        EventKind::CheckoutStarted => "Checked out",
        EventKind::Purchased => "Bought",
        EventKind::Returned => "Returned",
        EventKind::SizeRecommended => "Shown a size",
        EventKind::RecommendationShown => "Shown a suggestion",
    }
}

/// A forecast's method and the demand it was chosen for.
pub fn method(method: Method, demand: Demand) -> String {
    let how = match method {
        Method::Zero => "nothing sold yet",
        Method::CrostonSba => "Croston (SBA)",
        Method::Tsb => "TSB",
        Method::Holt => "Holt's trend",
        Method::HoltWinters => "Holt-Winters (yearly season)",
        Method::SeasonalNaive => "seasonal naive",
    };
    let demand = match demand {
        Demand::Intermittent => "intermittent demand",
        Demand::Smooth => "smooth demand",
        Demand::None => "no demand",
    };
    format!("{how}, {demand}")
}

/// The period's try-ons in a sentence: finished, failed, provider cost.
pub fn tryons_note(days: &[DayFigures]) -> String {
    let finished: i64 = days.iter().map(|d| d.completed + d.failed).sum();
    let failed: i64 = days.iter().map(|d| d.failed).sum();
    // Folded from +0.0: a sum of no days would be -0.0.
    let cost = days.iter().fold(0.0, |sum, d| sum + d.provider_cost_usd);
    format!(
        "{} finished, {} failed ({}); provider cost {cost:.2} USD.",
        count(finished),
        count(failed),
        percent((finished > 0).then(|| failed as f64 / finished as f64)),
    )
}

/// How a forecast was made and how far to trust it, from its backtest.
pub fn forecast_note(one: &ProductForecast) -> String {
    let f = &one.forecast;
    let trust = match f
        .backtest
        .as_ref()
        .map(|b| (b, b.mase, b.seasonal_naive_mase))
    {
        Some((b, Some(m), Some(n))) => format!(
            "Backtest on the last {} weeks: MASE {m:.2} against {n:.2} for seasonal naive ({}).",
            b.holdout_weeks,
            if m < n {
                "better than the baseline"
            } else {
                "no better than the baseline: treat it with care"
            }
        ),
        _ => "Too little history for a backtest.".to_owned(),
    };
    format!(
        "{} weeks of history; {}. {trust}",
        one.history.len(),
        method(f.method, f.demand)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_a_retailer_writes_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(-4500), "-4,500");
        assert_eq!(money(123450, Some("EUR")), "1,234.50 EUR");
        assert_eq!(money(5, None), "0.05");
        assert_eq!(money(-5, None), "-0.05");
        assert_eq!(money(-12345, None), "-123.45");
        assert_eq!(percent(Some(0.25)), "25%");
        assert_eq!(percent(Some(0.034)), "3.4%");
        assert_eq!(percent(Some(0.0)), "0%");
        assert_eq!(percent(None), "–");
    }
}
