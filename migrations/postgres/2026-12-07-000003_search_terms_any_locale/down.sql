UPDATE message_search s
SET terms = to_tsvector('simple', regexp_replace(m.body, '[^[:alnum:]]+', ' ', 'g'))
FROM messages m
WHERE m.id = s.message_id;
