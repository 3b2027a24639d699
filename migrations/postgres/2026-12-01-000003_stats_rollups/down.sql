DROP INDEX dialogs_started;
DROP INDEX dialogs_closed;
CREATE INDEX dialogs_started ON dialogs (workspace_id, started_at);
CREATE INDEX dialogs_closed ON dialogs (workspace_id, closed_at);
DROP TABLE stats_rollup_backfill;
DROP TABLE rating_rollups;
DROP TABLE response_rollups;
DROP TABLE stats_rollups;
