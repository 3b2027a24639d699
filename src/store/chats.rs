use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::chats;

use super::operators::{escape_like, lower};

#[derive(Debug, Clone, Queryable)]
pub struct ChatRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub public_key: String,
    pub settings: String,
    pub archived_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(
    conn: &mut DbConn,
    workspace_id: i64,
    name: &str,
    public_key: &str,
    settings: &str,
    now: i64,
) -> QueryResult<ChatRow> {
    diesel::insert_into(chats::table)
        .values((
            chats::workspace_id.eq(workspace_id),
            chats::name.eq(name),
            chats::public_key.eq(public_key),
            chats::settings.eq(settings),
            chats::created_at.eq(now),
            chats::updated_at.eq(now),
        ))
        .returning(chats::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Option<ChatRow>> {
    if let Some(row) = super::batch::chat(workspace_id, id) {
        return Ok(row);
    }
    let row = crate::typed!(conn => {
        chats::table.filter(chats::id.eq(id)).filter(chats::workspace_id.eq(workspace_id)).first(conn).optional()
    })?;
    super::batch::remember_chat(workspace_id, id, &row);
    Ok(row)
}

pub fn find_by_public_key(conn: &mut DbConn, public_key: &str) -> QueryResult<Option<ChatRow>> {
    crate::typed!(conn => {
        chats::table.filter(chats::public_key.eq(public_key)).first(conn).optional()
    })
}

pub fn find_many(conn: &mut DbConn, workspace_id: i64, ids: &[i64]) -> QueryResult<Vec<ChatRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    chats::table.filter(chats::workspace_id.eq(workspace_id)).filter(chats::id.eq_any(ids)).load(conn)
}

pub fn list(
    conn: &mut DbConn,
    workspace_id: i64,
    search: Option<&str>,
    include_archived: bool,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ChatRow>> {
    let mut query = chats::table.filter(chats::workspace_id.eq(workspace_id)).into_boxed();
    if !include_archived {
        query = query.filter(chats::archived_at.is_null());
    }
    if let Some(s) = search {
        query = query.filter(lower(chats::name).like(format!("%{}%", escape_like(&s.to_lowercase()))).escape('\\'));
    }
    if let Some(after) = after_id {
        query = query.filter(chats::id.gt(after));
    }
    query.order(chats::id.asc()).limit(limit + 1).load(conn)
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = chats)]
pub struct ChatChanges {
    pub name: Option<String>,
    pub settings: Option<String>,
    pub archived_at: Option<Option<i64>>,
    pub updated_at: Option<i64>,
}

pub fn update(conn: &mut DbConn, workspace_id: i64, id: i64, changes: &ChatChanges) -> QueryResult<ChatRow> {
    diesel::update(chats::table.filter(chats::id.eq(id)).filter(chats::workspace_id.eq(workspace_id)))
        .set(changes)
        .returning(chats::all_columns)
        .get_result(conn)
}

/// Ids of the workspace's chats that are not archived.
pub fn active_ids(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<i64>> {
    chats::table
        .filter(chats::workspace_id.eq(workspace_id))
        .filter(chats::archived_at.is_null())
        .select(chats::id)
        .order(chats::id.asc())
        .load(conn)
}
