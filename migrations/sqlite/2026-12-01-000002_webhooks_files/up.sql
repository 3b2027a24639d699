-- Webhook subscriptions. `secret` is kept as issued: signing needs the secret itself, so it
-- cannot be hashed (see README, "Webhooks"). `log_position` is the newest event-log position already
-- turned into deliveries; `lease_owner`/`lease_until` let one node at a time send for it.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    event_types TEXT NOT NULL,
    include_notes BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    secret TEXT NOT NULL,
    log_position BIGINT NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    failing_since BIGINT,
    paused_at BIGINT,
    paused_reason TEXT,
    lease_owner TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, id);
CREATE INDEX webhooks_runnable ON webhooks (active, paused_at);

-- One event for one subscription; `delivery_key` is the idempotency key sent as Livedesk-Delivery and
-- stays the same across retries and redeliveries. `body` is the exact JSON sent, so retries
-- survive the event log's retention.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    delivery_key TEXT NOT NULL UNIQUE,
    position BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_status_code INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, status, id);
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries (delivered_at);

-- Every attempt to send a delivery, automatic or by hand.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempted_at BIGINT NOT NULL,
    manual BOOLEAN NOT NULL,
    status_code INTEGER,
    latency_ms BIGINT NOT NULL,
    response_excerpt TEXT,
    error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
