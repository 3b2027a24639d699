-- Search terms follow ICU's Unicode rules instead of the database's locale. In a database created
-- with the `C` locale, `[:alnum:]` and `lower` know only ASCII, so the earlier expression dropped
-- Cyrillic and accented words and no search found them. The entries already made are made again
-- with the expression the indexer and searches now use (`store::message_search::TERMS_OF_M`).
UPDATE message_search s
SET terms = to_tsvector('simple', lower(regexp_replace(m.body COLLATE "und-x-icu", '[^[:alnum:]]+', ' ', 'g')))
FROM messages m
WHERE m.id = s.message_id;
