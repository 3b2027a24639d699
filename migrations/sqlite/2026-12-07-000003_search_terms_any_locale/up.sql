-- PostgreSQL's search terms stop depending on the database's locale here. SQLite's FTS5
-- tokenizer (`unicode61`) follows Unicode's rules already.
SELECT 1;
