//! Durable work over real sockets, on SQLite and PostgreSQL: try-on jobs that survive `kill -9`
//! of the server that accepted them, shared by two servers on one database, dead-lettered after
//! repeated provider failures.

mod crash;
mod dead_letter;
mod idempotency;
pub mod process;
