-- Every message moves its dialog's last activity. While the dialog lists were ordered by indexes
-- on `dialogs`, each of those updates wrote a new entry into every index of that wide row (no HOT
-- update was possible). The list order now lives in this narrow row, kept by triggers, so a
-- message's update of `dialogs` touches no indexed column and stays on its page (HOT).
CREATE TABLE dialog_activity (
    dialog_id BIGINT PRIMARY KEY REFERENCES dialogs (id) ON DELETE CASCADE,
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

-- Statement triggers: one call per statement, however many dialogs it writes (the group
-- commit updates a batch's dialogs in one statement).
CREATE FUNCTION dialog_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dialog_activity (dialog_id, workspace_id, status, assignee_id, chat_id, last_activity_at)
    SELECT id, workspace_id, status, assignee_id, chat_id, last_activity_at FROM new_dialogs;
    RETURN NULL;
END $$;

CREATE FUNCTION dialog_activity_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dialog_activity a
    SET workspace_id = n.workspace_id, status = n.status, assignee_id = n.assignee_id,
        chat_id = n.chat_id, last_activity_at = n.last_activity_at
    FROM new_dialogs n
    WHERE a.dialog_id = n.id
      AND (a.workspace_id, a.status, a.assignee_id, a.chat_id, a.last_activity_at)
          IS DISTINCT FROM (n.workspace_id, n.status, n.assignee_id, n.chat_id, n.last_activity_at);
    RETURN NULL;
END $$;

CREATE TRIGGER dialogs_activity_insert AFTER INSERT ON dialogs
    REFERENCING NEW TABLE AS new_dialogs FOR EACH STATEMENT EXECUTE FUNCTION dialog_activity_insert();
CREATE TRIGGER dialogs_activity_update AFTER UPDATE ON dialogs
    REFERENCING NEW TABLE AS new_dialogs FOR EACH STATEMENT EXECUTE FUNCTION dialog_activity_update();

-- Chat settings changes find the chat's open dialogs here (the list indexes held them before).
CREATE INDEX dialogs_chat ON dialogs (workspace_id, chat_id, id);

-- Whether the visitor has not read the last operator message (a "missed" dialog), stored so the
-- covering statistics index need not hold the visitor's read marker, which every visitor
-- message moves.
ALTER TABLE dialogs ADD COLUMN unread_by_visitor INTEGER GENERATED ALWAYS AS (
    CASE WHEN operator_message_count > 0 AND last_operator_message_id > visitor_last_read_id THEN 1 ELSE 0 END
) STORED;
DROP INDEX dialogs_assignee_started;
CREATE INDEX dialogs_assignee_started ON dialogs (workspace_id, assignee_id, started_at)
    INCLUDE (chat_id, channel, status, visitor_id, operator_message_count, unread_by_visitor)
    WHERE assignee_id IS NOT NULL;

-- Room on each page for the new versions of updated rows.
ALTER TABLE dialogs SET (fillfactor = 85);
