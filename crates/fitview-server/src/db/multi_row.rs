//! Statements that write many rows at once (`INSERT … VALUES (…), (…), …`): their
//! placeholders, and how many rows one statement takes.
//!
//! On SQLite the placeholders are anonymous (`?`): sqlx finds each numbered placeholder's
//! index by its name (`sqlite3_bind_parameter_name`, which walks the list of all of them), so
//! binding `$n` placeholders costs the square of their number; profiled, a flush of 1,600 per
//! statement spent a third of its time there. PostgreSQL numbers them (`$1`), as it must.

use sqlx::AnyPool;

use super::search::Dialect;

/// Placeholders per statement: well under SQLite's and PostgreSQL's limits (32,766, 65,535),
/// and enough rows per statement that the per-statement cost is spread thin.
const PLACEHOLDERS_PER_STATEMENT: usize = 960;

/// The shape of one multi-row statement: its database and columns per row.
#[derive(Debug, Clone, Copy)]
pub struct MultiRow {
    dialect: Dialect,
    columns: usize,
}

impl MultiRow {
    /// Rows of `columns` values for the database of `pool`.
    pub fn new(pool: &AnyPool, columns: usize) -> Self {
        Self {
            dialect: Dialect::of(pool),
            columns,
        }
    }

    /// Rows one statement takes.
    pub fn rows_per_statement(&self) -> usize {
        (PLACEHOLDERS_PER_STATEMENT / self.columns).max(1)
    }

    /// `(?, ?), (?, ?)` or `($1, $2), ($3, $4)`: the placeholders of `rows` rows.
    pub fn placeholders(&self, rows: usize) -> String {
        (0..rows)
            .map(|r| {
                let cells: Vec<String> = (1..=self.columns)
                    .map(|c| match self.dialect {
                        Dialect::Sqlite => "?".to_owned(),
                        Dialect::Postgres => format!("${}", r * self.columns + c),
                    })
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}
