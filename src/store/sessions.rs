//! Login sessions and their rotating refresh tokens.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{auth_sessions, operators, refresh_tokens};

use super::operators::OperatorRow;

#[derive(Debug, Clone, Queryable)]
pub struct SessionRow {
    pub id: i64,
    pub workspace_id: i64,
    pub operator_id: i64,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable)]
pub struct RefreshTokenRow {
    pub id: i64,
    pub session_id: i64,
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub fn create(
    conn: &mut DbConn,
    workspace_id: i64,
    operator_id: i64,
    user_agent: Option<&str>,
    now: i64,
) -> QueryResult<i64> {
    diesel::insert_into(auth_sessions::table)
        .values((
            auth_sessions::workspace_id.eq(workspace_id),
            auth_sessions::operator_id.eq(operator_id),
            auth_sessions::user_agent.eq(user_agent),
            auth_sessions::created_at.eq(now),
        ))
        .returning(auth_sessions::id)
        .get_result(conn)
}

pub fn insert_refresh_token(
    conn: &mut DbConn,
    session_id: i64,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_refresh_token(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<(RefreshTokenRow, SessionRow)>> {
    refresh_tokens::table
        .inner_join(auth_sessions::table)
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((refresh_tokens::all_columns, auth_sessions::all_columns))
        .first(conn)
        .optional()
}

/// Marks a refresh token used; false when it already was (a concurrent refresh won).
pub fn use_refresh_token(conn: &mut DbConn, id: i64, now: i64) -> QueryResult<bool> {
    let n = diesel::update(refresh_tokens::table.find(id).filter(refresh_tokens::used_at.is_null()))
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke(conn: &mut DbConn, session_id: i64, reason: &str, now: i64) -> QueryResult<()> {
    diesel::update(auth_sessions::table.find(session_id).filter(auth_sessions::revoked_at.is_null()))
        .set((auth_sessions::revoked_at.eq(now), auth_sessions::revoked_reason.eq(reason)))
        .execute(conn)?;
    Ok(())
}

/// Revokes every session of an operator, optionally keeping one (the caller's own).
pub fn revoke_all_for_operator(
    conn: &mut DbConn,
    operator_id: i64,
    keep: Option<i64>,
    reason: &str,
    now: i64,
) -> QueryResult<usize> {
    diesel::update(
        auth_sessions::table
            .filter(auth_sessions::operator_id.eq(operator_id))
            .filter(auth_sessions::revoked_at.is_null())
            .filter(auth_sessions::id.ne(keep.unwrap_or(-1))),
    )
    .set((auth_sessions::revoked_at.eq(now), auth_sessions::revoked_reason.eq(reason)))
    .execute(conn)
}

/// The operator behind an access token, with its session's revocation time.
pub fn find_session_operator(
    conn: &mut DbConn,
    session_id: i64,
    operator_id: i64,
    workspace_id: i64,
) -> QueryResult<Option<(Option<i64>, OperatorRow)>> {
    auth_sessions::table
        .inner_join(operators::table)
        .filter(auth_sessions::id.eq(session_id))
        .filter(auth_sessions::operator_id.eq(operator_id))
        .filter(auth_sessions::workspace_id.eq(workspace_id))
        .select((auth_sessions::revoked_at, operators::all_columns))
        .first(conn)
        .optional()
}
