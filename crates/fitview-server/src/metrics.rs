//! Prometheus metrics in the text exposition format: requests, latencies, provider calls,
//! cache hits and misses, queue depth. A handful of counters needs no metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::queue::{QueueCounters, QueueStats};
use crate::state::AppState;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// Provider calls made by try-on workers.
    pub provider_calls: AtomicU64,
    /// Provider calls that failed.
    pub provider_failures: AtomicU64,
    /// Try-on and variation results that failed the engine's quality checks (shown to the
    /// user who asked, never cached).
    pub flagged_results: AtomicU64,
    /// Try-on requests answered from the cache.
    pub cache_hits: AtomicU64,
    /// Try-on requests that needed a job.
    pub cache_misses: AtomicU64,
    /// Try-on requests refused because the queue was full.
    pub queue_rejections: AtomicU64,
    /// Rate-limit checks answered from this process's memory because Redis did not answer.
    pub rate_limit_fallbacks: Arc<AtomicU64>,
    /// The analytics buffer's counters.
    pub analytics: Arc<crate::analytics::Counters>,
    /// The recommendation models' rebuilds.
    pub recommendations: Arc<crate::recommend::RefreshMetrics>,
    /// Webhook deliveries.
    pub webhooks: Arc<crate::webhooks::Counters>,
    /// Try-ons and variations refused because their retailer's daily budget was spent.
    pub budget_refusals: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Metrics {
    /// Counts one request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        *lock(&self.requests)
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let mut latency = lock(&self.latency);
        let h = latency.entry(route.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Renders every metric; the try-on and webhook queues' stats are sampled by the caller,
    /// `queue` holds this process's queue counters.
    pub fn render(
        &self,
        stats: &QueueStats,
        webhooks: &QueueStats,
        queue: &QueueCounters,
    ) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP fitview_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE fitview_http_requests_total counter\n");
        for ((method, route, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "fitview_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP fitview_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE fitview_http_request_duration_seconds histogram\n");
        for (route, h) in lock(&self.latency).iter() {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "fitview_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "fitview_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "fitview_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "fitview_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let counters = [
            (
                "fitview_provider_calls_total",
                "Provider calls made by try-on workers.",
                &self.provider_calls,
            ),
            (
                "fitview_provider_failures_total",
                "Provider calls that failed.",
                &self.provider_failures,
            ),
            (
                "fitview_flagged_results_total",
                "Results that failed quality checks (never cached).",
                &self.flagged_results,
            ),
            (
                "fitview_tryon_cache_hits_total",
                "Try-on requests answered from the cache.",
                &self.cache_hits,
            ),
            (
                "fitview_tryon_cache_misses_total",
                "Try-on requests that needed a job.",
                &self.cache_misses,
            ),
            (
                "fitview_tryon_queue_rejections_total",
                "Try-on requests refused: queue full.",
                &self.queue_rejections,
            ),
            (
                "fitview_budget_refusals_total",
                "Try-ons and variations refused: the retailer's daily budget is spent.",
                &self.budget_refusals,
            ),
            (
                "fitview_rate_limit_fallbacks_total",
                "Rate-limit checks made per process because Redis did not answer.",
                &*self.rate_limit_fallbacks,
            ),
            (
                "fitview_queue_lease_expiries_total",
                "Jobs this process took over from a worker whose lease ran out.",
                &queue.lease_expiries,
            ),
            (
                "fitview_queue_retries_total",
                "Job attempts queued again after a failure that can succeed later.",
                &queue.retries,
            ),
            (
                "fitview_queue_dead_letters_total",
                "Jobs this process ended as failed for good (dead letters).",
                &queue.dead_letters,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let oldest = stats.oldest_age.map_or(0.0, |age| age.as_secs_f64());
        let gauges = [
            (
                "fitview_tryon_queue_depth",
                "Try-on jobs waiting for a worker, on every server.",
                stats.depth as f64,
            ),
            (
                "fitview_tryon_jobs_running",
                "Try-on jobs held by a worker, on every server.",
                stats.running as f64,
            ),
            (
                "fitview_tryon_queue_oldest_job_age_seconds",
                "Age of the oldest try-on job not yet done (0 when none).",
                oldest,
            ),
            (
                "fitview_tryon_dead_letters",
                "Try-on jobs that failed for good and are kept for the operator.",
                stats.dead as f64,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        self.analytics.render(&mut out);
        self.recommendations.render(&mut out, crate::db::now());
        self.webhooks.render(&mut out, webhooks);
        out
    }
}

/// Middleware recording every request under its route template (low cardinality).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.observe("GET", "/health", 200, Duration::from_millis(3));
        m.cache_hits.fetch_add(2, Ordering::Relaxed);
        let stats = QueueStats {
            depth: 4,
            oldest_age: Some(Duration::from_millis(1500)),
            ..QueueStats::default()
        };
        let queue = QueueCounters::default();
        queue.lease_expiries.fetch_add(1, Ordering::Relaxed);
        let text = m.render(&stats, &QueueStats::default(), &queue);
        assert!(text.contains(
            "fitview_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"
        ));
        assert!(text.contains(
            "fitview_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "fitview_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.0025\"} 0"
        ));
        assert!(text.contains("fitview_tryon_cache_hits_total 2"));
        assert!(text.contains("fitview_tryon_queue_depth 4"));
        assert!(text.contains("fitview_tryon_queue_oldest_job_age_seconds 1.5"));
        assert!(text.contains("fitview_queue_lease_expiries_total 1"));
    }
}
