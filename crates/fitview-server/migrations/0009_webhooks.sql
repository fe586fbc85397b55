-- Webhooks (issue 12): a retailer's endpoints, the deliveries of events to them and every attempt
-- of each delivery. Deliveries are sent by jobs of the durable queue (kind `webhook`), so a
-- crash loses none. Portable SQL: runs unchanged on SQLite and PostgreSQL. Times in ms.

-- `secret` signs deliveries (Standard Webhooks, `whsec_…`); after a rotation the previous one
-- also signs until `previous_until_ms`, so receivers can switch without dropping a delivery.
-- `events` is a comma-separated list of event types. `disabled_reason` is set when the endpoint
-- stopped receiving (a 410 from the receiver); NULL while it is enabled.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    retailer_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_until_ms BIGINT,
    disabled_reason TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_retailer ON webhook_endpoints(retailer_id);

-- One event sent to one endpoint. `message_id` is the `webhook-id` header: the same for every
-- endpoint and every attempt of one event, so receivers can drop repeats. `payload` is the exact
-- body that is signed. `status`: pending, succeeded, failed (for good), cancelled (the endpoint
-- was disabled or deleted before it went out).
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at_ms BIGINT NOT NULL,
    ended_at_ms BIGINT,
    UNIQUE (endpoint_id, message_id)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, created_at_ms);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries(status);

-- Every attempt: the status the receiver answered (NULL when none: refused address, network
-- error, timeout), what went wrong, how long it took, and the start of the answer's body.
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    response_excerpt TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
