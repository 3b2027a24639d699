-- The full-text entry of a message is made behind the group-commit writer: a message's insert
-- only queues its id (one B-tree entry), and the search indexer moves queued messages into
-- `message_search` in batches of its own. Searches read both, so a message is found from the
-- moment it commits. Computing the terms and the GIN insert were ~20 % of a batch of visitor
-- messages.
CREATE TABLE message_search (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL,
    dialog_id BIGINT NOT NULL,
    terms TSVECTOR NOT NULL
);
CREATE INDEX message_search_terms ON message_search USING GIN (terms);

-- Messages not yet in `message_search`. No foreign key: the indexer skips ids whose message is
-- gone, and a check here would be a query per queued row in the writer's transaction.
CREATE TABLE message_search_pending (message_id BIGINT PRIMARY KEY);

CREATE FUNCTION message_search_queue_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_search_pending (message_id) SELECT id FROM new_messages;
    RETURN NULL;
END $$;

-- A changed text (a deletion empties it) is indexed again.
CREATE FUNCTION message_search_queue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM message_search s USING new_messages n, old_messages o
        WHERE s.message_id = n.id AND o.id = n.id AND n.body IS DISTINCT FROM o.body;
    INSERT INTO message_search_pending (message_id)
        SELECT n.id FROM new_messages n JOIN old_messages o ON o.id = n.id
        WHERE n.body IS DISTINCT FROM o.body
        ON CONFLICT (message_id) DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION message_search_queue_new();
-- (A trigger with transition tables cannot name columns, hence the comparison in the function.)
CREATE TRIGGER messages_search_update AFTER UPDATE ON messages
    REFERENCING OLD TABLE AS old_messages NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION message_search_queue_changed();

INSERT INTO message_search (message_id, workspace_id, dialog_id, terms)
SELECT id, workspace_id, dialog_id, to_tsvector('simple', regexp_replace(body, '[^[:alnum:]]+', ' ', 'g'))
FROM messages;

DROP INDEX messages_search;
