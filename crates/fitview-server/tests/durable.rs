//! Durable work over real sockets, on SQLite and PostgreSQL: try-on jobs that survive `kill -9`
//! of the server that accepted them, shared by two servers on one database, dead-lettered after
//! repeated provider failures.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod durable {
    pub mod crash;
    pub mod dead_letter;
    pub mod idempotency;
    pub mod process;
}
