-- Per-retailer spend caps (issue 18): what the provider calls made for each retailer's catalog
-- cost, per UTC day and provider, and each retailer's own daily cap (NULL: the server's default).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Money in millionths of a US dollar.
CREATE TABLE retailer_spend (
    retailer_id TEXT NOT NULL,
    day TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    spent_micros BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (retailer_id, day, provider, model)
);

ALTER TABLE users ADD COLUMN daily_budget_micros BIGINT;
