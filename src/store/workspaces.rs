use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::workspaces;

#[derive(Debug, Clone, Queryable)]
pub struct WorkspaceRow {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(conn: &mut DbConn, name: &str, slug: &str, now: i64) -> QueryResult<WorkspaceRow> {
    diesel::insert_into(workspaces::table)
        .values((
            workspaces::name.eq(name),
            workspaces::slug.eq(slug),
            workspaces::created_at.eq(now),
            workspaces::updated_at.eq(now),
        ))
        .returning(workspaces::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<WorkspaceRow>> {
    workspaces::table.find(id).first(conn).optional()
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<WorkspaceRow>> {
    workspaces::table.filter(workspaces::slug.eq(slug)).first(conn).optional()
}

pub fn slug_taken(conn: &mut DbConn, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(workspaces::table.filter(workspaces::slug.eq(slug)))).get_result(conn)
}

/// Serialises changes that must see a consistent workspace (e.g. counting super admins): the
/// update takes the row lock on PostgreSQL; SQLite write transactions are serial already.
pub fn lock(conn: &mut DbConn, id: i64, now: i64) -> QueryResult<()> {
    let n = diesel::update(workspaces::table.find(id)).set(workspaces::updated_at.eq(now)).execute(conn)?;
    if n == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    Ok(())
}
