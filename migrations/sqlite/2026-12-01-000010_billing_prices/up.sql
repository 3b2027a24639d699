-- Message prices per workspace: one currency (ISO 4217) and, per channel, the price of one paid
-- message in the currency's minor unit. `prices` is a JSON object {channel: minor units}; a
-- channel missing from it costs nothing. Written whole by PUT /api/v1/billing/prices.
CREATE TABLE billing_prices (
    workspace_id BIGINT PRIMARY KEY NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    currency TEXT NOT NULL,
    prices TEXT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);
