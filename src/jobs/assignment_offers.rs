//! The assignment offer job: sends the due offers to the chats' assignment services and
//! applies their answers (see `domain::assignment_service`). Claiming and applying are short
//! transactions under the workspace lock; the requests run between them, a bounded number at
//! a time, on this task, never on a database thread or an HTTP worker.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;

use crate::domain::assignment_service::{self, MAX_ANSWER_BYTES, OFFER_EVENT, Offer, Reply};
use crate::state::AppState;
use crate::store::queue;
use crate::time::now_ms;

/// Offers claimed per pass, and requests in flight at once.
const PASS_LIMIT: i64 = 200;
const CONCURRENCY: usize = 16;

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_millis(state.config.timer_tick_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&state).await {
            tracing::warn!(error = %e, "assignment offers failed; retrying on the next tick");
        }
    }
}

/// One pass: claim the due offers, send them, apply the answers.
pub async fn run_once(state: &AppState) -> Result<(), crate::error::ApiError> {
    let now = now_ms();
    let due = state.db.run(move |conn| Ok(queue::offers_due(conn, now, PASS_LIMIT)?)).await?;
    let mut by_workspace: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (ws, id) in due {
        by_workspace.entry(ws).or_default().push(id);
    }
    let mut offers = Vec::new();
    for (ws, ids) in by_workspace {
        let claimed = state
            .db
            .write_in(ws, move |conn| assignment_service::claim(conn, ws, &ids, now_ms(), &mut Vec::new()))
            .await;
        match claimed {
            Ok(claimed) => offers.extend(claimed),
            Err(e) => tracing::warn!(error = %e, workspace_id = ws, "claiming assignment offers failed"),
        }
    }
    futures_util::stream::iter(offers).for_each_concurrent(CONCURRENCY, |offer| settle(state, offer)).await;
    Ok(())
}

async fn settle(state: &AppState, offer: Offer) {
    let timeout = Duration::from_millis(offer.timeout_ms.max(1) as u64);
    let asked = state
        .webhooks
        .sender()
        .ask(&offer.url, offer.secret.as_deref(), OFFER_EVENT, &offer.key, &offer.body, timeout, MAX_ANSWER_BYTES)
        .await;
    let reply = match asked {
        Ok(body) => assignment_service::parse_answer(&body),
        Err(failure) => {
            tracing::info!(dialog_id = offer.dialog_id, error = %failure.detail, "assignment service gave no answer");
            Reply::Failed(if failure.timed_out { "timeout" } else { "failed" })
        }
    };
    let (ws, id) = (offer.workspace_id, offer.dialog_id);
    let applied = state
        .db
        .write_in(ws, move |conn| assignment_service::apply(conn, ws, id, &reply, now_ms(), &mut Vec::new()))
        .await;
    match applied {
        Ok(Some(outcome)) => state.metrics.record_assignment_offer(outcome),
        Ok(None) => {}
        // The offer stays claimed; it is sent again once the claim runs out.
        Err(e) => tracing::warn!(error = %e, dialog_id = id, "applying an assignment answer failed"),
    }
}
