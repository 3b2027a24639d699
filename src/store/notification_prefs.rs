//! Per-operator, per-chat notification preferences. A missing row means the defaults.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::notification_preferences as prefs;

#[derive(Debug, Clone, Queryable)]
pub struct PrefsRow {
    pub operator_id: i64,
    pub chat_id: i64,
    pub workspace_id: i64,
    pub assigned_to_me: bool,
    pub unassigned: bool,
    pub assigned_to_others: bool,
    pub in_app: bool,
    pub email: bool,
    pub push: bool,
    pub updated_at: i64,
}

pub fn list_for_operator(conn: &mut DbConn, workspace_id: i64, operator_id: i64) -> QueryResult<Vec<PrefsRow>> {
    prefs::table
        .filter(prefs::workspace_id.eq(workspace_id))
        .filter(prefs::operator_id.eq(operator_id))
        .order(prefs::chat_id.asc())
        .load(conn)
}

/// Writes the row, inserting it the first time; the caller holds the workspace lock.
pub fn save(conn: &mut DbConn, row: &PrefsRow) -> QueryResult<()> {
    let key = prefs::table.find((row.operator_id, row.chat_id));
    let values = (
        prefs::assigned_to_me.eq(row.assigned_to_me),
        prefs::unassigned.eq(row.unassigned),
        prefs::assigned_to_others.eq(row.assigned_to_others),
        prefs::in_app.eq(row.in_app),
        prefs::email.eq(row.email),
        prefs::push.eq(row.push),
        prefs::updated_at.eq(row.updated_at),
    );
    if diesel::update(key).set(values).execute(conn)? == 0 {
        diesel::insert_into(prefs::table)
            .values((
                prefs::operator_id.eq(row.operator_id),
                prefs::chat_id.eq(row.chat_id),
                prefs::workspace_id.eq(row.workspace_id),
                values,
            ))
            .execute(conn)?;
    }
    Ok(())
}
