//! Ordered funnels with a conversion window.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::event::EventKind;

/// One event as a funnel needs it: who, what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelTouch<'a> {
    /// The shopper (or an anonymous stand-in such as a session).
    pub shopper: &'a str,
    /// What happened.
    pub kind: EventKind,
    /// When.
    pub at: DateTime<Utc>,
}

/// A touch in scan order: (time, the event's first step, the event's number, step).
type Ordered = (DateTime<Utc>, usize, usize, Reverse<usize>);

/// One step of a funnel's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStep {
    /// The step's event.
    pub event: EventKind,
    /// Distinct shoppers who reached this step (and every one before it, in order).
    pub count: u64,
    /// `count` over the previous step's (1 for the first step; `None` when the previous is 0).
    pub conversion_from_previous: Option<f64>,
    /// `count` over the first step's (`None` when the first is 0).
    pub conversion_from_first: Option<f64>,
}

/// Distinct shoppers reaching each step of `steps` in order, each within `window` of the same
/// shopper's first step ("ordered" mode: other events may come between steps).
///
/// The semantics are ClickHouse's `windowFunnel(window)` and PostHog's ordered funnels: a
/// shopper reaches step *k* when there are events `t₁ ≤ t₂ ≤ … ≤ t_k` of steps 1…k with
/// `t_k − t₁ ≤ window`. Each shopper is scanned once in time order, keeping per step the latest
/// start of a chain that has reached it (a later start leaves the most room in the window);
/// events at the same instant count in step order. A shopper who reaches step *k* is counted in
/// steps 1…k. Sources: <https://clickhouse.com/docs/sql-reference/aggregate-functions/parametric-functions#windowfunnel>,
/// <https://posthog.com/docs/product-analytics/funnels>.
pub fn funnel(
    touches: &[FunnelTouch<'_>],
    steps: &[EventKind],
    window: Duration,
) -> Vec<FunnelStep> {
    // Per shopper: (time, the event's first step, the event's number, step), so that events at
    // one instant go in step order and one event naming several steps takes them from the last
    // to the first (it never serves as two consecutive steps of a funnel repeating a kind).
    let mut by_shopper: HashMap<&str, Vec<Ordered>> = HashMap::new();
    for (number, touch) in touches.iter().enumerate() {
        let mut matching = steps.iter().enumerate().filter(|(_, s)| **s == touch.kind);
        let Some((first_step, _)) = matching.next() else {
            continue;
        };
        let entry = by_shopper.entry(touch.shopper).or_default();
        entry.push((touch.at, first_step, number, Reverse(first_step)));
        for (step, _) in matching {
            entry.push((touch.at, first_step, number, Reverse(step)));
        }
    }
    let mut reached = vec![0_u64; steps.len()];
    for touches in by_shopper.values_mut() {
        touches.sort_unstable();
        let ordered = touches.iter().map(|&(at, _, _, Reverse(step))| (at, step));
        let deepest = deepest_step(ordered, steps.len(), window);
        for count in reached.iter_mut().take(deepest) {
            *count += 1;
        }
    }
    let first = reached.first().copied().unwrap_or(0);
    let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
    reached
        .iter()
        .enumerate()
        .map(|(i, &count)| FunnelStep {
            event: steps[i],
            count,
            conversion_from_previous: if i == 0 {
                Some(1.0)
            } else {
                ratio(count, reached[i - 1])
            },
            conversion_from_first: ratio(count, first),
        })
        .collect()
}

/// How many steps one shopper's ordered `(time, step)` touches reach.
fn deepest_step(
    touches: impl Iterator<Item = (DateTime<Utc>, usize)>,
    steps: usize,
    window: Duration,
) -> usize {
    // starts[k]: the latest start time of a chain that has reached step k.
    let mut starts: Vec<Option<DateTime<Utc>>> = vec![None; steps];
    let mut deepest = 0;
    for (at, step) in touches {
        let start = if step == 0 {
            Some(at)
        } else {
            starts[step - 1].filter(|start| at - *start <= window)
        };
        if let Some(start) = start {
            starts[step] = Some(starts[step].map_or(start, |s| s.max(start)));
            deepest = deepest.max(step + 1);
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minutes)
    }

    fn touch(shopper: &str, kind: EventKind, minutes: i64) -> FunnelTouch<'_> {
        FunnelTouch {
            shopper,
            kind,
            at: at(minutes),
        }
    }

    fn counts(steps: &[FunnelStep]) -> Vec<u64> {
        steps.iter().map(|s| s.count).collect()
    }

    const STEPS: [EventKind; 4] = [ProductViewed, TryonCompleted, CartAdded, Purchased];

    #[test]
    fn counts_distinct_shoppers_in_order() {
        let touches = [
            // a: the whole journey, with a repeat view and a removal between steps.
            touch("a", ProductViewed, 0),
            touch("a", ProductViewed, 1),
            touch("a", TryonCompleted, 2),
            touch("a", CartRemoved, 3),
            touch("a", CartAdded, 4),
            touch("a", Purchased, 5),
            // b: views and tries on, never buys.
            touch("b", ProductViewed, 0),
            touch("b", TryonCompleted, 1),
            // c: buys without trying on: stops after the view.
            touch("c", ProductViewed, 0),
            touch("c", CartAdded, 1),
            touch("c", Purchased, 2),
            // d: tried on before viewing: out of order, only the view counts.
            touch("d", TryonCompleted, 0),
            touch("d", ProductViewed, 1),
        ];
        let steps = funnel(&touches, &STEPS, Duration::days(1));
        assert_eq!(counts(&steps), [4, 2, 1, 1]);
        assert_eq!(steps[1].conversion_from_previous, Some(0.5));
        assert_eq!(steps[3].conversion_from_first, Some(0.25));
        assert_eq!(steps[0].conversion_from_previous, Some(1.0));
    }

    #[test]
    fn the_window_runs_from_the_latest_useful_start() {
        let touches = [
            // An early view, then a second view that starts a chain fitting the window.
            touch("a", ProductViewed, 0),
            touch("a", ProductViewed, 100),
            touch("a", TryonCompleted, 110),
            touch("a", CartAdded, 125),
            // b is too slow: the cart comes 61 minutes after the view.
            touch("b", ProductViewed, 0),
            touch("b", TryonCompleted, 30),
            touch("b", CartAdded, 61),
        ];
        let steps = funnel(&touches, &STEPS, Duration::minutes(60));
        assert_eq!(counts(&steps), [2, 2, 1, 0]);
    }

    #[test]
    fn one_event_is_not_two_steps_and_empty_is_zero() {
        let touches = [touch("a", ProductViewed, 0)];
        let twice = funnel(&touches, &[ProductViewed, ProductViewed], Duration::days(1));
        assert_eq!(counts(&twice), [1, 0]);
        // Different events at one instant chain in step order.
        let same = [touch("a", TryonCompleted, 5), touch("a", ProductViewed, 5)];
        assert_eq!(
            counts(&funnel(&same, &STEPS, Duration::days(1))),
            [1, 1, 0, 0]
        );
        let none = funnel(&[], &STEPS, Duration::days(1));
        assert_eq!(counts(&none), [0, 0, 0, 0]);
        assert_eq!(none[1].conversion_from_previous, None);
    }
}
