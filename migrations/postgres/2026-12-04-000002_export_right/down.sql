ALTER TABLE operators DROP COLUMN exports_allowed;
