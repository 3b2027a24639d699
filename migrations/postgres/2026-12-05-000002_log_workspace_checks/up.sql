-- Messages and events are written only in a transaction that first locks its workspace's row
-- (`db::lock_workspace`, the event log's position lock, which fails when there is no such
-- workspace), so the foreign-key check of each row, a query of its own per row, proves nothing
-- more. Dropping both raised the message rate by about a fifth (BENCHMARKS.md). A message's
-- dialog stays checked (`messages_dialog_id_fkey`). Workspaces are never deleted.
ALTER TABLE messages DROP CONSTRAINT messages_workspace_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_workspace_id_fkey;
