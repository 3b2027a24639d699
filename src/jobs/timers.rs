//! The dialog timer job: every tick it takes the dialogs whose `due_at` has passed (through
//! the `dialogs_due` index, a bounded batch) and runs what is due on them, one transaction per
//! workspace under the workspace lock. The due time is read again inside that transaction, so
//! when several nodes run the job a dialog is handled once.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::domain::{assignment, dialog_timers};
use crate::state::AppState;
use crate::store::queue;
use crate::time::now_ms;

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_millis(state.config.timer_tick_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&state).await {
            tracing::warn!(error = %e, "dialog timers failed; retrying on the next tick");
        }
    }
}

/// One pass over the due dialogs.
pub async fn run_once(state: &AppState) -> Result<(), crate::error::ApiError> {
    let now = now_ms();
    let batch = i64::from(state.config.timer_batch);
    let due = state.db.run(move |conn| Ok(queue::due(conn, now, batch)?)).await?;
    let mut by_workspace: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (ws, id) in due {
        by_workspace.entry(ws).or_default().push(id);
    }
    for (ws, ids) in by_workspace {
        // One workspace failing must not hold up the others.
        let handled = state
            .db
            .write_in(ws, move |conn| {
                let now = now_ms();
                let rows = queue::still_due(conn, ws, &ids, now)?;
                let settings = assignment::chat_settings(conn, ws, &rows)?;
                let mut out = Vec::new();
                for row in &rows {
                    let s = settings.get(&row.chat_id).cloned().unwrap_or_default();
                    dialog_timers::run(conn, row, &s, now, &mut out)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = handled {
            tracing::warn!(error = %e, workspace_id = ws, "dialog timers of a workspace failed");
        }
    }
    Ok(())
}
