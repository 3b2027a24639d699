use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{dialog_tags, tags};

use super::operators::{escape_like, lower};

#[derive(Debug, Clone, Queryable)]
pub struct TagRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub name_normalized: String,
    pub color: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn normalize(name: &str) -> String {
    name.trim().to_lowercase()
}

pub fn insert(conn: &mut DbConn, workspace_id: i64, name: &str, color: &str, now: i64) -> QueryResult<TagRow> {
    diesel::insert_into(tags::table)
        .values((
            tags::workspace_id.eq(workspace_id),
            tags::name.eq(name),
            tags::name_normalized.eq(normalize(name)),
            tags::color.eq(color),
            tags::created_at.eq(now),
            tags::updated_at.eq(now),
        ))
        .returning(tags::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Option<TagRow>> {
    tags::table.filter(tags::id.eq(id)).filter(tags::workspace_id.eq(workspace_id)).first(conn).optional()
}

pub fn name_taken(conn: &mut DbConn, workspace_id: i64, name: &str, except_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        tags::table
            .filter(tags::workspace_id.eq(workspace_id))
            .filter(tags::name_normalized.eq(normalize(name)))
            .filter(tags::id.ne(except_id)),
    ))
    .get_result(conn)
}

pub fn list(
    conn: &mut DbConn,
    workspace_id: i64,
    search: Option<&str>,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<TagRow>> {
    let mut query = tags::table.filter(tags::workspace_id.eq(workspace_id)).into_boxed();
    if let Some(s) = search {
        query = query.filter(lower(tags::name).like(format!("%{}%", escape_like(&s.to_lowercase()))).escape('\\'));
    }
    if let Some(after) = after_id {
        query = query.filter(tags::id.gt(after));
    }
    query.order(tags::id.asc()).limit(limit + 1).load(conn)
}

pub fn update(conn: &mut DbConn, id: i64, name: Option<&str>, color: Option<&str>, now: i64) -> QueryResult<TagRow> {
    #[derive(AsChangeset)]
    #[diesel(table_name = tags)]
    struct Changes<'a> {
        name: Option<&'a str>,
        name_normalized: Option<String>,
        color: Option<&'a str>,
        updated_at: i64,
    }
    diesel::update(tags::table.find(id))
        .set(&Changes { name, name_normalized: name.map(normalize), color, updated_at: now })
        .returning(tags::all_columns)
        .get_result(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(tags::table.find(id)).execute(conn)?;
    Ok(())
}

/// Tags of several dialogs at once: (dialog id, tag).
pub fn for_dialogs(conn: &mut DbConn, workspace_id: i64, dialog_ids: &[i64]) -> QueryResult<Vec<(i64, TagRow)>> {
    if dialog_ids.is_empty() {
        return Ok(Vec::new());
    }
    dialog_tags::table
        .inner_join(tags::table)
        .filter(dialog_tags::workspace_id.eq(workspace_id))
        .filter(dialog_tags::dialog_id.eq_any(dialog_ids))
        .select((dialog_tags::dialog_id, tags::all_columns))
        .order((dialog_tags::dialog_id.asc(), tags::name_normalized.asc()))
        .load(conn)
}

/// Attaches a tag; false when it was attached already.
pub fn attach(conn: &mut DbConn, workspace_id: i64, dialog_id: i64, tag_id: i64, now: i64) -> QueryResult<bool> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        dialog_tags::table.filter(dialog_tags::dialog_id.eq(dialog_id)).filter(dialog_tags::tag_id.eq(tag_id)),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(dialog_tags::table)
        .values((
            dialog_tags::dialog_id.eq(dialog_id),
            dialog_tags::tag_id.eq(tag_id),
            dialog_tags::workspace_id.eq(workspace_id),
            dialog_tags::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Detaches a tag; false when it was not attached.
pub fn detach(conn: &mut DbConn, dialog_id: i64, tag_id: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        dialog_tags::table.filter(dialog_tags::dialog_id.eq(dialog_id)).filter(dialog_tags::tag_id.eq(tag_id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}
