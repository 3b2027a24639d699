-- PostgreSQL drops the per-row workspace checks of messages and events here. SQLite keeps them:
-- its foreign-key check is a direct lookup of the parent key, not a query of its own, and
-- dropping a constraint would mean rebuilding both tables.
SELECT 1;
