-- PostgreSQL drops the per-row foreign-key checks of messages and search entries here. SQLite's
-- check is a lookup in the same process with nothing logged, and dropping a constraint there
-- means rebuilding the table: it keeps them.
SELECT 1;
