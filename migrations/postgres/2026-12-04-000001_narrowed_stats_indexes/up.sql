-- Statistics narrowed to one operator read that operator's dialogs alone (by start and by
-- close) from these indexes, instead of every dialog of the period. Both cover what the
-- statistics read. Partial: dialogs nobody is assigned to (the ones visitors write most into
-- while they wait) never update them.
CREATE INDEX dialogs_assignee_started ON dialogs (workspace_id, assignee_id, started_at)
    INCLUDE (chat_id, channel, status, visitor_id, operator_message_count, last_operator_message_id,
             visitor_last_read_id)
    WHERE assignee_id IS NOT NULL;
CREATE INDEX dialogs_assignee_closed ON dialogs (workspace_id, assignee_id, closed_at, status, visitor_id, chat_id,
    channel) WHERE assignee_id IS NOT NULL;

-- Statistics narrowed by tag read the answered waits of the tagged dialogs from this index
-- alone (the rows are written once and never change).
DROP INDEX response_times_dialog;
CREATE INDEX response_times_dialog ON response_times
    (dialog_id, answered_at, chat_id, channel, operator_id, is_first, wait_ms, workspace_id);
