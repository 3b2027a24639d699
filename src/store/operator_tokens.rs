//! One-time links for invites and password resets.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::operator_tokens;

#[derive(Debug, Clone, Queryable)]
pub struct OperatorTokenRow {
    pub id: i64,
    pub workspace_id: i64,
    pub operator_id: i64,
    pub purpose: String,
    pub token_hash: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub const INVITE: &str = "invite";
pub const PASSWORD_RESET: &str = "password_reset";

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConn,
    workspace_id: i64,
    operator_id: i64,
    purpose: &str,
    token_hash: &str,
    created_by: Option<i64>,
    now: i64,
    expires_at: i64,
) -> QueryResult<()> {
    diesel::insert_into(operator_tokens::table)
        .values((
            operator_tokens::workspace_id.eq(workspace_id),
            operator_tokens::operator_id.eq(operator_id),
            operator_tokens::purpose.eq(purpose),
            operator_tokens::token_hash.eq(token_hash),
            operator_tokens::created_by.eq(created_by),
            operator_tokens::created_at.eq(now),
            operator_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_by_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<OperatorTokenRow>> {
    operator_tokens::table.filter(operator_tokens::token_hash.eq(token_hash)).first(conn).optional()
}

/// Uses the token; false when it was used meanwhile.
pub fn consume(conn: &mut DbConn, id: i64, now: i64) -> QueryResult<bool> {
    let n = diesel::update(operator_tokens::table.find(id).filter(operator_tokens::used_at.is_null()))
        .set(operator_tokens::used_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

/// Ends every unused link of an operator (a new link replaces older ones).
pub fn expire_unused(conn: &mut DbConn, operator_id: i64, now: i64) -> QueryResult<()> {
    diesel::update(
        operator_tokens::table
            .filter(operator_tokens::operator_id.eq(operator_id))
            .filter(operator_tokens::used_at.is_null()),
    )
    .set(operator_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(())
}
