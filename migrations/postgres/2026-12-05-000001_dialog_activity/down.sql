ALTER TABLE dialogs RESET (fillfactor);
DROP INDEX dialogs_assignee_started;
ALTER TABLE dialogs DROP COLUMN unread_by_visitor;
CREATE INDEX dialogs_assignee_started ON dialogs (workspace_id, assignee_id, started_at)
    INCLUDE (chat_id, channel, status, visitor_id, operator_message_count, last_operator_message_id,
             visitor_last_read_id)
    WHERE assignee_id IS NOT NULL;

DROP INDEX dialogs_chat;
DROP TRIGGER dialogs_activity_update ON dialogs;
DROP TRIGGER dialogs_activity_insert ON dialogs;
DROP FUNCTION dialog_activity_update();
DROP FUNCTION dialog_activity_insert();
DROP TABLE dialog_activity;

CREATE INDEX dialogs_activity ON dialogs (workspace_id, last_activity_at, id);
CREATE INDEX dialogs_status ON dialogs (workspace_id, status, last_activity_at, id);
CREATE INDEX dialogs_assignee ON dialogs (workspace_id, assignee_id, last_activity_at, id);
CREATE INDEX dialogs_chat ON dialogs (workspace_id, chat_id, last_activity_at, id);
