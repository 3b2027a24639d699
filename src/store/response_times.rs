//! One row per answered wait (a visitor waited, an operator replied), so response-time
//! percentiles and SLA shares come from an index instead of the messages.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::response_times;
use crate::domain::dialog_figures::AnsweredWait;
use crate::store::dialogs::DialogRow;

/// Records the wait an operator reply ended.
pub fn insert(
    conn: &mut DbConn,
    dialog: &DialogRow,
    operator_id: Option<i64>,
    wait: AnsweredWait,
    answered_at: i64,
) -> QueryResult<()> {
    crate::typed!(conn => {
        diesel::insert_into(response_times::table)
            .values((
                response_times::workspace_id.eq(dialog.workspace_id),
                response_times::dialog_id.eq(dialog.id),
                response_times::chat_id.eq(dialog.chat_id),
                response_times::channel.eq(&dialog.channel),
                response_times::operator_id.eq(operator_id),
                response_times::is_first.eq(wait.first),
                response_times::waited_from.eq(wait.waited_from),
                response_times::answered_at.eq(answered_at),
                response_times::wait_ms.eq(wait.wait_ms),
            ))
            .execute(conn)
    })?;
    let mut pending = crate::domain::rollups::Pending::default();
    pending.add_wait(dialog, operator_id, wait, answered_at);
    super::rollups::apply(conn, pending)
}
