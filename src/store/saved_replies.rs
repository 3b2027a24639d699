use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::saved_replies;

use super::operators::{escape_like, lower};

#[derive(Debug, Clone, Queryable)]
pub struct SavedReplyRow {
    pub id: i64,
    pub workspace_id: i64,
    /// Set for personal replies; shared ones have none.
    pub owner_id: Option<i64>,
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = saved_replies)]
pub struct NewSavedReply<'a> {
    pub workspace_id: i64,
    pub owner_id: Option<i64>,
    pub shortcut: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(conn: &mut DbConn, new: &NewSavedReply<'_>) -> QueryResult<SavedReplyRow> {
    diesel::insert_into(saved_replies::table).values(new).returning(saved_replies::all_columns).get_result(conn)
}

/// A reply the operator can see: shared, or their own.
pub fn find_visible(
    conn: &mut DbConn,
    workspace_id: i64,
    operator_id: i64,
    id: i64,
) -> QueryResult<Option<SavedReplyRow>> {
    saved_replies::table
        .filter(saved_replies::id.eq(id))
        .filter(saved_replies::workspace_id.eq(workspace_id))
        .filter(saved_replies::owner_id.is_null().or(saved_replies::owner_id.eq(operator_id)))
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Shared,
    Personal,
}

pub fn list(
    conn: &mut DbConn,
    workspace_id: i64,
    operator_id: i64,
    scope: Scope,
    search: Option<&str>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<SavedReplyRow>> {
    let mut query = saved_replies::table.filter(saved_replies::workspace_id.eq(workspace_id)).into_boxed();
    query = match scope {
        Scope::All => query.filter(saved_replies::owner_id.is_null().or(saved_replies::owner_id.eq(operator_id))),
        Scope::Shared => query.filter(saved_replies::owner_id.is_null()),
        Scope::Personal => query.filter(saved_replies::owner_id.eq(operator_id)),
    };
    if let Some(s) = search {
        let pattern = format!("%{}%", escape_like(&s.to_lowercase()));
        query = query.filter(
            lower(saved_replies::shortcut)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(saved_replies::title).like(pattern.clone()).escape('\\'))
                .or(lower(saved_replies::body).like(pattern).escape('\\')),
        );
    }
    if let Some(after) = after_id {
        query = query.filter(saved_replies::id.gt(after));
    }
    query.order(saved_replies::id.asc()).limit(limit + 1).load(conn)
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = saved_replies)]
pub struct SavedReplyChanges {
    pub shortcut: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub owner_id: Option<Option<i64>>,
    pub updated_at: Option<i64>,
}

pub fn update(conn: &mut DbConn, id: i64, changes: &SavedReplyChanges) -> QueryResult<SavedReplyRow> {
    diesel::update(saved_replies::table.find(id)).set(changes).returning(saved_replies::all_columns).get_result(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(saved_replies::table.find(id)).execute(conn)?;
    Ok(())
}
