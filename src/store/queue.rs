//! Queries behind automatic assignment and the dialog timers. Every one reads through an index
//! (`dialogs_queue`, `dialogs_due`, `dialogs_active_assignee`) and is bounded.

use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::dialogs::DialogRow;
use super::operators::OperatorRow;
use crate::db::DbConn;
use crate::db::schema::{dialogs, operator_presence, operators};

/// The first `limit` dialogs of the workspace's queue, longest waiting first.
pub fn head(conn: &mut DbConn, workspace_id: i64, limit: i64) -> QueryResult<Vec<DialogRow>> {
    crate::typed!(conn => {
        dialogs::table
            .filter(dialogs::workspace_id.eq(workspace_id))
            .filter(dialogs::queued_at.is_not_null())
            .order((dialogs::queued_at.asc(), dialogs::id.asc()))
            .limit(limit)
            .load(conn)
    })
}

/// 1-based place of a queued dialog: the dialogs queued before it, plus one.
pub fn position(conn: &mut DbConn, workspace_id: i64, queued_at: i64, id: i64) -> QueryResult<i64> {
    let ahead: i64 = crate::typed!(conn => {
        dialogs::table
            .filter(dialogs::workspace_id.eq(workspace_id))
            .filter(dialogs::queued_at.is_not_null())
            .filter(dialogs::queued_at.lt(queued_at).or(dialogs::queued_at.eq(queued_at).and(dialogs::id.lt(id))))
            .count()
            .get_result(conn)
    })?;
    Ok(ahead + 1)
}

/// Operators of the workspace who are online now and may work.
pub fn online_operators(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<OperatorRow>> {
    crate::typed!(conn => {
        operators::table
            .inner_join(operator_presence::table.on(operator_presence::operator_id.eq(operators::id)))
            .filter(operator_presence::workspace_id.eq(workspace_id))
            .filter(operator_presence::status.eq("online"))
            .filter(operators::active.eq(true))
            .filter(operators::deleted_at.is_null())
            .filter(operators::password_hash.is_not_null())
            .select(operators::all_columns)
            .load(conn)
    })
}

/// Whether any operator of the workspace is online.
pub fn anyone_online(conn: &mut DbConn, workspace_id: i64) -> QueryResult<bool> {
    crate::typed!(conn => {
        diesel::select(diesel::dsl::exists(
            operator_presence::table
                .filter(operator_presence::workspace_id.eq(workspace_id))
                .filter(operator_presence::status.eq("online")),
        ))
        .get_result(conn)
    })
}

/// Active (assigned, not closed) dialogs of each operator in `ids`.
pub fn active_counts(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The status literal (not a bound value) lets SQLite use the partial index.
    let rows: Vec<(Option<i64>, i64)> = crate::typed!(conn => {
        dialogs::table
            .filter(diesel::dsl::sql::<Bool>("dialogs.status = 'assigned'"))
            .filter(dialogs::assignee_id.eq_any(ids))
            .group_by(dialogs::assignee_id)
            .select((dialogs::assignee_id, diesel::dsl::count_star()))
            .load(conn)
    })?;
    Ok(rows.into_iter().filter_map(|(id, n)| id.map(|id| (id, n))).collect())
}

/// Ids (with their workspace) of dialogs whose timers are due, earliest first.
pub fn due(conn: &mut DbConn, now: i64, limit: i64) -> QueryResult<Vec<(i64, i64)>> {
    crate::typed!(conn => {
        dialogs::table
            .filter(dialogs::due_at.le(now))
            .order((dialogs::due_at.asc(), dialogs::id.asc()))
            .select((dialogs::workspace_id, dialogs::id))
            .limit(limit)
            .load(conn)
    })
}

/// The due dialogs among `ids`, read again inside the writing transaction: a dialog another
/// node handled meanwhile has a later due time and drops out.
pub fn still_due(conn: &mut DbConn, workspace_id: i64, ids: &[i64], now: i64) -> QueryResult<Vec<DialogRow>> {
    crate::typed!(conn => {
        dialogs::table
            .filter(dialogs::workspace_id.eq(workspace_id))
            .filter(dialogs::id.eq_any(ids))
            .filter(dialogs::due_at.le(now))
            .order(dialogs::id.asc())
            .load(conn)
    })
}

/// The operator got a dialog from an automatic policy now.
pub fn touch_assigned(conn: &mut DbConn, operator_id: i64, now: i64) -> QueryResult<usize> {
    crate::typed!(conn => {
        diesel::update(operators::table.find(operator_id)).set(operators::last_assigned_at.eq(now)).execute(conn)
    })
}

/// Makes every open dialog of the chat due now (its settings changed).
pub fn recheck_chat(conn: &mut DbConn, workspace_id: i64, chat_id: i64, now: i64) -> QueryResult<usize> {
    crate::typed!(conn => {
        diesel::update(
            dialogs::table
                .filter(dialogs::workspace_id.eq(workspace_id))
                .filter(dialogs::chat_id.eq(chat_id))
                .filter(diesel::dsl::sql::<Bool>("dialogs.status <> 'closed'")),
        )
        .set(dialogs::due_at.eq(now))
        .execute(conn)
    })
}

/// Ids (with their workspace) of dialogs whose offer to an assignment service is due.
pub fn offers_due(conn: &mut DbConn, now: i64, limit: i64) -> QueryResult<Vec<(i64, i64)>> {
    crate::typed!(conn => {
        dialogs::table
            .filter(dialogs::offer_due_at.le(now))
            .order((dialogs::offer_due_at.asc(), dialogs::id.asc()))
            .select((dialogs::workspace_id, dialogs::id))
            .limit(limit)
            .load(conn)
    })
}

/// The dialogs among `ids` whose offer is still due, read again inside the writing
/// transaction: one another node claimed meanwhile drops out.
pub fn offers_still_due(conn: &mut DbConn, workspace_id: i64, ids: &[i64], now: i64) -> QueryResult<Vec<DialogRow>> {
    crate::typed!(conn => {
        dialogs::table
            .filter(dialogs::workspace_id.eq(workspace_id))
            .filter(dialogs::id.eq_any(ids))
            .filter(dialogs::offer_due_at.le(now))
            .order(dialogs::id.asc())
            .load(conn)
    })
}

/// Up to `limit` open dialogs assigned to the operator (through `dialogs_active_assignee`).
pub fn assigned_to(conn: &mut DbConn, workspace_id: i64, operator_id: i64, limit: i64) -> QueryResult<Vec<DialogRow>> {
    crate::typed!(conn => {
        dialogs::table
            .filter(diesel::dsl::sql::<Bool>("dialogs.status = 'assigned'"))
            .filter(dialogs::assignee_id.eq(operator_id))
            .filter(dialogs::workspace_id.eq(workspace_id))
            .order(dialogs::id.asc())
            .limit(limit)
            .load(conn)
    })
}
