CREATE INDEX messages_search ON messages
    USING GIN (to_tsvector('simple', regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')));
DROP TRIGGER messages_search_update ON messages;
DROP TRIGGER messages_search_insert ON messages;
DROP FUNCTION message_search_queue_changed();
DROP FUNCTION message_search_queue_new();
DROP TABLE message_search_pending;
DROP TABLE message_search;
