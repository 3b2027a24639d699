use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{page_views, visitor_notes, visitors};

use super::operators::{escape_like, lower};

#[derive(Debug, Clone, Queryable)]
pub struct VisitorRow {
    pub id: i64,
    pub workspace_id: i64,
    pub chat_id: i64,
    pub token_hash: Option<String>,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub attributes: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_seen_at: i64,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = visitors)]
pub struct NewVisitor<'a> {
    pub workspace_id: i64,
    pub chat_id: i64,
    pub token_hash: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub attributes: &'a str,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_seen_at: i64,
}

pub fn insert(conn: &mut DbConn, new: &NewVisitor<'_>) -> QueryResult<VisitorRow> {
    diesel::insert_into(visitors::table).values(new).returning(visitors::all_columns).get_result(conn)
}

pub fn find(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Option<VisitorRow>> {
    crate::typed!(conn => {
        visitors::table.filter(visitors::id.eq(id)).filter(visitors::workspace_id.eq(workspace_id)).first(conn).optional()
    })
}

pub fn find_by_token_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<VisitorRow>> {
    crate::typed!(conn => {
        visitors::table.filter(visitors::token_hash.eq(token_hash)).first(conn).optional()
    })
}

pub fn find_by_external_id(conn: &mut DbConn, workspace_id: i64, external_id: &str) -> QueryResult<Option<VisitorRow>> {
    visitors::table
        .filter(visitors::workspace_id.eq(workspace_id))
        .filter(visitors::external_id.eq(external_id))
        .first(conn)
        .optional()
}

pub fn find_many(conn: &mut DbConn, workspace_id: i64, ids: &[i64]) -> QueryResult<Vec<VisitorRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    visitors::table.filter(visitors::workspace_id.eq(workspace_id)).filter(visitors::id.eq_any(ids)).load(conn)
}

/// Newest first; `search` matches name, email, phone or external id.
pub fn list(
    conn: &mut DbConn,
    workspace_id: i64,
    search: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<VisitorRow>> {
    let mut query = visitors::table.filter(visitors::workspace_id.eq(workspace_id)).into_boxed();
    if let Some(s) = search {
        let pattern = format!("%{}%", escape_like(&s.to_lowercase()));
        let field = |sql: &'static str| lower(diesel::dsl::sql::<diesel::sql_types::Text>(sql));
        query = query.filter(
            field("COALESCE(visitors.name, '')")
                .like(pattern.clone())
                .escape('\\')
                .or(field("COALESCE(visitors.email, '')").like(pattern.clone()).escape('\\'))
                .or(field("COALESCE(visitors.phone, '')").like(pattern.clone()).escape('\\'))
                .or(field("COALESCE(visitors.external_id, '')").like(pattern).escape('\\')),
        );
    }
    if let Some(before) = before_id {
        query = query.filter(visitors::id.lt(before));
    }
    query.order(visitors::id.desc()).limit(limit + 1).load(conn)
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = visitors)]
pub struct VisitorChanges {
    pub name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub attributes: Option<String>,
    pub updated_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub avatar_url: Option<Option<String>>,
}

pub fn update(conn: &mut DbConn, workspace_id: i64, id: i64, changes: &VisitorChanges) -> QueryResult<VisitorRow> {
    diesel::update(visitors::table.filter(visitors::id.eq(id)).filter(visitors::workspace_id.eq(workspace_id)))
        .set(changes)
        .returning(visitors::all_columns)
        .get_result(conn)
}

pub fn touch(conn: &mut DbConn, id: i64, now: i64) -> QueryResult<()> {
    crate::typed!(conn => {
        diesel::update(visitors::table.find(id)).set(visitors::last_seen_at.eq(now)).execute(conn)?;
        Ok(())
    })
}

#[derive(Debug, Clone, Queryable)]
pub struct VisitorNoteRow {
    pub id: i64,
    pub workspace_id: i64,
    pub visitor_id: i64,
    pub operator_id: i64,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert_note(
    conn: &mut DbConn,
    workspace_id: i64,
    visitor_id: i64,
    operator_id: i64,
    body: &str,
    now: i64,
) -> QueryResult<VisitorNoteRow> {
    diesel::insert_into(visitor_notes::table)
        .values((
            visitor_notes::workspace_id.eq(workspace_id),
            visitor_notes::visitor_id.eq(visitor_id),
            visitor_notes::operator_id.eq(operator_id),
            visitor_notes::body.eq(body),
            visitor_notes::created_at.eq(now),
            visitor_notes::updated_at.eq(now),
        ))
        .returning(visitor_notes::all_columns)
        .get_result(conn)
}

/// The latest notes on a visitor, newest first.
pub fn notes(conn: &mut DbConn, workspace_id: i64, visitor_id: i64, limit: i64) -> QueryResult<Vec<VisitorNoteRow>> {
    visitor_notes::table
        .filter(visitor_notes::workspace_id.eq(workspace_id))
        .filter(visitor_notes::visitor_id.eq(visitor_id))
        .order(visitor_notes::id.desc())
        .limit(limit)
        .load(conn)
}

pub fn find_note(
    conn: &mut DbConn,
    workspace_id: i64,
    visitor_id: i64,
    id: i64,
) -> QueryResult<Option<VisitorNoteRow>> {
    visitor_notes::table
        .filter(visitor_notes::id.eq(id))
        .filter(visitor_notes::visitor_id.eq(visitor_id))
        .filter(visitor_notes::workspace_id.eq(workspace_id))
        .first(conn)
        .optional()
}

pub fn delete_note(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(visitor_notes::table.find(id)).execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct PageViewRow {
    pub id: i64,
    pub workspace_id: i64,
    pub visitor_id: i64,
    pub dialog_id: Option<i64>,
    pub url: String,
    pub title: Option<String>,
    pub referrer: Option<String>,
    pub viewed_at: i64,
    pub created_at: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = page_views)]
pub struct NewPageView<'a> {
    pub workspace_id: i64,
    pub visitor_id: i64,
    pub dialog_id: Option<i64>,
    pub url: &'a str,
    pub title: Option<&'a str>,
    pub referrer: Option<&'a str>,
    pub viewed_at: i64,
    pub created_at: i64,
}

pub fn insert_page_view(conn: &mut DbConn, new: &NewPageView<'_>) -> QueryResult<PageViewRow> {
    diesel::insert_into(page_views::table).values(new).returning(page_views::all_columns).get_result(conn)
}

/// Page views of a visitor, newest first, before `before_id`.
pub fn page_views(
    conn: &mut DbConn,
    workspace_id: i64,
    visitor_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<PageViewRow>> {
    let mut query = page_views::table
        .filter(page_views::workspace_id.eq(workspace_id))
        .filter(page_views::visitor_id.eq(visitor_id))
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(page_views::id.lt(before));
    }
    query.order(page_views::id.desc()).limit(limit + 1).load(conn)
}

/// Pages viewed during the given dialogs, by dialog then time. For exports.
pub fn page_views_for_dialogs(
    conn: &mut DbConn,
    workspace_id: i64,
    dialog_ids: &[i64],
) -> QueryResult<Vec<PageViewRow>> {
    if dialog_ids.is_empty() {
        return Ok(Vec::new());
    }
    page_views::table
        .filter(page_views::workspace_id.eq(workspace_id))
        .filter(page_views::dialog_id.eq_any(dialog_ids))
        .order((page_views::dialog_id.asc(), page_views::viewed_at.asc(), page_views::id.asc()))
        .load(conn)
}
