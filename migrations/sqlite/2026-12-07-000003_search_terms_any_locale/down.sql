-- Nothing to undo: the migration changes nothing on SQLite.
SELECT 1;
