-- Automatic assignment: each operator's capacity and when they last got a dialog (round robin).
ALTER TABLE operators ADD COLUMN max_active_dialogs INTEGER NOT NULL DEFAULT 5;
ALTER TABLE operators ADD COLUMN last_assigned_at BIGINT;

-- The queue (ordered by waiting time), the dialog timers and their due time.
ALTER TABLE dialogs ADD COLUMN queued_at BIGINT;
ALTER TABLE dialogs ADD COLUMN queue_notified_at BIGINT;
ALTER TABLE dialogs ADD COLUMN queue_timeout_at BIGINT;
ALTER TABLE dialogs ADD COLUMN assigned_at BIGINT;
ALTER TABLE dialogs ADD COLUMN due_at BIGINT;

CREATE INDEX dialogs_queue ON dialogs (workspace_id, queued_at, id) WHERE queued_at IS NOT NULL;
CREATE INDEX dialogs_due ON dialogs (due_at, id) WHERE due_at IS NOT NULL;
CREATE INDEX dialogs_active_assignee ON dialogs (assignee_id) WHERE status = 'assigned';

-- Auto-replies: schedules of the workspace, and each new dialog's pending one (dialogs that
-- existed before are never looked at: only new ones are inserted unchecked).
CREATE TABLE auto_replies (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    any_time BOOLEAN NOT NULL,
    weekdays TEXT NOT NULL,
    time_ranges TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    delay_secs INTEGER NOT NULL,
    ask_for TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX auto_replies_workspace ON auto_replies (workspace_id, id);

ALTER TABLE dialogs ADD COLUMN auto_reply_checked BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE dialogs ADD COLUMN auto_reply_id BIGINT;
ALTER TABLE dialogs ADD COLUMN auto_reply_at BIGINT;
ALTER TABLE dialogs ADD COLUMN contact_request TEXT;
