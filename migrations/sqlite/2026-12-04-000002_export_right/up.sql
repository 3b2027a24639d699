-- A super admin can take away an admin's right to download exports (operators never export).
ALTER TABLE operators ADD COLUMN exports_allowed BOOLEAN NOT NULL DEFAULT TRUE;
