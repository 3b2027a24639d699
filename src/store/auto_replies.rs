//! The workspace's auto-reply schedules. A workspace has a handful, so matching loads them all
//! (through `auto_replies_workspace`) and decides in memory.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::auto_replies;

#[derive(Debug, Clone, Queryable)]
pub struct AutoReplyRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub body: String,
    pub any_time: bool,
    /// ISO weekday numbers (1 = Monday), comma-separated.
    pub weekdays: String,
    /// JSON array of `{"from": "HH:MM", "to": "HH:MM"}`.
    pub time_ranges: String,
    pub time_zone: String,
    pub delay_secs: i32,
    pub ask_for: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = auto_replies)]
pub struct AutoReplyFields {
    pub name: String,
    pub body: String,
    pub any_time: bool,
    pub weekdays: String,
    pub time_ranges: String,
    pub time_zone: String,
    pub delay_secs: i32,
    pub ask_for: String,
    pub enabled: bool,
    pub updated_at: i64,
}

/// Most auto-replies per workspace.
pub const MAX_PER_WORKSPACE: i64 = 100;

pub fn insert(conn: &mut DbConn, workspace_id: i64, fields: &AutoReplyFields, now: i64) -> QueryResult<AutoReplyRow> {
    crate::typed!(conn => {
        diesel::insert_into(auto_replies::table)
            .values((fields, auto_replies::workspace_id.eq(workspace_id), auto_replies::created_at.eq(now)))
            .returning(auto_replies::all_columns)
            .get_result(conn)
    })
}

pub fn find(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Option<AutoReplyRow>> {
    crate::typed!(conn => {
        auto_replies::table
            .filter(auto_replies::id.eq(id))
            .filter(auto_replies::workspace_id.eq(workspace_id))
            .first(conn)
            .optional()
    })
}

/// All of the workspace's auto-replies, oldest first (bounded by [`MAX_PER_WORKSPACE`]).
pub fn list(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<AutoReplyRow>> {
    crate::typed!(conn => {
        auto_replies::table
            .filter(auto_replies::workspace_id.eq(workspace_id))
            .order(auto_replies::id.asc())
            .limit(MAX_PER_WORKSPACE)
            .load(conn)
    })
}

pub fn count(conn: &mut DbConn, workspace_id: i64) -> QueryResult<i64> {
    crate::typed!(conn => {
        auto_replies::table.filter(auto_replies::workspace_id.eq(workspace_id)).count().get_result(conn)
    })
}

pub fn update(conn: &mut DbConn, id: i64, fields: &AutoReplyFields) -> QueryResult<AutoReplyRow> {
    crate::typed!(conn => {
        diesel::update(auto_replies::table.find(id)).set(fields).returning(auto_replies::all_columns).get_result(conn)
    })
}

pub fn delete(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<usize> {
    crate::typed!(conn => {
        diesel::delete(
            auto_replies::table.filter(auto_replies::id.eq(id)).filter(auto_replies::workspace_id.eq(workspace_id)),
        )
        .execute(conn)
    })
}
