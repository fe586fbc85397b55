//! What `/metrics` says about the model refresh: rebuilds done and failed, how long the last
//! one took, when the last one succeeded and how old the oldest model in use is, so that an
//! operator sees a refresh that stopped working (the old models keep answering meanwhile).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// The refresh's counters and gauges, shared by the service and the metrics page.
#[derive(Debug, Default)]
pub struct RefreshMetrics {
    /// Rebuilds of one retailer's models that were installed.
    pub refreshes: AtomicU64,
    /// Rebuilds that failed (the previous model stayed), and full refreshes that could not list
    /// the retailers.
    pub failures: AtomicU64,
    /// Seconds the last installed rebuild took, as `f64` bits.
    last_seconds: AtomicU64,
    /// When the last installed rebuild started loading its rows (seconds since the epoch; 0
    /// before the first).
    last_success: AtomicI64,
    /// When the oldest model in use was built (seconds since the epoch; 0 when none is).
    oldest_built_at: AtomicI64,
}

impl RefreshMetrics {
    /// Counts a rebuild installed: built from the rows of `built_at`, in `took`.
    pub fn succeeded(&self, built_at: i64, took: Duration) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        self.last_seconds
            .store(took.as_secs_f64().to_bits(), Ordering::Relaxed);
        self.last_success.fetch_max(built_at, Ordering::Relaxed);
    }

    /// Counts a rebuild that failed.
    pub fn failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes the build time of the oldest model now in use (`None` when there is none).
    pub fn oldest(&self, built_at: Option<i64>) {
        self.oldest_built_at
            .store(built_at.unwrap_or(0), Ordering::Relaxed);
    }

    /// Appends the counters and gauges in the Prometheus text format, ages as of `now`.
    pub fn render(&self, out: &mut String, now: i64) {
        let counters = [
            (
                "fitview_recommend_refreshes_total",
                "Recommendation model rebuilds installed (one retailer each).",
                &self.refreshes,
            ),
            (
                "fitview_recommend_refresh_failures_total",
                "Recommendation model rebuilds that failed (the previous model stays).",
                &self.failures,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let oldest = self.oldest_built_at.load(Ordering::Relaxed);
        let gauges = [
            (
                "fitview_recommend_last_refresh_seconds",
                "Seconds the last installed recommendation model rebuild took.",
                f64::from_bits(self.last_seconds.load(Ordering::Relaxed)),
            ),
            (
                "fitview_recommend_last_refresh_success_timestamp_seconds",
                "When the last installed recommendation model rebuild began (Unix time; 0 before).",
                self.last_success.load(Ordering::Relaxed) as f64,
            ),
            (
                "fitview_recommend_oldest_model_age_seconds",
                "Age of the oldest recommendation model answering (0 when none is built).",
                if oldest == 0 {
                    0.0
                } else {
                    (now - oldest).max(0) as f64
                },
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_the_refresh_did() {
        let m = RefreshMetrics::default();
        let mut before = String::new();
        m.render(&mut before, 1_000);
        assert!(before.contains("fitview_recommend_refreshes_total 0\n"));
        assert!(before.contains("fitview_recommend_oldest_model_age_seconds 0\n"));

        m.succeeded(900, Duration::from_millis(250));
        m.succeeded(950, Duration::from_millis(500));
        m.failed();
        m.oldest(Some(900));
        let mut text = String::new();
        m.render(&mut text, 1_000);
        assert!(text.contains("# TYPE fitview_recommend_refreshes_total counter\n"));
        assert!(
            text.contains("fitview_recommend_refreshes_total 2\n"),
            "{text}"
        );
        assert!(text.contains("fitview_recommend_refresh_failures_total 1\n"));
        assert!(text.contains("fitview_recommend_last_refresh_seconds 0.5\n"));
        assert!(text.contains("fitview_recommend_last_refresh_success_timestamp_seconds 950\n"));
        assert!(text.contains("fitview_recommend_oldest_model_age_seconds 100\n"));
    }
}
