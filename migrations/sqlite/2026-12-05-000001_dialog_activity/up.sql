-- The dialog lists are ordered by this narrow row, kept by triggers, so that the update every
-- message makes to its dialog rewrites no list index of the wide `dialogs` row (the same
-- layout as on PostgreSQL, where it lets that update stay on its page).
CREATE TABLE dialog_activity (
    dialog_id INTEGER PRIMARY KEY REFERENCES dialogs (id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    assignee_id BIGINT,
    chat_id BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL
);

INSERT INTO dialog_activity (dialog_id, workspace_id, status, assignee_id, chat_id, last_activity_at)
SELECT id, workspace_id, status, assignee_id, chat_id, last_activity_at FROM dialogs;

CREATE INDEX dialog_activity_all ON dialog_activity (workspace_id, last_activity_at, dialog_id);
CREATE INDEX dialog_activity_status ON dialog_activity (workspace_id, status, last_activity_at, dialog_id);
CREATE INDEX dialog_activity_assignee ON dialog_activity (workspace_id, assignee_id, last_activity_at, dialog_id);
CREATE INDEX dialog_activity_chat ON dialog_activity (workspace_id, chat_id, last_activity_at, dialog_id);

DROP INDEX dialogs_activity;
DROP INDEX dialogs_status;
DROP INDEX dialogs_assignee;
DROP INDEX dialogs_chat;

CREATE TRIGGER dialogs_activity_insert AFTER INSERT ON dialogs
BEGIN
    INSERT INTO dialog_activity (dialog_id, workspace_id, status, assignee_id, chat_id, last_activity_at)
    VALUES (NEW.id, NEW.workspace_id, NEW.status, NEW.assignee_id, NEW.chat_id, NEW.last_activity_at);
END;

CREATE TRIGGER dialogs_activity_update AFTER UPDATE OF workspace_id, status, assignee_id, chat_id, last_activity_at
ON dialogs
WHEN OLD.last_activity_at IS NOT NEW.last_activity_at
  OR OLD.status IS NOT NEW.status
  OR OLD.assignee_id IS NOT NEW.assignee_id
  OR OLD.chat_id IS NOT NEW.chat_id
  OR OLD.workspace_id IS NOT NEW.workspace_id
BEGIN
    UPDATE dialog_activity
    SET workspace_id = NEW.workspace_id, status = NEW.status, assignee_id = NEW.assignee_id,
        chat_id = NEW.chat_id, last_activity_at = NEW.last_activity_at
    WHERE dialog_id = NEW.id;
END;

-- Chat settings changes find the chat's open dialogs here (the list indexes held them before).
CREATE INDEX dialogs_chat ON dialogs (workspace_id, chat_id, id);

-- Whether the visitor has not read the last operator message (a "missed" dialog), so the
-- covering statistics index need not hold the visitor's read marker, which every visitor
-- message moves.
ALTER TABLE dialogs ADD COLUMN unread_by_visitor INTEGER GENERATED ALWAYS AS (
    CASE WHEN operator_message_count > 0 AND last_operator_message_id > visitor_last_read_id THEN 1 ELSE 0 END
) VIRTUAL;
DROP INDEX dialogs_assignee_started;
CREATE INDEX dialogs_assignee_started ON dialogs (workspace_id, assignee_id, started_at, chat_id, channel,
    status, visitor_id, operator_message_count, unread_by_visitor)
    WHERE assignee_id IS NOT NULL;
