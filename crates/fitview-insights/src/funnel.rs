//! Ordered funnels with a conversion window.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
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

/// How soon one shopper who entered a funnel on one day reached each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelStart {
    /// The UTC day of a first-step event.
    pub day: NaiveDate,
    /// Per step, the shortest time from a first-step event of `day` to reaching that step
    /// through every step before it, in order (`Some(0)` for the first step); `None` when it
    /// was not reached within the horizon.
    pub after: Vec<Option<Duration>>,
}

impl FunnelStart {
    /// How many steps were reached within `window` of the start.
    pub fn depth(&self, window: Duration) -> usize {
        self.after
            .iter()
            .take_while(|after| after.is_some_and(|a| a <= window))
            .count()
    }
}

/// Distinct shoppers reaching each step of `steps` in order, each within `window` of the same
/// shopper's first step ("ordered" mode: other events may come between steps).
///
/// The semantics are ClickHouse's `windowFunnel(window)` and PostHog's ordered funnels: a
/// shopper reaches step *k* when there are events `t₁ ≤ t₂ ≤ … ≤ t_k` of steps 1…k with
/// `t_k − t₁ ≤ window`; events at the same instant count in step order. A shopper who reaches
/// step *k* is counted in steps 1…k. Sources: <https://clickhouse.com/docs/sql-reference/aggregate-functions/parametric-functions#windowfunnel>,
/// <https://posthog.com/docs/product-analytics/funnels>.
pub fn funnel(
    touches: &[FunnelTouch<'_>],
    steps: &[EventKind],
    window: Duration,
) -> Vec<FunnelStep> {
    let mut by_shopper: HashMap<&str, Vec<&FunnelTouch<'_>>> = HashMap::new();
    for touch in touches {
        by_shopper.entry(touch.shopper).or_default().push(touch);
    }
    let mut reached = vec![0_u64; steps.len()];
    for touches in by_shopper.values() {
        let deepest = funnel_starts(touches.iter().copied(), steps, window)
            .iter()
            .map(|start| start.depth(window))
            .max()
            .unwrap_or(0);
        for count in reached.iter_mut().take(deepest) {
            *count += 1;
        }
    }
    funnel_steps(steps, &reached)
}

/// The answer for `reached[k]` shoppers at each step `k`: counts and conversion rates.
pub fn funnel_steps(steps: &[EventKind], reached: &[u64]) -> Vec<FunnelStep> {
    let first = reached.first().copied().unwrap_or(0);
    let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
    steps
        .iter()
        .zip(reached)
        .enumerate()
        .map(|(i, (&event, &count))| FunnelStep {
            event,
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

/// One shopper's funnel entries: for each day with a first-step event, how soon each later
/// step was reached from one of that day's first-step events (the shortest chain), counting
/// only chains no longer than `horizon`. Days come in order.
///
/// Because a later step can only be reached through the earlier ones, `after` grows step by
/// step, and "reached step *k* within a window *w*" is `after[k] <= w` for any `w <= horizon`:
/// one table of these entries answers every window and every range of start days. From each
/// first-step event the chain takes, step by step, the first event of the next step at or after
/// the previous one (in scan order, so one event never serves as two consecutive steps): no
/// chain from that start reaches a step sooner.
pub fn funnel_starts<'a>(
    touches: impl IntoIterator<Item = &'a FunnelTouch<'a>>,
    steps: &[EventKind],
    horizon: Duration,
) -> Vec<FunnelStart> {
    // (time, the event's first step, the event's number, step): events at one instant go in
    // step order, and one event naming several steps takes them from the last to the first.
    let mut ordered: Vec<Ordered> = Vec::new();
    for (number, touch) in touches.into_iter().enumerate() {
        let mut matching = steps.iter().enumerate().filter(|(_, s)| **s == touch.kind);
        let Some((first_step, _)) = matching.next() else {
            continue;
        };
        ordered.push((touch.at, first_step, number, Reverse(first_step)));
        for (step, _) in matching {
            ordered.push((touch.at, first_step, number, Reverse(step)));
        }
    }
    ordered.sort_unstable();
    // next[k][i]: the first position at or after i whose step is k.
    let len = ordered.len();
    let mut next = vec![vec![len; len + 1]; steps.len()];
    for i in (0..len).rev() {
        let Reverse(step) = ordered[i].3;
        for (k, row) in next.iter_mut().enumerate() {
            row[i] = if k == step { i } else { row[i + 1] };
        }
    }
    let mut starts: Vec<FunnelStart> = Vec::new();
    let mut current: Option<FunnelStart> = None;
    for (i, &(start_at, _, _, Reverse(step))) in ordered.iter().enumerate() {
        if step != 0 {
            continue;
        }
        let day = start_at.date_naive();
        if current.as_ref().is_some_and(|c| c.day != day) {
            starts.extend(current.take());
        }
        let entry = current.get_or_insert_with(|| {
            let mut after = vec![None; steps.len()];
            after[0] = Some(Duration::zero());
            FunnelStart { day, after }
        });
        let mut position = i;
        for (best, next_of_step) in entry.after.iter_mut().zip(&next).skip(1) {
            let found = next_of_step[position + 1];
            if found == len {
                break;
            }
            let took = ordered[found].0 - start_at;
            if took > horizon {
                break;
            }
            *best = Some(best.map_or(took, |b| b.min(took)));
            position = found;
        }
    }
    starts.extend(current);
    starts
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

    #[test]
    fn each_start_day_keeps_the_shortest_way_to_each_step() {
        let day = 24 * 60;
        let touches = [
            // Day 0: two views; the later one reaches the try-on sooner.
            touch("a", ProductViewed, 0),
            touch("a", ProductViewed, 600),
            touch("a", TryonCompleted, 660),
            // Day 1: a view, then the cart two days later, the purchase a day after that.
            touch("a", ProductViewed, day + 10),
            touch("a", TryonCompleted, day + 20),
            touch("a", CartAdded, 3 * day + 10),
            touch("a", Purchased, 4 * day + 10),
        ];
        let starts = funnel_starts(&touches, &STEPS, Duration::days(90));
        let minutes = |m: i64| Some(Duration::minutes(m));
        assert_eq!(starts.len(), 2);
        assert_eq!(starts[0].day, at(0).date_naive());
        // From day 0 the cart and purchase are reached too, later.
        assert_eq!(
            starts[0].after,
            [
                minutes(0),
                minutes(60),
                minutes(3 * day + 10 - 600),
                minutes(4 * day + 10 - 600)
            ]
        );
        assert_eq!(
            starts[1].after,
            [minutes(0), minutes(10), minutes(2 * day), minutes(3 * day)]
        );
        assert_eq!(starts[1].depth(Duration::days(1)), 2);
        assert_eq!(starts[1].depth(Duration::days(3)), 4);
        // Beyond the horizon nothing is kept.
        let short = funnel_starts(&touches, &STEPS, Duration::days(2));
        assert_eq!(
            short[1].after,
            [minutes(0), minutes(10), minutes(2 * day), None]
        );
    }

    /// The earlier scan, kept as an independent check: one pass in time order keeping per step
    /// the latest start of a chain that has reached it.
    fn reference_depth(touches: &[&FunnelTouch<'_>], window: Duration) -> usize {
        let mut ordered: Vec<(DateTime<Utc>, usize)> = touches
            .iter()
            .filter_map(|t| STEPS.iter().position(|s| *s == t.kind).map(|k| (t.at, k)))
            .collect();
        ordered.sort_unstable();
        let mut starts: Vec<Option<DateTime<Utc>>> = vec![None; STEPS.len()];
        let mut deepest = 0;
        for (at, step) in ordered {
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

    #[test]
    fn starts_answer_as_a_time_ordered_scan_does_for_any_window() {
        // A pseudo-random history of a few shoppers: the per-day starts (the server's table)
        // give each shopper the depth of an independent scan, for every window.
        let kinds = [
            ProductViewed,
            TryonCompleted,
            CartAdded,
            Purchased,
            CartRemoved,
        ];
        let shoppers = ["a", "b", "c", "d", "e", "f"];
        let mut seed = 7_u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let touches: Vec<FunnelTouch<'_>> = (0..600)
            .map(|_| {
                let shopper = shoppers[next() % 6];
                let kind = kinds[next() % 5];
                touch(shopper, kind, (next() % 20_000) as i64)
            })
            .collect();
        for hours in [1, 5, 24, 72, 240] {
            let window = Duration::hours(hours);
            let mut reached = [0_u64; 4];
            for shopper in shoppers {
                let mine: Vec<&FunnelTouch<'_>> =
                    touches.iter().filter(|t| t.shopper == shopper).collect();
                let depth = funnel_starts(mine.iter().copied(), &STEPS, Duration::days(90))
                    .iter()
                    .map(|s| s.depth(window))
                    .max()
                    .unwrap_or(0);
                assert_eq!(
                    depth,
                    reference_depth(&mine, window),
                    "{shopper}, {hours} h"
                );
                for count in reached.iter_mut().take(depth) {
                    *count += 1;
                }
            }
            assert_eq!(
                counts(&funnel(&touches, &STEPS, window)),
                reached,
                "{hours} h"
            );
        }
    }
}
