-- Dialogs and messages are never deleted (a chat is archived, a deleted message keeps its row as
-- a tombstone), and every message is written for a dialog its transaction has just read, so the
-- foreign-key check of each message row proves nothing more. It cost a query of its own per row,
-- plus a row-lock WAL record on the dialog. Likewise the indexer makes each search entry from the
-- message row it has just joined. Dropping both checks saved ~6 % of the machine's CPU per
-- message under load (BENCHMARKS.md, "Per-row checks of messages and search entries").
ALTER TABLE messages DROP CONSTRAINT messages_dialog_id_fkey;
ALTER TABLE message_search DROP CONSTRAINT message_search_message_id_fkey;
