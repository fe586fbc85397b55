-- The durable queue (src/queue): work accepted by any server, claimed by one worker at a time
-- under a lease that its heartbeat renews. A lease that runs out (the worker died) makes the job
-- claimable again. Times in milliseconds since the Unix epoch, for leases of seconds.
-- `status`: queued (waiting for run_after_ms), running (leased), failed (dead letter, with
-- last_error). A job that succeeded is deleted.
CREATE TABLE queue_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_after_ms BIGINT NOT NULL,
    locked_by TEXT,
    locked_until_ms BIGINT,
    -- 1 when the last claim took the job over from a worker whose lease had run out.
    reclaimed BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX queue_jobs_claim ON queue_jobs(kind, status, run_after_ms);

-- Idempotency-Key: the first answer to a request, per account and key, with a fingerprint of
-- the request it answered. `status` is NULL while the first request is still being handled.
CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status BIGINT,
    content_type TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
