//! Requests-per-minute pacing: provider calls are started at least `60 / rpm` seconds apart.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces out call starts evenly; with no rate every call starts at once.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// At most `rpm` starts per minute (`None`: unlimited).
    pub fn per_minute(rpm: Option<u32>) -> Self {
        let interval = rpm.filter(|&r| r > 0).map(|r| Duration::from_secs(60) / r);
        Self {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Waits for this caller's turn.
    pub async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_by_the_rate() {
        let limiter = RateLimiter::per_minute(Some(120));
        let start = Instant::now();
        for _ in 0..5 {
            limiter.wait().await;
        }
        // Five starts at 0, 0.5, 1, 1.5 and 2 s (paused clock: no real waiting).
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let unlimited = RateLimiter::per_minute(None);
        let start = Instant::now();
        unlimited.wait().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
