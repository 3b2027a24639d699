//! Operator presence: the status each operator chose, the status last announced, and the live
//! socket connections each node holds. Writers hold the workspace lock.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{operator_presence, presence_connections};

#[derive(Debug, Clone, Queryable)]
pub struct PresenceRow {
    pub operator_id: i64,
    pub workspace_id: i64,
    pub manual_status: String,
    pub status: String,
    pub changed_at: i64,
}

pub fn find(conn: &mut DbConn, workspace_id: i64, operator_id: i64) -> QueryResult<Option<PresenceRow>> {
    operator_presence::table
        .filter(operator_presence::workspace_id.eq(workspace_id))
        .filter(operator_presence::operator_id.eq(operator_id))
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<PresenceRow>> {
    operator_presence::table
        .filter(operator_presence::workspace_id.eq(workspace_id))
        .order(operator_presence::operator_id.asc())
        .load(conn)
}

/// Writes the row, inserting it the first time.
pub fn save(conn: &mut DbConn, row: &PresenceRow) -> QueryResult<()> {
    let updated = diesel::update(operator_presence::table.find(row.operator_id))
        .set((
            operator_presence::manual_status.eq(&row.manual_status),
            operator_presence::status.eq(&row.status),
            operator_presence::changed_at.eq(row.changed_at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(operator_presence::table)
            .values((
                operator_presence::operator_id.eq(row.operator_id),
                operator_presence::workspace_id.eq(row.workspace_id),
                operator_presence::manual_status.eq(&row.manual_status),
                operator_presence::status.eq(&row.status),
                operator_presence::changed_at.eq(row.changed_at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds `delta` to this node's connection count for the operator.
pub fn add_connections(
    conn: &mut DbConn,
    node_id: &str,
    workspace_id: i64,
    operator_id: i64,
    delta: i32,
    now: i64,
) -> QueryResult<()> {
    let key = presence_connections::table.find((node_id, operator_id));
    let current: Option<i32> = key.select(presence_connections::connections).first(conn).optional()?;
    match current {
        Some(n) => {
            let n = (n + delta).max(0);
            if n == 0 {
                diesel::delete(key).execute(conn)?;
            } else {
                diesel::update(key)
                    .set((presence_connections::connections.eq(n), presence_connections::seen_at.eq(now)))
                    .execute(conn)?;
            }
        }
        None if delta > 0 => {
            diesel::insert_into(presence_connections::table)
                .values((
                    presence_connections::node_id.eq(node_id),
                    presence_connections::operator_id.eq(operator_id),
                    presence_connections::workspace_id.eq(workspace_id),
                    presence_connections::connections.eq(delta),
                    presence_connections::seen_at.eq(now),
                ))
                .execute(conn)?;
        }
        None => {}
    }
    Ok(())
}

/// Live connections of the operator on nodes heard from since `fresh_after`.
pub fn live_connections(conn: &mut DbConn, operator_id: i64, fresh_after: i64) -> QueryResult<i64> {
    presence_connections::table
        .filter(presence_connections::operator_id.eq(operator_id))
        .filter(presence_connections::seen_at.ge(fresh_after))
        .select(diesel::dsl::sum(presence_connections::connections))
        .first::<Option<i64>>(conn)
        .map(|n| n.unwrap_or(0))
}

/// The node is alive: its rows stay fresh.
pub fn touch_node(conn: &mut DbConn, node_id: &str, now: i64) -> QueryResult<usize> {
    diesel::update(presence_connections::table.filter(presence_connections::node_id.eq(node_id)))
        .set(presence_connections::seen_at.eq(now))
        .execute(conn)
}

/// Operators (with their workspace) that have rows of nodes not heard from since `before`.
pub fn stale(conn: &mut DbConn, before: i64, limit: i64) -> QueryResult<Vec<(String, i64, i64)>> {
    presence_connections::table
        .filter(presence_connections::seen_at.lt(before))
        .select((presence_connections::node_id, presence_connections::workspace_id, presence_connections::operator_id))
        .limit(limit)
        .load(conn)
}

pub fn delete_connection_row(conn: &mut DbConn, node_id: &str, operator_id: i64) -> QueryResult<usize> {
    diesel::delete(presence_connections::table.find((node_id, operator_id))).execute(conn)
}
