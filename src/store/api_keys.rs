use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{api_keys, operators};

use super::operators::OperatorRow;

#[derive(Debug, Clone, Queryable)]
pub struct ApiKeyRow {
    pub id: i64,
    pub workspace_id: i64,
    pub operator_id: i64,
    pub name: String,
    pub role: String,
    pub key_prefix: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub workspace_id: i64,
    pub operator_id: i64,
    pub name: &'a str,
    pub role: &'a str,
    pub key_prefix: &'a str,
    pub secret_hash: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

pub fn insert(conn: &mut DbConn, new: &NewApiKey<'_>) -> QueryResult<ApiKeyRow> {
    diesel::insert_into(api_keys::table).values(new).returning(api_keys::all_columns).get_result(conn)
}

pub fn list(
    conn: &mut DbConn,
    workspace_id: i64,
    include_revoked: bool,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ApiKeyRow>> {
    let mut query = api_keys::table.filter(api_keys::workspace_id.eq(workspace_id)).into_boxed();
    if !include_revoked {
        query = query.filter(api_keys::revoked_at.is_null());
    }
    if let Some(after) = after_id {
        query = query.filter(api_keys::id.gt(after));
    }
    query.order(api_keys::id.asc()).limit(limit + 1).load(conn)
}

pub fn find(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table.filter(api_keys::id.eq(id)).filter(api_keys::workspace_id.eq(workspace_id)).first(conn).optional()
}

pub fn revoke(conn: &mut DbConn, workspace_id: i64, id: i64, now: i64) -> QueryResult<()> {
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::workspace_id.eq(workspace_id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Revokes every key acting as this operator (when it is deactivated or deleted).
pub fn revoke_for_operator(conn: &mut DbConn, operator_id: i64, now: i64) -> QueryResult<()> {
    diesel::update(
        api_keys::table.filter(api_keys::operator_id.eq(operator_id)).filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// The key with this secret hash and the operator it acts as.
pub fn find_by_hash(conn: &mut DbConn, secret_hash: &str) -> QueryResult<Option<(ApiKeyRow, OperatorRow)>> {
    api_keys::table
        .inner_join(operators::table)
        .filter(api_keys::secret_hash.eq(secret_hash))
        .select((api_keys::all_columns, operators::all_columns))
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut DbConn, id: i64, now: i64) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id)).set(api_keys::last_used_at.eq(now)).execute(conn)?;
    Ok(())
}
