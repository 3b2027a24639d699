DELETE FROM events WHERE audience = 'admins';
CREATE TABLE events_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    dialog_id BIGINT,
    visitor_id BIGINT,
    audience TEXT NOT NULL CHECK (audience IN ('operators', 'visitor')),
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO events_old SELECT id, workspace_id, position, event_type, dialog_id, visitor_id, audience, payload, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;
CREATE UNIQUE INDEX events_position ON events (workspace_id, position);
CREATE INDEX events_visitor ON events (visitor_id, position) WHERE visitor_id IS NOT NULL;

DROP TABLE ratings;
DROP TABLE response_times;
DROP INDEX dialogs_closed;
DROP INDEX dialogs_started;
ALTER TABLE dialogs DROP COLUMN response_max_ms;
ALTER TABLE dialogs DROP COLUMN response_total_ms;
ALTER TABLE dialogs DROP COLUMN response_count;
ALTER TABLE dialogs DROP COLUMN first_response_ms;
ALTER TABLE dialogs DROP COLUMN waiting_since;
ALTER TABLE dialogs DROP COLUMN started_at;
