-- Exact distinct-visitor counts without DISTINCT: each started (closed) dialog links to the
-- previous start (close) of the same visitor, over all channels and within its channel.
-- NULL: not counted (not started, not closed); -1: the visitor's first. Distinct visitors who
-- started in [from, to) are then the dialogs started there whose link is before `from`.
-- linked_closed_at is the close time the close links were counted at (a dialog can be
-- reopened and closed again).
ALTER TABLE dialogs ADD COLUMN prev_started_at BIGINT;
ALTER TABLE dialogs ADD COLUMN prev_channel_started_at BIGINT;
ALTER TABLE dialogs ADD COLUMN prev_closed_at BIGINT;
ALTER TABLE dialogs ADD COLUMN prev_channel_closed_at BIGINT;
ALTER TABLE dialogs ADD COLUMN linked_closed_at BIGINT;

-- Computed into a keyed table first: joining the window query directly makes SQLite scan it
-- once per dialog.
CREATE TEMPORARY TABLE dialog_links (id BIGINT PRIMARY KEY, prev BIGINT, prev_channel BIGINT, at BIGINT);
INSERT INTO dialog_links (id, prev, prev_channel, at)
SELECT id,
    COALESCE(LAG(started_at) OVER (PARTITION BY visitor_id ORDER BY started_at, id), -1),
    COALESCE(LAG(started_at) OVER (PARTITION BY visitor_id, channel ORDER BY started_at, id), -1),
    started_at
FROM dialogs WHERE started_at IS NOT NULL;
UPDATE dialogs SET prev_started_at = l.prev, prev_channel_started_at = l.prev_channel
FROM dialog_links AS l WHERE dialogs.id = l.id;
DELETE FROM dialog_links;
INSERT INTO dialog_links (id, prev, prev_channel, at)
SELECT id,
    COALESCE(LAG(closed_at) OVER (PARTITION BY visitor_id ORDER BY closed_at, id), -1),
    COALESCE(LAG(closed_at) OVER (PARTITION BY visitor_id, channel ORDER BY closed_at, id), -1),
    closed_at
FROM dialogs WHERE status = 'closed' AND closed_at IS NOT NULL;
UPDATE dialogs SET prev_closed_at = l.prev, prev_channel_closed_at = l.prev_channel, linked_closed_at = l.at
FROM dialog_links AS l WHERE dialogs.id = l.id;
DROP TABLE dialog_links;

-- Covering indexes of the period totals (and of the direct queries they replace).
DROP INDEX dialogs_started;
DROP INDEX dialogs_closed;
CREATE INDEX dialogs_started ON dialogs
    (workspace_id, started_at, prev_started_at, prev_channel_started_at, chat_id, channel, visitor_id);
CREATE INDEX dialogs_closed ON dialogs
    (workspace_id, closed_at, prev_closed_at, prev_channel_closed_at, chat_id, channel, status, visitor_id);

-- Starts and closes counted per 15-minute bucket (span 0 rows): `*_fresh` have no link or one
-- more than 100 buckets (25 hours) back, so they count on whichever local day holds them.
ALTER TABLE stats_rollups ADD COLUMN started_fresh BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_rollups ADD COLUMN closed_fresh BIGINT NOT NULL DEFAULT 0;

-- The others by the gap to their link in buckets (0-100); the position of the bucket in its
-- local day decides whether the dialog is the visitor's first of that day. moment 0: start,
-- 1: close.
CREATE TABLE visitor_gap_rollups (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    moment INTEGER NOT NULL,
    gap INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, chat_id, channel, bucket, moment, gap)
);

-- Answered waits per UTC calendar month (months since 1970-01), kept with the day rows:
-- long periods read months and only their edge days.
CREATE TABLE response_month_rollups (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    operator_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    waits BYTEA NOT NULL,
    PRIMARY KEY (workspace_id, chat_id, channel, operator_id, month)
);

-- Roll-ups of existing workspaces are rebuilt at the next start.
INSERT INTO stats_rollup_backfill (workspace_id)
SELECT id FROM workspaces WHERE id NOT IN (SELECT workspace_id FROM stats_rollup_backfill);
