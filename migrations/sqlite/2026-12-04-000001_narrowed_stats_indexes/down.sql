DROP INDEX response_times_dialog;
CREATE INDEX response_times_dialog ON response_times (dialog_id);
DROP INDEX dialogs_assignee_closed;
DROP INDEX dialogs_assignee_started;
