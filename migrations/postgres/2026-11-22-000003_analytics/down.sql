DELETE FROM events WHERE audience = 'admins';
ALTER TABLE events DROP CONSTRAINT events_audience_check;
ALTER TABLE events ADD CONSTRAINT events_audience_check CHECK (audience IN ('operators', 'visitor'));

DROP TABLE ratings;
DROP TABLE response_times;
DROP INDEX dialogs_closed;
DROP INDEX dialogs_started;
ALTER TABLE dialogs DROP COLUMN response_max_ms;
ALTER TABLE dialogs DROP COLUMN response_total_ms;
ALTER TABLE dialogs DROP COLUMN response_count;
ALTER TABLE dialogs DROP COLUMN first_response_ms;
ALTER TABLE dialogs DROP COLUMN waiting_since;
ALTER TABLE dialogs DROP COLUMN started_at;
