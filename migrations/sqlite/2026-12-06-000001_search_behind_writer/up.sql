-- PostgreSQL moves its full-text entries behind the writer here. SQLite keeps its FTS5 index,
-- written once per batch just before the commit: there it is a small part of the batch.
SELECT 1;
