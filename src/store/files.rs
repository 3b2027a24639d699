use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::files;

pub const KIND_ATTACHMENT: &str = "attachment";
pub const KIND_AVATAR: &str = "avatar";

#[derive(Debug, Clone, Queryable)]
pub struct FileRow {
    pub id: String,
    pub workspace_id: i64,
    pub kind: String,
    pub storage_key: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploader_type: String,
    pub uploader_id: i64,
    pub message_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = files)]
pub struct NewFile<'a> {
    pub id: &'a str,
    pub workspace_id: i64,
    pub kind: &'a str,
    pub storage_key: &'a str,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub uploader_type: &'a str,
    pub uploader_id: i64,
    pub created_at: i64,
}

pub fn insert(conn: &mut DbConn, new: &NewFile<'_>) -> QueryResult<FileRow> {
    diesel::insert_into(files::table).values(new).returning(files::all_columns).get_result(conn)
}

pub fn find(conn: &mut DbConn, workspace_id: i64, id: &str) -> QueryResult<Option<FileRow>> {
    files::table.filter(files::id.eq(id)).filter(files::workspace_id.eq(workspace_id)).first(conn).optional()
}

/// An avatar by id alone: avatars are public.
pub fn find_avatar(conn: &mut DbConn, id: &str) -> QueryResult<Option<FileRow>> {
    files::table.filter(files::id.eq(id)).filter(files::kind.eq(KIND_AVATAR)).first(conn).optional()
}

/// Of `ids`, the attachments this uploader sent and has not attached to a message yet.
pub fn unattached(
    conn: &mut DbConn,
    workspace_id: i64,
    uploader_type: &str,
    uploader_id: i64,
    ids: &[String],
) -> QueryResult<Vec<FileRow>> {
    files::table
        .filter(files::workspace_id.eq(workspace_id))
        .filter(files::id.eq_any(ids))
        .filter(files::kind.eq(KIND_ATTACHMENT))
        .filter(files::uploader_type.eq(uploader_type))
        .filter(files::uploader_id.eq(uploader_id))
        .filter(files::message_id.is_null())
        .load(conn)
}

/// Links still unattached files to a message; returns how many it linked.
pub fn attach(conn: &mut DbConn, ids: &[String], message_id: i64) -> QueryResult<usize> {
    diesel::update(files::table.filter(files::id.eq_any(ids)).filter(files::message_id.is_null()))
        .set(files::message_id.eq(message_id))
        .execute(conn)
}

/// Attachments of these messages, in upload order.
pub fn of_messages(conn: &mut DbConn, message_ids: &[i64]) -> QueryResult<Vec<FileRow>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    files::table
        .filter(files::message_id.eq_any(message_ids))
        .order((files::created_at.asc(), files::id.asc()))
        .load(conn)
}

pub fn delete(conn: &mut DbConn, workspace_id: i64, id: &str) -> QueryResult<usize> {
    diesel::delete(files::table.filter(files::id.eq(id)).filter(files::workspace_id.eq(workspace_id))).execute(conn)
}
