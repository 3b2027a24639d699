-- Which dialogs of a chat notify an operator, and by which means.
CREATE TABLE notification_preferences (
    operator_id BIGINT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    assigned_to_me BOOLEAN NOT NULL,
    unassigned BOOLEAN NOT NULL,
    assigned_to_others BOOLEAN NOT NULL,
    in_app BOOLEAN NOT NULL,
    email BOOLEAN NOT NULL,
    push BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (operator_id, chat_id)
);

-- An operator's chosen status and the effective status last announced to the workspace.
CREATE TABLE operator_presence (
    operator_id BIGINT PRIMARY KEY REFERENCES operators(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    manual_status TEXT NOT NULL,
    status TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX operator_presence_workspace ON operator_presence (workspace_id, status);

-- Live socket connections per node; rows of a node that stopped refreshing them are stale.
CREATE TABLE presence_connections (
    node_id TEXT NOT NULL,
    operator_id BIGINT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    connections INTEGER NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (node_id, operator_id)
);
CREATE INDEX presence_connections_operator ON presence_connections (operator_id, seen_at);
CREATE INDEX presence_connections_seen ON presence_connections (seen_at);
CREATE INDEX events_created ON events (created_at);
