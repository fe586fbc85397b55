//! `--dry-run`: what a run would do, and what it would cost, without calling the provider.

use std::time::Duration;

use serde::Serialize;

/// What a run would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Pairs in the plan.
    pub items: usize,
    /// Pairs done by earlier runs (journal): no provider call.
    pub cache_hits_expected: usize,
    /// Pairs this run would generate (after `--limit` and `--max-cost`).
    pub to_generate: usize,
    /// Pairs left for a later run by `--limit` or `--max-cost`.
    pub capped: usize,
    /// Provider calls: one try-on plus one per variation, per pair.
    pub provider_calls: usize,
    /// Estimated cost in US dollars, from the provider's price per image in the chosen mode.
    pub cost_usd: f64,
    /// What earlier runs in the output directory spent (their journaled costs).
    pub spent_usd: f64,
    /// Estimated wall time in seconds.
    pub seconds: f64,
}

/// Inputs of an estimate.
#[derive(Debug, Clone, Copy)]
pub struct Inputs {
    /// Pairs in the plan.
    pub items: usize,
    /// Pairs already done.
    pub done: usize,
    /// Calls per pair (1 + variations).
    pub calls_per_item: usize,
    /// Price of one image.
    pub cost_per_call: f64,
    /// `--limit`.
    pub limit: Option<usize>,
    /// `--max-cost`.
    pub max_cost: Option<f64>,
    /// Spent by earlier runs, counted against `--max-cost`.
    pub spent_usd: f64,
    /// `--concurrency`.
    pub concurrency: usize,
    /// `--rpm`.
    pub rpm: Option<u32>,
    /// Assumed time of one provider call.
    pub latency: Duration,
}

/// How many pairs a run would generate, and at what cost and time.
pub fn estimate(i: Inputs) -> Estimate {
    let pending = i.items.saturating_sub(i.done);
    let cost_per_item = i.cost_per_call * i.calls_per_item as f64;
    let affordable = match i.max_cost {
        Some(max) if cost_per_item > 0.0 => {
            (((max - i.spent_usd).max(0.0) / cost_per_item) + 1e-9).floor() as usize
        }
        _ => usize::MAX,
    };
    let to_generate = pending.min(i.limit.unwrap_or(usize::MAX)).min(affordable);
    let calls = to_generate * i.calls_per_item;
    let waves = to_generate.div_ceil(i.concurrency.max(1)) as f64;
    let by_concurrency = waves * i.latency.as_secs_f64() * i.calls_per_item as f64;
    let by_rate = i
        .rpm
        .filter(|&r| r > 0)
        .map_or(0.0, |rpm| calls as f64 * 60.0 / f64::from(rpm));
    Estimate {
        items: i.items,
        cache_hits_expected: i.done.min(i.items),
        to_generate,
        capped: pending - to_generate,
        provider_calls: calls,
        cost_usd: calls as f64 * i.cost_per_call,
        spent_usd: i.spent_usd,
        seconds: by_concurrency.max(by_rate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Inputs {
        Inputs {
            items: 100,
            done: 20,
            calls_per_item: 2,
            cost_per_call: 0.04,
            limit: None,
            max_cost: None,
            spent_usd: 0.0,
            concurrency: 8,
            rpm: None,
            latency: Duration::from_secs(10),
        }
    }

    #[test]
    fn counts_calls_cost_and_time() {
        let e = estimate(inputs());
        assert_eq!(
            (e.to_generate, e.cache_hits_expected, e.provider_calls),
            (80, 20, 160)
        );
        assert!((e.cost_usd - 6.4).abs() < 1e-9);
        assert!(
            (e.seconds - 200.0).abs() < 1e-9,
            "10 waves of 2 calls of 10 s"
        );
        let rated = estimate(Inputs {
            rpm: Some(30),
            ..inputs()
        });
        assert!(
            (rated.seconds - 320.0).abs() < 1e-9,
            "160 calls at 30 a minute"
        );
    }

    #[test]
    fn limit_and_max_cost_cap_the_run() {
        assert_eq!(
            estimate(Inputs {
                limit: Some(5),
                ..inputs()
            })
            .to_generate,
            5
        );
        let capped = estimate(Inputs {
            max_cost: Some(1.0),
            ..inputs()
        });
        assert_eq!(
            (capped.to_generate, capped.capped),
            (12, 68),
            "1.00 / 0.08 per item"
        );
        let after_spending = estimate(Inputs {
            max_cost: Some(1.0),
            spent_usd: 0.6,
            ..inputs()
        });
        assert_eq!(after_spending.to_generate, 5, "0.40 left / 0.08 per item");
    }
}
