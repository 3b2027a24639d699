//! The event log: gap-free positions per workspace. Every writer of events holds the workspace
//! lock (`db::lock_workspace`) for its whole transaction and takes the next position after the
//! newest one, so position order equals commit order: a reader never sees a later position
//! become visible before an earlier one.
//!
//! Inside a group-commit batch, appends are kept in the batch memo and written with a few
//! multi-row inserts just before the batch commits (see [`super::batch`]).

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::events;

/// An event; `(workspace_id, position)` is its identity.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub workspace_id: i64,
    pub position: i64,
    pub event_type: String,
    pub dialog_id: Option<i64>,
    pub visitor_id: Option<i64>,
    pub audience: String,
    pub payload: String,
    pub created_at: i64,
}

/// Rows per multi-row insert: well below both backends' limits on bound parameters.
const ROWS_PER_INSERT: usize = 500;

/// The next position of the workspace's log; the caller holds the workspace lock.
pub fn next_position(conn: &mut DbConn, workspace_id: i64) -> QueryResult<i64> {
    match super::batch::event_head(workspace_id) {
        Some(head) => Ok(head + 1),
        None => head(conn, workspace_id).map(|p| p + 1),
    }
}

/// Appends `row` to the log: at once, or with the batch when the group-commit writer runs it.
pub fn append(conn: &mut DbConn, row: EventRow) -> QueryResult<EventRow> {
    if super::batch::defer_event(&row) {
        return Ok(row);
    }
    crate::typed!(conn => {
        diesel::insert_into(events::table)
            .values((
                events::workspace_id.eq(row.workspace_id),
                events::position.eq(row.position),
                events::event_type.eq(&row.event_type),
                events::dialog_id.eq(row.dialog_id),
                events::visitor_id.eq(row.visitor_id),
                events::audience.eq(&row.audience),
                events::payload.eq(&row.payload),
                events::created_at.eq(row.created_at),
            ))
            .execute(conn)
    })?;
    Ok(row)
}

/// Writes events with as few statements as the parameter limits allow.
pub fn insert_many(conn: &mut DbConn, rows: &[EventRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if let DbConn::Postgres(pg) = conn {
        return insert_many_pg(pg, rows);
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let values: Vec<_> = chunk
            .iter()
            .map(|e| {
                (
                    events::workspace_id.eq(e.workspace_id),
                    events::position.eq(e.position),
                    events::event_type.eq(&e.event_type),
                    events::dialog_id.eq(e.dialog_id),
                    events::visitor_id.eq(e.visitor_id),
                    events::audience.eq(&e.audience),
                    events::payload.eq(&e.payload),
                    events::created_at.eq(e.created_at),
                )
            })
            .collect();
        crate::typed!(conn => { diesel::insert_into(events::table).values(&values).execute(conn) })?;
    }
    Ok(())
}

/// [`insert_many`] on PostgreSQL, with one statement that stays prepared.
fn insert_many_pg(conn: &mut diesel::PgConnection, rows: &[EventRow]) -> QueryResult<()> {
    super::pg_arrays::ArraySql::default()
        .sql(
            "INSERT INTO events (workspace_id, position, event_type, dialog_id, visitor_id, audience, payload, \
             created_at) SELECT * FROM unnest(",
        )
        .bigints(rows.iter().map(|e| e.workspace_id).collect())
        .bigints(rows.iter().map(|e| e.position).collect())
        .texts(rows.iter().map(|e| e.event_type.as_str()).collect())
        .optional_bigints(rows.iter().map(|e| e.dialog_id).collect())
        .optional_bigints(rows.iter().map(|e| e.visitor_id).collect())
        .texts(rows.iter().map(|e| e.audience.as_str()).collect())
        .texts(rows.iter().map(|e| e.payload.as_str()).collect())
        .bigints(rows.iter().map(|e| e.created_at).collect())
        .sql(")")
        .execute(conn)
        .map(|_| ())
}

/// Events of the workspace after `position`, oldest first.
pub fn since(conn: &mut DbConn, workspace_id: i64, position: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::workspace_id.eq(workspace_id))
        .filter(events::position.gt(position))
        .order(events::position.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}

/// Events a visitor may see after `position`, oldest first. This reads the workspace's log in
/// position order (there is no per-visitor index: it would cost every event an entry on a page
/// of its own), so callers keep `position` within a window of the head.
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
        .select(EventRow::as_select())
        .load(conn)
}

/// The newest position of a workspace's log (0 when it is empty).
pub fn head(conn: &mut DbConn, workspace_id: i64) -> QueryResult<i64> {
    let head = crate::typed!(conn => {
        events::table
            .filter(events::workspace_id.eq(workspace_id))
            .select(diesel::dsl::max(events::position))
            .first::<Option<i64>>(conn)
            .map(|p| p.unwrap_or(0))
    })?;
    super::batch::set_event_head(workspace_id, head);
    Ok(head)
}

/// The oldest position still in a workspace's log (0 when it is empty).
pub fn oldest(conn: &mut DbConn, workspace_id: i64) -> QueryResult<i64> {
    events::table
        .filter(events::workspace_id.eq(workspace_id))
        .select(diesel::dsl::min(events::position))
        .first::<Option<i64>>(conn)
        .map(|p| p.unwrap_or(0))
}

/// Deletes up to `limit` events created before `before`, keeping each workspace's newest.
pub fn prune(conn: &mut DbConn, before: i64, limit: i64) -> QueryResult<usize> {
    let doomed: Vec<i64> = events::table
        .filter(events::created_at.lt(before))
        .select(events::id)
        .order(events::id.asc())
        .limit(limit)
        .load(conn)?;
    if doomed.is_empty() {
        return Ok(0);
    }
    let newest = diesel::alias!(events as newest);
    let keep: Vec<i64> = events::table
        .filter(events::id.eq_any(&doomed))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            newest
                .filter(newest.field(events::workspace_id).eq(events::workspace_id))
                .filter(newest.field(events::position).gt(events::position)),
        )))
        .select(events::id)
        .load(conn)?;
    let delete: Vec<i64> = doomed.into_iter().filter(|id| !keep.contains(id)).collect();
    diesel::delete(events::table.filter(events::id.eq_any(&delete))).execute(conn)
}
