//! The event log: gap-free positions per workspace. Every writer of events holds the workspace
//! lock (`db::lock_workspace`) for its whole transaction and takes the next position after the
//! newest one, so position order equals commit order: a reader never sees a later position
//! become visible before an earlier one.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::events;

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub workspace_id: i64,
    pub position: i64,
    pub event_type: String,
    pub dialog_id: Option<i64>,
    pub visitor_id: Option<i64>,
    pub audience: String,
    pub payload: String,
    pub created_at: i64,
}

/// The next position of the workspace's log; the caller holds the workspace lock.
pub fn next_position(conn: &mut DbConn, workspace_id: i64) -> QueryResult<i64> {
    head(conn, workspace_id).map(|p| p + 1)
}

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConn,
    workspace_id: i64,
    position: i64,
    event_type: &str,
    dialog_id: Option<i64>,
    visitor_id: Option<i64>,
    audience: &str,
    payload: &str,
    now: i64,
) -> QueryResult<EventRow> {
    crate::typed!(conn => {
        diesel::insert_into(events::table)
            .values((
                events::workspace_id.eq(workspace_id),
                events::position.eq(position),
                events::event_type.eq(event_type),
                events::dialog_id.eq(dialog_id),
                events::visitor_id.eq(visitor_id),
                events::audience.eq(audience),
                events::payload.eq(payload),
                events::created_at.eq(now),
            ))
            .returning(events::all_columns)
            .get_result(conn)
    })
}

/// Events of the workspace after `position`, oldest first. Events for admins only are left
/// out unless `include_admins` (the reader is an admin).
pub fn since(
    conn: &mut DbConn,
    workspace_id: i64,
    position: i64,
    include_admins: bool,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut query = events::table.filter(events::workspace_id.eq(workspace_id)).into_boxed();
    if !include_admins {
        query = query.filter(events::audience.ne("admins"));
    }
    query.filter(events::position.gt(position)).order(events::position.asc()).limit(limit).load(conn)
}

/// Events a visitor may see after `position`, oldest first.
pub fn since_for_visitor(
    conn: &mut DbConn,
    workspace_id: i64,
    visitor_id: i64,
    position: i64,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::visitor_id.eq(visitor_id))
        .filter(events::workspace_id.eq(workspace_id))
        .filter(events::audience.eq("visitor"))
        .filter(events::position.gt(position))
        .order(events::position.asc())
        .limit(limit)
        .load(conn)
}

/// The newest position of a workspace's log (0 when it is empty).
pub fn head(conn: &mut DbConn, workspace_id: i64) -> QueryResult<i64> {
    crate::typed!(conn => {
        events::table
            .filter(events::workspace_id.eq(workspace_id))
            .select(diesel::dsl::max(events::position))
            .first::<Option<i64>>(conn)
            .map(|p| p.unwrap_or(0))
    })
}
