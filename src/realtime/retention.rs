//! Keeps the event log bounded: events older than the retention period are deleted (the newest
//! of each workspace stays, so positions keep counting up). A client resuming from a deleted
//! position gets `resync_required`.

use std::time::Duration;

use crate::state::AppState;
use crate::store::events;
use crate::time::{DAY_MS, now_ms};

const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);
/// Rows deleted per statement, so one prune never holds the database for long.
const PRUNE_BATCH: i64 = 5000;

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(PRUNE_INTERVAL);
    loop {
        tick.tick().await;
        let before = now_ms() - i64::from(state.config.event_retention_days) * DAY_MS;
        loop {
            match state.db.write(move |conn| Ok(events::prune(conn, before, PRUNE_BATCH)?)).await {
                Ok(n) if n as i64 == PRUNE_BATCH => continue,
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(deleted = n, "pruned old events");
                    }
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not prune old events");
                    break;
                }
            }
        }
    }
}
