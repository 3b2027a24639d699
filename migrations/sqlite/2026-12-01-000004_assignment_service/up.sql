-- A queued dialog of a chat with an external assignment service waits for the service's
-- answer until this time (the offer is sent when it has passed; sending moves it past the
-- request's timeout, so an offer lost in a restart is sent again).
ALTER TABLE dialogs ADD COLUMN offer_due_at INTEGER;
CREATE INDEX dialogs_offer_due ON dialogs (offer_due_at, id) WHERE offer_due_at IS NOT NULL;
