-- Analytics (issue 14): shoppers' and the server's events, and their daily rollups.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- One row per event; the client-chosen id makes a resent event a no-op. Times are milliseconds
-- since the Unix epoch. No foreign keys: the counts outlive a deleted product, and a deleted
-- shopper's events stay with a pseudonym in user_id.
CREATE TABLE analytics_events (
    id TEXT PRIMARY KEY,
    retailer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    product_id TEXT NOT NULL,
    model_id TEXT,
    size TEXT,
    quantity BIGINT NOT NULL,
    value_cents BIGINT,
    currency TEXT,
    session_id TEXT,
    user_id TEXT,
    reason TEXT,
    provider_cost_micros BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX analytics_events_retailer_time ON analytics_events(retailer_id, occurred_at);
CREATE INDEX analytics_events_user ON analytics_events(user_id);

-- Events per retailer, day (YYYY-MM-DD, UTC), product, model, size, kind and return reason; ''
-- for an absent model, size or reason so that the key is one unique index on both databases.
CREATE TABLE analytics_rollups (
    retailer_id TEXT NOT NULL,
    day TEXT NOT NULL,
    product_id TEXT NOT NULL,
    model_id TEXT NOT NULL,
    size TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    events BIGINT NOT NULL,
    units BIGINT NOT NULL,
    value_cents BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    PRIMARY KEY (retailer_id, day, product_id, model_id, size, kind, reason)
);
CREATE INDEX analytics_rollups_product ON analytics_rollups(retailer_id, product_id, day);
