DROP TABLE api_keys;
DROP TABLE operator_tokens;
DROP TABLE refresh_tokens;
DROP TABLE auth_sessions;
DROP TABLE operators;
DROP TABLE workspaces;
