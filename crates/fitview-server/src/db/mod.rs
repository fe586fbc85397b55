//! Records: one code path for SQLite and PostgreSQL through sqlx's `Any` driver.
//!
//! SQL is written once in the portable subset both speak (`$n` placeholders, `TEXT`, `BIGINT`,
//! `DOUBLE PRECISION`, `LOWER(..) LIKE`); migrations are embedded in the binary and run at start.

pub mod cart;
pub mod models;
pub mod multi_row;
pub mod orders;
pub mod products;
pub mod search;
pub mod sessions;
pub mod tryon;
pub mod users;

use std::time::Duration;

use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::query::Query;
use sqlx::{Any, AnyPool};

/// The migrations in `crates/fitview-server/migrations`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// Connects to `url` (`sqlite://...` or `postgres://...`) and runs pending migrations.
pub async fn connect(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    let mut options = AnyPoolOptions::new()
        .max_connections(if sqlite { 4 } else { 16 })
        .acquire_timeout(Duration::from_secs(5));
    if sqlite {
        // Deleted rows are overwritten with zeros, not left in free pages (erasure requests).
        options = options.after_connect(|connection, _| {
            Box::pin(async move {
                sqlx::Executor::execute(&mut *connection, "PRAGMA secure_delete = ON").await?;
                // 64 MiB of pages per connection (the default is 2 MiB): a flush's inserts
                // and the analytics reads then find their index pages here instead of
                // reading them from the operating system one page at a time.
                sqlx::Executor::execute(&mut *connection, "PRAGMA cache_size = -65536").await?;
                Ok(())
            })
        });
    }
    let pool = options.connect(url).await?;
    if sqlite {
        // Readers no longer wait for a writer; the setting is stored in the database file.
        sqlx::query("PRAGMA journal_mode=WAL")
            .execute(&pool)
            .await?;
    }
    MIGRATOR.run(&pool).await?;
    search::create_index(&pool).await?;
    Ok(pool)
}

/// After an erasure: on SQLite, copies the write-ahead log into the database file and empties
/// it, so that the deleted rows' old pages do not outlive them there (`secure_delete` has
/// zeroed them in the database file). Nothing to do on PostgreSQL.
pub async fn flush_erased(pool: &AnyPool) -> Result<(), sqlx::Error> {
    if pool.connect_options().database_url.scheme() == "sqlite" {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// A new random record id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    i64::try_from(crate::auth::jwt::now_secs()).unwrap_or(i64::MAX)
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
}

/// A `WHERE` clause built from optional filters, numbering placeholders as it goes.
#[derive(Debug, Default)]
pub struct Conditions {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Conditions {
    /// Adds `condition`, in which every `{}` stands for the one value `arg`.
    pub fn push(&mut self, condition: &str, arg: Arg) {
        self.args.push(arg);
        let placeholder = format!("${}", self.args.len());
        self.clauses.push(condition.replace("{}", &placeholder));
    }

    /// Binds one more value and returns its placeholder, for SQL that names it more than once.
    pub fn push_arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// Adds a condition whose placeholders come from [`push_arg`](Self::push_arg).
    pub fn push_clause(&mut self, condition: String) {
        self.clauses.push(condition);
    }

    /// Adds the condition when the value is present.
    pub fn push_opt(&mut self, condition: &str, arg: Option<Arg>) {
        if let Some(arg) = arg {
            self.push(condition, arg);
        }
    }

    /// The full statement: `select` + `WHERE ...` + `tail`, with `LIMIT`/`OFFSET` when paged.
    pub fn sql(&mut self, select: &str, tail: &str, page: Option<(i64, i64)>) -> String {
        let mut sql = select.to_owned();
        if !self.clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.clauses.join(" AND "));
        }
        sql.push(' ');
        sql.push_str(tail);
        if let Some((limit, offset)) = page {
            self.args.push(Arg::Int(limit));
            self.args.push(Arg::Int(offset));
            let n = self.args.len();
            sql.push_str(&format!(" LIMIT ${} OFFSET ${}", n - 1, n));
        }
        sql
    }

    /// Binds the values in order.
    pub fn bind<'q, O>(
        &self,
        mut query: sqlx::query::QueryAs<'q, Any, O, AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, Any, O, AnyArguments<'q>> {
        for arg in &self.args {
            query = match arg.clone() {
                Arg::Text(s) => query.bind(s),
                Arg::Int(i) => query.bind(i),
            };
        }
        query
    }

    /// Binds the values in order, for a statement without typed rows.
    pub fn bind_plain<'q>(
        &self,
        mut query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for arg in &self.args {
            query = match arg.clone() {
                Arg::Text(s) => query.bind(s),
                Arg::Int(i) => query.bind(i),
            };
        }
        query
    }
}

/// A `LIKE` pattern matching `text` anywhere, case-insensitively (use with `LOWER(col) LIKE {}
/// ESCAPE '\'`): `%`, `_` and `\` in the text match themselves.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
