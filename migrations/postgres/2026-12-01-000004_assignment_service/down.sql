DROP INDEX dialogs_offer_due;
ALTER TABLE dialogs DROP COLUMN offer_due_at;
