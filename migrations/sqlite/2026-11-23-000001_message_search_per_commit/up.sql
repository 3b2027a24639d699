-- New messages are added to the search index by the application, once per group commit, instead
-- of row by row in a trigger: FTS5 flushes its pending terms at every statement savepoint, so
-- indexing each row on its own costs a flush per message.
DROP TRIGGER messages_fts_insert;
