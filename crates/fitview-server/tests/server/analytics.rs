//! Retailer analytics over real sockets (issue 14): events from shoppers, retailers and the
//! server's own try-ons, buffered and flushed into rollups, read back as the retailer's figures.
//! Each test runs on SQLite and, given `FITVIEW_TEST_POSTGRES_URL`, on PostgreSQL.

mod batches;
mod crash;
mod funnel;
mod isolation;
mod privacy;
mod report;
mod restart;
pub mod shop;
pub mod truth;
