-- Per-dialog figures kept current as messages are written (statistics never scan messages),
-- one row per answered wait, rating requests and ratings, and an admins-only event audience.

-- When the visitor first wrote: a dialog counts as started from then.
ALTER TABLE dialogs ADD COLUMN started_at BIGINT;
-- Start of the visitor's current unanswered wait (NULL when nobody waits).
ALTER TABLE dialogs ADD COLUMN waiting_since BIGINT;
ALTER TABLE dialogs ADD COLUMN first_response_ms BIGINT;
ALTER TABLE dialogs ADD COLUMN response_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dialogs ADD COLUMN response_total_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dialogs ADD COLUMN response_max_ms BIGINT NOT NULL DEFAULT 0;

UPDATE dialogs SET started_at = (
    SELECT MIN(m.created_at) FROM messages m
    WHERE m.dialog_id = dialogs.id AND m.author_type = 'visitor' AND m.kind = 'message'
);

CREATE INDEX dialogs_started ON dialogs (workspace_id, started_at);
CREATE INDEX dialogs_closed ON dialogs (workspace_id, closed_at);

-- Each time a visitor waited for an operator and got an answer.
CREATE TABLE response_times (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    dialog_id BIGINT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    operator_id BIGINT,
    is_first BOOLEAN NOT NULL,
    waited_from BIGINT NOT NULL,
    answered_at BIGINT NOT NULL,
    wait_ms BIGINT NOT NULL
);
-- Covers the team-wide aggregate, so it never touches the table.
CREATE INDEX response_times_answered ON response_times (workspace_id, answered_at, chat_id, is_first, wait_ms);
CREATE INDEX response_times_dialog ON response_times (dialog_id);

-- One rating request per close of a dialog whose chat asks for feedback; the visitor's answer
-- fills score, review and rated_at.
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    dialog_id BIGINT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL,
    visitor_id BIGINT NOT NULL,
    operator_id BIGINT,
    scale INTEGER NOT NULL CHECK (scale IN (2, 5, 10)),
    text TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    score INTEGER,
    review TEXT,
    rated_at BIGINT
);
CREATE INDEX ratings_requested ON ratings (workspace_id, requested_at, id);
CREATE INDEX ratings_dialog ON ratings (dialog_id, id);

-- 'admins': visible to admins and super admins only (ratings).
CREATE TABLE events_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    dialog_id BIGINT,
    visitor_id BIGINT,
    audience TEXT NOT NULL CHECK (audience IN ('operators', 'visitor', 'admins')),
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO events_new SELECT id, workspace_id, position, event_type, dialog_id, visitor_id, audience, payload, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE UNIQUE INDEX events_position ON events (workspace_id, position);
CREATE INDEX events_visitor ON events (visitor_id, position) WHERE visitor_id IS NOT NULL;
