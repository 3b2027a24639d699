ALTER TABLE visitors DROP COLUMN avatar_url;
DROP TABLE files;
