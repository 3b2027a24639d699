-- SQLite only: PostgreSQL's search index is an expression index, maintained by the database.
SELECT 1;
