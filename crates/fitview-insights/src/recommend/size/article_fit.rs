//! Layer 2: how an article really fits, from its purchases returned as too small or too big
//! (SizeFlags-lite, after Nestler et al., "SizeFlags: Reducing Size and Fit Related Returns in
//! Fashion E-Commerce", KDD 2021).
//!
//! For each direction (too small, too big), with `k` such returns among the article's `n`
//! purchases:
//!
//! - the category baseline `r = (k_c + m·r0) / (n_c + m)` pools the category's other articles,
//!   shrunk toward a shop-wide default `r0` with strength `m`;
//! - the article's rate has the prior `Beta(s·r, s·(1 - r))` (`s` pseudo-purchases), so its
//!   posterior is `Beta(s·r + k, s·(1 - r) + n - k)`;
//! - the article *runs small* (large) when `P(rate > r) ≥ flag_probability` and the posterior
//!   mean exceeds `r` by at least `min_excess`, and more returns say too small than too big.
//!
//! So 30 too-small returns of 40 purchases flag the article; 5 of 50, or 3 of 3, do not.

use serde::Serialize;

use crate::recommend::size::beta::upper_tail;

/// Purchases of an article (or a category) and how many came back for each fit reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FitCounts {
    /// Purchases.
    pub purchases: u32,
    /// Returned as too small.
    pub too_small: u32,
    /// Returned as too big.
    pub too_big: u32,
}

impl FitCounts {
    /// Counts in `self` not in `part` (a category without one of its articles).
    pub fn without(self, part: FitCounts) -> FitCounts {
        FitCounts {
            purchases: self.purchases.saturating_sub(part.purchases),
            too_small: self.too_small.saturating_sub(part.too_small),
            too_big: self.too_big.saturating_sub(part.too_big),
        }
    }
}

/// The priors and thresholds of the article layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArticlePrior {
    /// Shop-wide default rate of returns in each direction, `r0`.
    pub default_rate: f64,
    /// Weight of `r0` against the category's own purchases, `m`.
    pub category_strength: f64,
    /// Weight of the category baseline against the article's purchases, `s`.
    pub article_strength: f64,
    /// Posterior probability above which an article is flagged.
    pub flag_probability: f64,
    /// How far the posterior mean must exceed the baseline to flag.
    pub min_excess: f64,
}

impl Default for ArticlePrior {
    fn default() -> Self {
        Self {
            default_rate: 0.08,
            category_strength: 50.0,
            article_strength: 20.0,
            flag_probability: 0.9,
            min_excess: 0.15,
        }
    }
}

/// How an article fits against its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Runs {
    /// Buyers need one size up.
    Small,
    /// As labelled, as far as the returns tell.
    TrueToSize,
    /// Buyers need one size down.
    Large,
}

/// The article layer's verdict on one article.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ArticleFit {
    /// The verdict.
    pub runs: Runs,
    /// The article's own counts.
    pub counts: FitCounts,
    /// Posterior mean rate of too-small returns.
    pub too_small_rate: f64,
    /// Posterior mean rate of too-big returns.
    pub too_big_rate: f64,
    /// The category's too-small rate the article was compared with.
    pub baseline_too_small: f64,
    /// The category's too-big rate the article was compared with.
    pub baseline_too_big: f64,
}

/// Judges an article from its counts and those of the rest of its category.
pub fn article_fit(
    article: FitCounts,
    rest_of_category: FitCounts,
    prior: &ArticlePrior,
) -> ArticleFit {
    let direction = |k: u32, k_c: u32| {
        let baseline = (f64::from(k_c) + prior.category_strength * prior.default_rate)
            / (f64::from(rest_of_category.purchases) + prior.category_strength);
        let a = prior.article_strength * baseline + f64::from(k);
        let b = prior.article_strength * (1.0 - baseline)
            + f64::from(article.purchases.saturating_sub(k));
        let mean = a / (a + b);
        let flagged = mean - baseline >= prior.min_excess
            && upper_tail(baseline, a, b) >= prior.flag_probability;
        (baseline, mean, flagged)
    };
    let (baseline_too_small, too_small_rate, small) =
        direction(article.too_small, rest_of_category.too_small);
    let (baseline_too_big, too_big_rate, big) =
        direction(article.too_big, rest_of_category.too_big);
    let runs = match (small, big) {
        (true, _) if article.too_small > article.too_big => Runs::Small,
        (_, true) if article.too_big > article.too_small => Runs::Large,
        _ => Runs::TrueToSize,
    };
    ArticleFit {
        runs,
        counts: article,
        too_small_rate,
        too_big_rate,
        baseline_too_small,
        baseline_too_big,
    }
}

impl ArticleFit {
    /// The note shown beside the size, for a flagged article:
    /// "Runs small: 30 of 40 buyers returned it as too small (8% in shirts)".
    pub fn fit_note(&self, category: &str) -> Option<String> {
        let (label, count, baseline, word) = match self.runs {
            Runs::TrueToSize => return None,
            Runs::Small => (
                "Runs small",
                self.counts.too_small,
                self.baseline_too_small,
                "small",
            ),
            Runs::Large => (
                "Runs large",
                self.counts.too_big,
                self.baseline_too_big,
                "big",
            ),
        };
        Some(format!(
            "{label}: {count} of {} buyers returned it as too {word} ({:.0}% in {category})",
            self.counts.purchases,
            baseline * 100.0
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(purchases: u32, too_small: u32, too_big: u32) -> FitCounts {
        FitCounts {
            purchases,
            too_small,
            too_big,
        }
    }

    fn runs(article: FitCounts, rest: FitCounts) -> Runs {
        article_fit(article, rest, &ArticlePrior::default()).runs
    }

    #[test]
    fn thirty_of_forty_too_small_runs_small_and_says_so() {
        let fit = article_fit(
            counts(40, 30, 1),
            counts(400, 24, 20),
            &ArticlePrior::default(),
        );
        assert_eq!(fit.runs, Runs::Small);
        assert_eq!(
            fit.fit_note("shirts").unwrap(),
            "Runs small: 30 of 40 buyers returned it as too small (6% in shirts)"
        );
        assert_eq!(runs(counts(40, 1, 30), counts(400, 24, 20)), Runs::Large);
    }

    #[test]
    fn a_handful_of_returns_does_not_flag() {
        assert_eq!(
            runs(counts(50, 5, 0), FitCounts::default()),
            Runs::TrueToSize
        );
        assert_eq!(
            runs(counts(3, 3, 0), FitCounts::default()),
            Runs::TrueToSize
        );
        assert_eq!(
            runs(counts(0, 0, 0), FitCounts::default()),
            Runs::TrueToSize
        );
        assert_eq!(
            article_fit(
                counts(50, 5, 0),
                FitCounts::default(),
                &ArticlePrior::default()
            )
            .fit_note("x"),
            None
        );
    }

    #[test]
    fn a_category_that_runs_small_raises_the_bar() {
        // 12 of 40 too small is notable in a category where 6% are, not where 30% are.
        assert_eq!(runs(counts(40, 12, 0), counts(1000, 60, 50)), Runs::Small);
        assert_eq!(
            runs(counts(40, 12, 0), counts(1000, 300, 50)),
            Runs::TrueToSize
        );
    }

    #[test]
    fn without_removes_an_article_from_its_category() {
        assert_eq!(counts(10, 4, 2).without(counts(3, 1, 5)), counts(7, 3, 0));
    }
}
