DROP INDEX events_created;
DROP TABLE presence_connections;
DROP TABLE operator_presence;
DROP TABLE notification_preferences;
