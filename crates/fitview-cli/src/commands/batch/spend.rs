//! `--max-cost` at work: what the batch has spent (earlier runs' journaled costs, then each
//! finished item's recorded cost) and what the items in flight may still cost. An item starts
//! only when the spend plus every in-flight item's price plus its own stays within the cap, so
//! a run stops at the cap within one call's cost (exactly at it when the prices are right), and
//! a rerun with a higher cap resumes where it stopped.

/// The spend cap of one batch run.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendCap {
    limit: Option<f64>,
    spent: f64,
    reserved: f64,
}

impl SpendCap {
    /// A cap of `limit` US dollars (none: no cap) with `spent` already spent.
    pub fn new(limit: Option<f64>, spent: f64) -> Self {
        Self {
            limit,
            spent: spent.max(0.0),
            reserved: 0.0,
        }
    }

    /// Holds `usd` for an item about to start; false when that would pass the cap.
    pub fn try_reserve(&mut self, usd: f64) -> bool {
        let usd = usd.max(0.0);
        if let Some(limit) = self.limit
            && self.spent + self.reserved + usd > limit + 1e-9
        {
            return false;
        }
        self.reserved += usd;
        true
    }

    /// An item that held `reserved` finished having cost `actual` (0 if it never called).
    pub fn settle(&mut self, reserved: f64, actual: f64) {
        self.reserved = (self.reserved - reserved.max(0.0)).max(0.0);
        if actual.is_finite() && actual > 0.0 {
            self.spent += actual;
        }
    }

    /// US dollars spent so far, earlier runs included.
    pub fn spent(&self) -> f64 {
        self.spent
    }

    /// The cap, if any.
    pub fn limit(&self) -> Option<f64> {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_start_while_spend_and_holds_stay_within_the_cap() {
        let mut cap = SpendCap::new(Some(1.0), 0.25);
        assert!(cap.try_reserve(0.25));
        assert!(cap.try_reserve(0.25));
        assert!(cap.try_reserve(0.25));
        assert!(!cap.try_reserve(0.25), "0.25 spent + 0.75 held: full");
        // A cache hit costs nothing and frees its hold.
        cap.settle(0.25, 0.0);
        assert!(cap.try_reserve(0.25));
        cap.settle(0.25, 0.25);
        cap.settle(0.25, 0.25);
        cap.settle(0.25, 0.25);
        assert!((cap.spent() - 1.0).abs() < 1e-12);
        assert!(!cap.try_reserve(0.01));
        assert!(SpendCap::new(None, 5.0).try_reserve(100.0));
    }
}
