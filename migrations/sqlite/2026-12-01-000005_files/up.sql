-- Uploaded files: message attachments and avatars. `id` is random and unguessable (avatars are
-- served by it without credentials); `storage_key` names the bytes in the file storage.
-- `message_id` is set once an attachment is sent with a message and never changes after.
CREATE TABLE files (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploader_type TEXT NOT NULL,
    uploader_id BIGINT NOT NULL,
    message_id BIGINT REFERENCES messages(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX files_message ON files (message_id);
CREATE INDEX files_uploader ON files (workspace_id, uploader_type, uploader_id);

ALTER TABLE visitors ADD COLUMN avatar_url TEXT;
