-- A visitor's catch-up reads the workspace's log in position order (`events_position`) and keeps
-- the visitor's events; a visitor resuming from further back than the replay window reloads
-- through REST instead. The per-visitor index cost every event an entry on a page of its own
-- (about a quarter of the pages a batch of messages writes on SQLite, see BENCHMARKS.md).
DROP INDEX events_visitor;
