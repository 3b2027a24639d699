use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{operators, workspaces};

use super::workspaces::WorkspaceRow;

#[derive(Debug, Clone, Queryable)]
pub struct OperatorRow {
    pub id: i64,
    pub workspace_id: i64,
    pub email: String,
    pub email_normalized: String,
    pub display_name: String,
    pub internal_name: Option<String>,
    pub avatar_url: Option<String>,
    pub role: String,
    pub active: bool,
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    /// Most dialogs assigned at once by the automatic policies.
    pub max_active_dialogs: i32,
    /// When the automatic policies last gave the operator a dialog (round robin).
    pub last_assigned_at: Option<i64>,
    /// An admin may download exports (a super admin can switch it off).
    pub exports_allowed: bool,
}

impl OperatorRow {
    /// May sign in and use tokens: active, not deleted, password set.
    pub fn can_sign_in(&self) -> bool {
        self.active && self.deleted_at.is_none() && self.password_hash.is_some()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = operators)]
pub struct NewOperator<'a> {
    pub workspace_id: i64,
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub display_name: &'a str,
    pub internal_name: Option<&'a str>,
    pub avatar_url: Option<&'a str>,
    pub role: &'a str,
    pub active: bool,
    pub password_hash: Option<&'a str>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = operators)]
pub struct OperatorChanges {
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub display_name: Option<String>,
    pub internal_name: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
    pub role: Option<String>,
    pub active: Option<bool>,
    pub password_hash: Option<Option<String>>,
    pub updated_at: Option<i64>,
    pub deleted_at: Option<Option<i64>>,
    pub max_active_dialogs: Option<i32>,
    pub exports_allowed: Option<bool>,
}

/// Emails compare case-insensitively; this is the form stored for comparison.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn insert(conn: &mut DbConn, new: &NewOperator<'_>) -> QueryResult<OperatorRow> {
    diesel::insert_into(operators::table).values(new).returning(operators::all_columns).get_result(conn)
}

/// A live (not deleted) operator of the workspace.
pub fn find(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Option<OperatorRow>> {
    operators::table
        .filter(operators::id.eq(id))
        .filter(operators::workspace_id.eq(workspace_id))
        .filter(operators::deleted_at.is_null())
        .first(conn)
        .optional()
}

pub fn email_taken(conn: &mut DbConn, workspace_id: i64, email_normalized: &str, except_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        operators::table
            .filter(operators::workspace_id.eq(workspace_id))
            .filter(operators::email_normalized.eq(email_normalized))
            .filter(operators::deleted_at.is_null())
            .filter(operators::id.ne(except_id)),
    ))
    .get_result(conn)
}

/// Every live operator with this email, across workspaces (login picks among them).
pub fn find_by_email(conn: &mut DbConn, email_normalized: &str) -> QueryResult<Vec<(OperatorRow, WorkspaceRow)>> {
    operators::table
        .inner_join(workspaces::table)
        .filter(operators::email_normalized.eq(email_normalized))
        .filter(operators::deleted_at.is_null())
        .select((operators::all_columns, workspaces::all_columns))
        .order(operators::id.asc())
        .limit(20)
        .load(conn)
}

#[derive(Debug, Default)]
pub struct ListFilter {
    pub role: Option<String>,
    pub active: Option<bool>,
    /// Case-insensitive substring of email, display name or internal name.
    pub search: Option<String>,
}

/// A page of live operators ordered by id, starting after `after_id`.
pub fn list(
    conn: &mut DbConn,
    workspace_id: i64,
    filter: &ListFilter,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<OperatorRow>> {
    let mut query = operators::table
        .filter(operators::workspace_id.eq(workspace_id))
        .filter(operators::deleted_at.is_null())
        .into_boxed();
    if let Some(role) = &filter.role {
        query = query.filter(operators::role.eq(role.clone()));
    }
    if let Some(active) = filter.active {
        query = query.filter(operators::active.eq(active));
    }
    if let Some(search) = &filter.search {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        query = query.filter(
            operators::email_normalized
                .like(pattern.clone())
                .escape('\\')
                .or(lower(operators::display_name).like(pattern.clone()).escape('\\'))
                .or(lower(diesel::dsl::sql::<diesel::sql_types::Text>("COALESCE(operators.internal_name, '')"))
                    .like(pattern)
                    .escape('\\')),
        );
    }
    if let Some(after) = after_id {
        query = query.filter(operators::id.gt(after));
    }
    query.order(operators::id.asc()).limit(limit + 1).load(conn)
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn update(conn: &mut DbConn, workspace_id: i64, id: i64, changes: &OperatorChanges) -> QueryResult<OperatorRow> {
    diesel::update(operators::table.filter(operators::id.eq(id)).filter(operators::workspace_id.eq(workspace_id)))
        .set(changes)
        .returning(operators::all_columns)
        .get_result(conn)
}

/// Active super admins of the workspace other than `except_id`.
pub fn count_other_super_admins(conn: &mut DbConn, workspace_id: i64, except_id: i64) -> QueryResult<i64> {
    operators::table
        .filter(operators::workspace_id.eq(workspace_id))
        .filter(operators::role.eq("super_admin"))
        .filter(operators::active.eq(true))
        .filter(operators::deleted_at.is_null())
        .filter(operators::id.ne(except_id))
        .count()
        .get_result(conn)
}

/// Operators by id, removed ones included (history keeps showing who wrote what).
pub fn find_many_any(conn: &mut DbConn, workspace_id: i64, ids: &[i64]) -> QueryResult<Vec<OperatorRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    operators::table.filter(operators::workspace_id.eq(workspace_id)).filter(operators::id.eq_any(ids)).load(conn)
}

/// One operator by id, removed ones included.
pub fn find_any(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Option<OperatorRow>> {
    crate::typed!(conn => {
        operators::table
            .filter(operators::id.eq(id))
            .filter(operators::workspace_id.eq(workspace_id))
            .first(conn)
            .optional()
    })
}

/// Ids of the workspace's live operators (not removed).
pub fn list_ids(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<i64>> {
    operators::table
        .filter(operators::workspace_id.eq(workspace_id))
        .filter(operators::deleted_at.is_null())
        .select(operators::id)
        .order(operators::id.asc())
        .load(conn)
}

/// Ids of every operator the workspace ever had, removed ones too (their history stays).
pub fn all_ids(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<i64>> {
    operators::table.filter(operators::workspace_id.eq(workspace_id)).select(operators::id).load(conn)
}
