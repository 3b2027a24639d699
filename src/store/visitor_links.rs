//! Keeps the visitor links of `domain::visitor_links` current: the only writer of the link
//! columns of `dialogs` and of what they count in the roll-ups. A visitor's links are
//! recomputed from all of their dialogs (read through `dialogs_visitor`) when one of them
//! started, closed or reopened; only links that changed are written.

use std::collections::{BTreeSet, HashMap};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::dialogs;
use crate::domain::rollups::Pending;
use crate::domain::visitor_links::{self, LinkedDialog, Links};

/// Visitors per query.
const VISITORS_PER_QUERY: usize = 500;

type LinkRow = (
    i64,
    i64,
    i64,
    i64,
    String,
    String,
    Option<i64>,
    Option<i64>,
    (Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>),
);

fn load(conn: &mut DbConn, visitor_ids: &[i64]) -> QueryResult<Vec<LinkedDialog>> {
    let rows: Vec<LinkRow> = crate::typed!(conn => {
        dialogs::table
            .filter(dialogs::visitor_id.eq_any(visitor_ids))
            .select((
                dialogs::id,
                dialogs::workspace_id,
                dialogs::chat_id,
                dialogs::visitor_id,
                dialogs::channel,
                dialogs::status,
                dialogs::started_at,
                dialogs::closed_at,
                (
                    dialogs::prev_started_at,
                    dialogs::prev_channel_started_at,
                    dialogs::prev_closed_at,
                    dialogs::prev_channel_closed_at,
                    dialogs::linked_closed_at,
                ),
            ))
            .load(conn)
    })?;
    Ok(rows
        .into_iter()
        .map(|(id, workspace_id, chat_id, visitor_id, channel, status, started_at, closed_at, l)| LinkedDialog {
            id,
            workspace_id,
            chat_id,
            visitor_id,
            channel,
            closed_at: if status == crate::store::dialogs::CLOSED { closed_at } else { None },
            started_at,
            stored: Links {
                prev_started_at: l.0,
                prev_channel_started_at: l.1,
                prev_closed_at: l.2,
                prev_channel_closed_at: l.3,
                linked_closed_at: l.4,
            },
        })
        .collect())
}

/// Brings the links of these `(workspace, visitor)` up to date; returns the roll-up changes.
pub fn relink(conn: &mut DbConn, visitors: &BTreeSet<(i64, i64)>) -> QueryResult<Pending> {
    let mut pending = Pending::default();
    let ids: Vec<i64> = visitors.iter().map(|(_, v)| *v).collect();
    for chunk in ids.chunks(VISITORS_PER_QUERY) {
        let mut by_visitor: HashMap<i64, Vec<LinkedDialog>> = HashMap::new();
        for d in load(conn, chunk)? {
            if visitors.contains(&(d.workspace_id, d.visitor_id)) {
                by_visitor.entry(d.visitor_id).or_default().push(d);
            }
        }
        for dialogs in by_visitor.values() {
            let desired = visitor_links::desired(dialogs);
            for d in dialogs {
                let want = desired[&d.id];
                if want == d.stored {
                    continue;
                }
                pending.add_links(d.workspace_id, d.chat_id, &d.channel, d.started_at, &d.stored, -1);
                pending.add_links(d.workspace_id, d.chat_id, &d.channel, d.started_at, &want, 1);
                write(conn, d.id, &want)?;
            }
        }
    }
    pending.drop_zeros();
    Ok(pending)
}

fn write(conn: &mut DbConn, id: i64, l: &Links) -> QueryResult<()> {
    crate::typed!(conn => {
        diesel::update(dialogs::table.find(id))
            .set((
                dialogs::prev_started_at.eq(l.prev_started_at),
                dialogs::prev_channel_started_at.eq(l.prev_channel_started_at),
                dialogs::prev_closed_at.eq(l.prev_closed_at),
                dialogs::prev_channel_closed_at.eq(l.prev_channel_closed_at),
                dialogs::linked_closed_at.eq(l.linked_closed_at),
            ))
            .execute(conn)
    })?;
    Ok(())
}

/// Sets the links of every dialog of a workspace in a few statements (the migration does the
/// same for all workspaces); the roll-ups are built afterwards from the stored links. The
/// window results go through a keyed table: joining the window query directly makes SQLite
/// scan it once per dialog.
pub fn set_all(conn: &mut DbConn, workspace_id: i64) -> QueryResult<()> {
    let fill = |time: &str, filter: &str| {
        format!(
            "DELETE FROM dialog_links; \
             INSERT INTO dialog_links (id, prev, prev_channel, at) SELECT id, \
               COALESCE(LAG({time}) OVER (PARTITION BY visitor_id ORDER BY {time}, id), -1), \
               COALESCE(LAG({time}) OVER (PARTITION BY visitor_id, channel ORDER BY {time}, id), -1), {time} \
             FROM dialogs WHERE workspace_id = {workspace_id} AND {filter};"
        )
    };
    conn.batch_execute(&format!(
        "CREATE TEMPORARY TABLE IF NOT EXISTS dialog_links (id BIGINT PRIMARY KEY, prev BIGINT, prev_channel BIGINT, at BIGINT); \
         {} \
         UPDATE dialogs SET prev_started_at = l.prev, prev_channel_started_at = l.prev_channel \
         FROM dialog_links AS l WHERE dialogs.id = l.id; \
         {} \
         UPDATE dialogs SET prev_closed_at = l.prev, prev_channel_closed_at = l.prev_channel, linked_closed_at = l.at \
         FROM dialog_links AS l WHERE dialogs.id = l.id; \
         DROP TABLE dialog_links;",
        fill("started_at", "started_at IS NOT NULL"),
        fill("closed_at", "status = 'closed' AND closed_at IS NOT NULL"),
    ))
}
