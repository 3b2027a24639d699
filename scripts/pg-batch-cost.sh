#!/usr/bin/env bash
# What one group-commit batch of 100 plain visitor messages costs PostgreSQL, statement by
# statement, without livedesk or HTTP in the way: the batch's statements (workspace lock,
# multi-row message insert, dialog update, event insert, commit) replayed by pgbench on one
# connection, as the writer does, against the real schema.
#
# Usage: scripts/pg-batch-cost.sh DATABASE [VARIANT_SQL]
#   DATABASE     a database of yours that this script creates (it must not exist yet)
#   VARIANT_SQL  optional SQL run after the migrations, e.g. to try other indexes:
#                "DROP INDEX messages_search"
# Needs a built livedesk binary (LIVEDESK, default target/debug/livedesk) for the migrations.
set -euo pipefail
db=$1 variant=${2:-}
pg="-h ${PGHOST:-127.0.0.1} -U ${PGUSER:-postgres}"
createdb $pg "$db"
"${LIVEDESK:-target/debug/livedesk}" --database-url "postgres://${PGUSER:-postgres}@${PGHOST:-127.0.0.1}/$db?sslmode=disable" migrate >/dev/null
psql $pg -q "$db" <<'SQL'
INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES (1, 'w', 'w', 0, 0);
INSERT INTO chats (id, workspace_id, name, public_key, settings, created_at, updated_at) VALUES (1, 1, 'c', 'k', '{}', 0, 0);
INSERT INTO visitors (id, workspace_id, chat_id, created_at, updated_at, last_seen_at)
  SELECT g, 1, 1, 0, 0, 0 FROM generate_series(1, 200) g;
INSERT INTO dialogs (id, workspace_id, session_id, chat_id, visitor_id, channel, status, created_at, updated_at,
                     last_activity_at, started_at)
  SELECT g, 1, 's' || g, 1, g, 'web', 'open', 0, 0, 0, 0 FROM generate_series(1, 200) g;
CREATE SEQUENCE bench_position;
SQL
[ -n "$variant" ] && echo "$variant" | psql $pg -q "$db"
batch=$(mktemp)
cat > "$batch" <<'SQL'
\set base random(0, 100)
BEGIN;
SELECT id FROM workspaces WHERE id = 1 FOR UPDATE;
INSERT INTO messages (workspace_id, dialog_id, kind, author_type, author_id, channel, body, client_id, created_at) SELECT 1, :base + g, 'message', 'visitor', :base + g, 'web', 'Hello, I have a question about my order number ' || g || ' placed yesterday', 'c' || nextval('bench_position'), (extract(epoch FROM now()) * 1000)::bigint FROM generate_series(1, 100) g;
UPDATE dialogs SET message_count = message_count + 1, visitor_message_count = visitor_message_count + 1, last_message_id = 1, visitor_last_read_id = 1, last_visitor_message_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint, updated_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint, last_activity_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint WHERE id BETWEEN :base + 1 AND :base + 100;
INSERT INTO events (workspace_id, position, event_type, dialog_id, visitor_id, audience, payload, created_at) SELECT 1, nextval('bench_position'), 'message.created', :base + g, :base + g, 'visitor', repeat('{"dialog":{"id":1,"status":"open"},"message":{"id":2,"body":"x"}}', 14), 0 FROM generate_series(1, 100) g;
COMMIT;
SQL
pgbench $pg -n -c 1 -t "${TRANSACTIONS:-200}" -r -f "$batch" "$db" | grep -E 'latency average|^ +[0-9.]+ +[0-9]+ +[A-Z]'
rm -f "$batch"
