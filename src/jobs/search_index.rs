//! The search indexer (PostgreSQL): moves queued messages into the full-text index in batches
//! of its own, off the group-commit writer's path (see `store::message_search`).

use std::time::Duration;

use crate::state::AppState;
use crate::store::message_search;

/// Messages per indexing statement.
const BATCH: i64 = 1000;
/// Pause once the queue is empty; searches read the queued messages meanwhile.
const IDLE_PAUSE: Duration = Duration::from_millis(200);

pub async fn run(state: AppState) {
    if state.db.sqlite_path().is_some() {
        return;
    }
    loop {
        match state.db.run(|conn| Ok(message_search::index_pending(conn, BATCH)?)).await {
            // A full batch: more are probably waiting.
            Ok(taken) if taken as i64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "search indexing failed; retrying"),
        }
        tokio::time::sleep(IDLE_PAUSE).await;
    }
}
