//! Ranked full-text search over product names and descriptions, on SQLite FTS5 or PostgreSQL
//! `tsvector`, behind one interface.
//!
//! The index is a table of its own (`product_search`), one row per product, written with the
//! product in the same transaction ([`index`], [`remove`]). The two databases index differently,
//! so the table is created here ([`create_index`]) rather than in a portable migration:
//!
//! - SQLite: an FTS5 table with the `porter` stemmer over `unicode61` (diacritics removed),
//!   ranked by BM25 with the name weighted ten times the description.
//! - PostgreSQL: an `english` `tsvector` with the name as weight A and the description as B,
//!   a GIN index, matched by `websearch_to_tsquery` and ranked by `ts_rank`.
//!
//! Either way "striped shirt" finds "Shirt with blue stripes" (both words stem alike), and a
//! product naming the words ranks above one that only describes them.

use sqlx::{AnyConnection, AnyPool};

/// Most words of a query that are searched (the rest are ignored).
const MAX_WORDS: usize = 16;

/// The SQL dialect of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (FTS5).
    Sqlite,
    /// PostgreSQL (`tsvector`).
    Postgres,
}

impl Dialect {
    /// The dialect of the database this pool connects to.
    pub fn of(pool: &AnyPool) -> Dialect {
        if pool
            .connect_options()
            .database_url
            .scheme()
            .starts_with("postgres")
        {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        }
    }
}

/// A shopper's query, reduced to the words that are searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<String>,
}

impl SearchQuery {
    /// The words of `text` (letters and digits, lowercased); `None` when there are none.
    pub fn parse(text: &str) -> Option<SearchQuery> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_WORDS)
            .map(str::to_lowercase)
            .collect();
        (!words.is_empty()).then_some(SearchQuery { words })
    }

    /// The query as the dialect's match expression expects it: every word required.
    pub fn expression(&self, dialect: Dialect) -> String {
        match dialect {
            // Quoted, so no word is read as FTS5 syntax (`NOT`, `*`, column filters).
            Dialect::Sqlite => self
                .words
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" "),
            // `websearch_to_tsquery` accepts any text; plain words are ANDed.
            Dialect::Postgres => self.words.join(" "),
        }
    }
}

/// How a product listing query searches: a join, a condition and an order, each naming the
/// query's placeholder `{}` where it needs it.
#[derive(Debug, Clone, Copy)]
pub struct SearchSql {
    /// Joined after `FROM products`.
    pub join: &'static str,
    /// The match, with `{}` for the query expression.
    pub condition: &'static str,
    /// The `ORDER BY` expression, best first, with `{}` for the query expression.
    pub order: &'static str,
}

impl SearchSql {
    /// The statements of a dialect.
    pub fn of(dialect: Dialect) -> SearchSql {
        match dialect {
            Dialect::Sqlite => SearchSql {
                join: "JOIN product_search ON product_search.product_id = products.id",
                condition: "product_search MATCH {}",
                // Weights per column: product_id (not indexed), title, body. Lower is better.
                order: "bm25(product_search, 0.0, 10.0, 1.0)",
            },
            Dialect::Postgres => SearchSql {
                join: "JOIN product_search ON product_search.product_id = products.id",
                condition: "product_search.document @@ websearch_to_tsquery('english', {})",
                order: "ts_rank(product_search.document, websearch_to_tsquery('english', {})) DESC",
            },
        }
    }
}

/// Creates the index when it does not exist, and indexes the products it does not hold yet.
pub async fn create_index(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let statements: &[&str] = match Dialect::of(pool) {
        Dialect::Sqlite => &[
            "CREATE VIRTUAL TABLE IF NOT EXISTS product_search USING fts5(\
             product_id UNINDEXED, title, body, \
             tokenize = 'porter unicode61 remove_diacritics 2')",
            "INSERT INTO product_search (product_id, title, body) \
             SELECT id, name, description FROM products \
             WHERE id NOT IN (SELECT product_id FROM product_search)",
        ],
        Dialect::Postgres => &[
            "CREATE TABLE IF NOT EXISTS product_search (\
             product_id TEXT PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE, \
             document TSVECTOR NOT NULL)",
            "CREATE INDEX IF NOT EXISTS product_search_document \
             ON product_search USING GIN (document)",
            "INSERT INTO product_search (product_id, document) \
             SELECT id, setweight(to_tsvector('english', name), 'A') || \
             setweight(to_tsvector('english', description), 'B') FROM products \
             WHERE id NOT IN (SELECT product_id FROM product_search)",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(pool).await?;
    }
    Ok(())
}

/// Indexes (or re-indexes) a product's name and description.
pub async fn index(
    conn: &mut AnyConnection,
    dialect: Dialect,
    product_id: &str,
    name: &str,
    description: &str,
) -> Result<(), sqlx::Error> {
    remove(conn, product_id).await?;
    let sql = match dialect {
        Dialect::Sqlite => {
            "INSERT INTO product_search (product_id, title, body) VALUES ($1, $2, $3)"
        }
        Dialect::Postgres => {
            "INSERT INTO product_search (product_id, document) VALUES ($1, \
             setweight(to_tsvector('english', $2), 'A') || \
             setweight(to_tsvector('english', $3), 'B'))"
        }
    };
    sqlx::query(sql)
        .bind(product_id.to_owned())
        .bind(name.to_owned())
        .bind(description.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops a product from the index.
pub async fn remove(conn: &mut AnyConnection, product_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM product_search WHERE product_id = $1")
        .bind(product_id.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Dialect, SearchQuery};

    #[test]
    fn queries_keep_words_only() {
        let q = SearchQuery::parse("  Striped, SHIRT* -NOT \"x\"").unwrap();
        assert_eq!(
            q.expression(Dialect::Sqlite),
            "\"striped\" \"shirt\" \"not\" \"x\""
        );
        assert_eq!(q.expression(Dialect::Postgres), "striped shirt not x");
        assert!(SearchQuery::parse(" -*- ").is_none());
    }
}
