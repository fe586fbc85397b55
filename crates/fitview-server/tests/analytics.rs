//! Retailer analytics over real sockets (issue 14): events from shoppers, retailers and the
//! server's own try-ons, buffered and flushed into rollups, read back as the retailer's figures.
//! Each test runs on SQLite and, given `FITVIEW_TEST_POSTGRES_URL`, on PostgreSQL.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod analytics {
    pub mod batches;
    pub mod isolation;
    pub mod privacy;
    pub mod restart;
    pub mod shop;
    pub mod truth;
}
