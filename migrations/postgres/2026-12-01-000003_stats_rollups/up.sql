-- Statistics roll-ups kept on write, so a year of dashboard reads thousands of rows instead of
-- a million dialogs. "All" is stored as chat_id 0, channel '' and operator_id 0.

-- Dialog counters. span 0: 15-minute UTC buckets (every zone offset is a multiple of 15
-- minutes, so local days and hours stay exact), operator_id always 0; span 1: UTC days,
-- operator_id the assignee (never 0). started/unanswered/missed/replies/active follow the
-- dialog's start, closed follows its close.
CREATE TABLE stats_rollups (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    span INTEGER NOT NULL,
    chat_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    operator_id BIGINT NOT NULL,
    bucket BIGINT NOT NULL,
    started BIGINT NOT NULL,
    unanswered BIGINT NOT NULL,
    missed BIGINT NOT NULL,
    replies BIGINT NOT NULL,
    active BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, span, chat_id, channel, operator_id, bucket)
);

-- Answered waits per UTC day: a histogram of whole seconds (see src/domain/rollups.rs for
-- the encoding) per chat, channel ('' all) and operator (0 all).
CREATE TABLE response_rollups (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    operator_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    waits BYTEA NOT NULL,
    PRIMARY KEY (workspace_id, chat_id, channel, operator_id, day)
);

-- Rating requests per UTC day of the request, by scale and score (-1: not rated yet).
CREATE TABLE rating_rollups (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL,
    operator_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    scale INTEGER NOT NULL,
    score INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, chat_id, operator_id, day, scale, score)
);

-- Workspaces whose roll-ups are built from their dialogs at the next start.
CREATE TABLE stats_rollup_backfill (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE
);
INSERT INTO stats_rollup_backfill (workspace_id) SELECT id FROM workspaces;

-- Distinct visitors are counted from these covering indexes.
DROP INDEX dialogs_started;
DROP INDEX dialogs_closed;
CREATE INDEX dialogs_started ON dialogs (workspace_id, started_at, visitor_id);
CREATE INDEX dialogs_closed ON dialogs (workspace_id, closed_at, status, visitor_id);
