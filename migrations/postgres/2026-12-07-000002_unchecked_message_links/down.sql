ALTER TABLE messages ADD CONSTRAINT messages_dialog_id_fkey
    FOREIGN KEY (dialog_id) REFERENCES dialogs (id) ON DELETE CASCADE;
ALTER TABLE message_search ADD CONSTRAINT message_search_message_id_fkey
    FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE;
