CREATE INDEX events_visitor ON events (visitor_id, position) WHERE visitor_id IS NOT NULL;
