-- Distinct visitors over long periods: counted starts (moment 0) and closes (1) per UTC day
-- (span 0) or UTC calendar month (span 1), by the UTC day of their link (-1: no link). The
-- visitors of [from, to) are the dialogs there whose link lies before `from`: whole days and
-- months read these rows, and only links on the UTC day of `from` itself need the dialogs.
CREATE TABLE visitor_link_rollups (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    moment INTEGER NOT NULL,
    span INTEGER NOT NULL,
    period BIGINT NOT NULL,
    link_day BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, chat_id, channel, moment, span, period, link_day)
);

-- Reviews newest first: walks the reviews alone in id order instead of sorting a period's
-- rating requests.
CREATE INDEX ratings_reviews ON ratings (workspace_id, id) WHERE review IS NOT NULL;

-- Roll-ups of existing workspaces are rebuilt at the next start.
INSERT INTO stats_rollup_backfill (workspace_id)
SELECT id FROM workspaces WHERE id NOT IN (SELECT workspace_id FROM stats_rollup_backfill);
