-- Chats, visitors, dialogs, messages, tags, saved replies, page views and the event log.

CREATE TABLE chats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    settings TEXT NOT NULL,
    archived_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX chats_workspace ON chats (workspace_id, id);

CREATE TABLE visitors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL REFERENCES chats(id),
    token_hash TEXT UNIQUE,
    external_id TEXT,
    name TEXT,
    email TEXT,
    phone TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX visitors_workspace ON visitors (workspace_id, id);
CREATE UNIQUE INDEX visitors_external ON visitors (workspace_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE visitor_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    visitor_id BIGINT NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    operator_id BIGINT NOT NULL REFERENCES operators(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX visitor_notes_visitor ON visitor_notes (visitor_id, id);

CREATE TABLE dialogs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL UNIQUE,
    chat_id BIGINT NOT NULL REFERENCES chats(id),
    visitor_id BIGINT NOT NULL REFERENCES visitors(id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'closed')),
    assignee_id BIGINT REFERENCES operators(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT,
    closed_by_operator_id BIGINT REFERENCES operators(id),
    reopen_count INTEGER NOT NULL DEFAULT 0,
    message_count INTEGER NOT NULL DEFAULT 0,
    visitor_message_count INTEGER NOT NULL DEFAULT 0,
    operator_message_count INTEGER NOT NULL DEFAULT 0,
    note_count INTEGER NOT NULL DEFAULT 0,
    last_message_id BIGINT,
    last_visitor_message_at BIGINT,
    last_operator_message_id BIGINT,
    last_operator_message_at BIGINT,
    first_operator_reply_at BIGINT,
    visitor_last_read_id BIGINT NOT NULL DEFAULT 0,
    visitor_last_read_at BIGINT,
    operator_last_read_id BIGINT NOT NULL DEFAULT 0,
    operator_last_read_at BIGINT
);
CREATE INDEX dialogs_activity ON dialogs (workspace_id, last_activity_at, id);
CREATE INDEX dialogs_status ON dialogs (workspace_id, status, last_activity_at, id);
CREATE INDEX dialogs_assignee ON dialogs (workspace_id, assignee_id, last_activity_at, id);
CREATE INDEX dialogs_chat ON dialogs (workspace_id, chat_id, last_activity_at, id);
CREATE INDEX dialogs_created ON dialogs (workspace_id, created_at, id);
CREATE INDEX dialogs_visitor ON dialogs (visitor_id, chat_id, id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    dialog_id BIGINT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'note', 'system')),
    author_type TEXT NOT NULL CHECK (author_type IN ('visitor', 'operator', 'system', 'bot')),
    author_id BIGINT,
    channel TEXT NOT NULL,
    body TEXT NOT NULL,
    client_id TEXT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT,
    deleted_by BIGINT
);
CREATE INDEX messages_dialog ON messages (dialog_id, id);
-- A client-supplied id makes sending idempotent per author.
CREATE UNIQUE INDEX messages_client_id ON messages (workspace_id, author_type, author_id, client_id)
    WHERE client_id IS NOT NULL;

-- Word-prefix search over message text (operators only).
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_normalized TEXT NOT NULL,
    color TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tags_name ON tags (workspace_id, name_normalized);

CREATE TABLE dialog_tags (
    dialog_id BIGINT NOT NULL REFERENCES dialogs(id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (dialog_id, tag_id)
);
CREATE INDEX dialog_tags_tag ON dialog_tags (tag_id, dialog_id);

CREATE TABLE saved_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    owner_id BIGINT REFERENCES operators(id) ON DELETE CASCADE,
    shortcut TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES operators(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX saved_replies_workspace ON saved_replies (workspace_id, id);

CREATE TABLE page_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    visitor_id BIGINT NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    dialog_id BIGINT REFERENCES dialogs(id) ON DELETE SET NULL,
    url TEXT NOT NULL,
    title TEXT,
    referrer TEXT,
    viewed_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX page_views_visitor ON page_views (visitor_id, id);
CREATE INDEX page_views_dialog ON page_views (dialog_id) WHERE dialog_id IS NOT NULL;

-- The event log: every state change writes its event in the same transaction. Live delivery,
-- reconnect recovery and webhooks all read it. `audience` says who may see the event:
-- 'operators', or 'visitor' (operators and the visitor of `visitor_id`).
CREATE TABLE events (
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
CREATE UNIQUE INDEX events_position ON events (workspace_id, position);
CREATE INDEX events_visitor ON events (visitor_id, position) WHERE visitor_id IS NOT NULL;
