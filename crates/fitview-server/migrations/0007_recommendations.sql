-- Recommendations (issue 15): a shopper's saved body measurements, for size recommendations.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- One row per shopper: a JSON object of centimetres (`{"chest": 96, "waist": 82}`), validated
-- by fitview-insights before it is stored. Deleted with the account (cascade, and explicitly in
-- src/db/users.rs for SQLite files without foreign keys enforced).
CREATE TABLE shopper_measurements (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    measurements TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
