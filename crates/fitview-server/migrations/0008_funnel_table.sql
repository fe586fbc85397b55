-- The funnel served from a table kept at flush time (issue 14), not from the raw events.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- The key that ties one shopper's events together (the account, else the session, else the
-- event itself), indexed with the retailer and the time so that a flush reads one shopper's
-- recent funnel events directly.
ALTER TABLE analytics_events ADD COLUMN shopper TEXT;
UPDATE analytics_events SET shopper = COALESCE(user_id, session_id, id);
CREATE INDEX analytics_events_shopper ON analytics_events(shopper, retailer_id, occurred_at);

-- Per retailer, scope (a product id, or '' for the whole catalog), UTC day and shopper who
-- entered the default funnel (product_viewed, tryon_completed, cart_added, purchased) that
-- day: the fewest milliseconds from one of that day's views to reaching step 2, 3 and 4 in
-- order (NULL: not within 90 days). See src/analytics/funnel_table.rs.
CREATE TABLE analytics_funnel_starts (
    retailer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    day TEXT NOT NULL,
    shopper TEXT NOT NULL,
    reached_2_ms BIGINT,
    reached_3_ms BIGINT,
    reached_4_ms BIGINT,
    PRIMARY KEY (retailer_id, product_id, day, shopper)
);
CREATE INDEX analytics_funnel_starts_shopper ON analytics_funnel_starts(shopper);

-- One row while the table still has to be built from events stored before it existed; the
-- server builds it at start and deletes the row.
CREATE TABLE analytics_funnel_rebuild (pending BIGINT NOT NULL);
INSERT INTO analytics_funnel_rebuild (pending) VALUES (1);
