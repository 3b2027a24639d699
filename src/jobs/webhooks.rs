//! The webhook delivery worker. Each node runs one; commits wake it, a tick brings due retries.
//! A subscription is worked by one node at a time (a lease in its row, taken with a conditional
//! update), so its deliveries go out in log order and no two nodes send the same one. Delivery
//! state lives in the database only: after a restart the next pass carries on where the last
//! one stopped, and a delivery is sent again only if its success was never recorded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::Notify;

use super::webhook_sender::{Outcome, Sender};
use crate::config::WebhookSettings;
use crate::domain::webhook_deliveries;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::store::webhooks::{self, DeliveryRow, WebhookRow};
use crate::time::{DAY_MS, now_ms};

/// Subscriptions looked at per pass, and worked at the same time.
const PASS_LIMIT: i64 = 500;
const CONCURRENCY: usize = 8;
/// Shortest gap between two passes, so a burst of commits costs one pass, not one per commit.
const MIN_GAP: Duration = Duration::from_millis(20);
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);
const PRUNE_BATCH: i64 = 5000;

/// The node's handle: wakes the worker and sends requests (also for redeliveries by hand).
#[derive(Clone)]
pub struct WebhookJobs {
    sender: Sender,
    wake: Arc<Notify>,
}

impl WebhookJobs {
    pub fn new(settings: &WebhookSettings) -> Result<Self, String> {
        Ok(Self { sender: Sender::new(settings)?, wake: Arc::new(Notify::new()) })
    }

    /// The HTTP client webhooks go out with (also for assignment service offers).
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// Asks for a pass soon; wakes after many calls coalesce into one.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub async fn send(&self, webhook: &WebhookRow, delivery: &DeliveryRow, metrics: &Metrics) -> Outcome {
        let outcome = self
            .sender
            .send(&webhook.url, &webhook.secret, &delivery.event_type, &delivery.delivery_key, &delivery.body)
            .await;
        let label = if outcome.succeeded() { "delivered" } else { "failed" };
        metrics.record_webhook_delivery(label, outcome.latency.as_secs_f64());
        outcome
    }
}

/// Runs passes for ever: on a commit or on the tick, whichever comes first.
pub async fn run(state: AppState) {
    let tick = Duration::from_millis(state.config.webhooks.tick_ms);
    let mut last_prune = Instant::now();
    loop {
        tokio::select! {
            _ = state.webhooks.wake.notified() => {}
            _ = tokio::time::sleep(tick) => {}
        }
        if let Err(e) = pass(&state).await {
            tracing::warn!(error = %e, "webhook pass failed");
        }
        if last_prune.elapsed() >= PRUNE_INTERVAL {
            last_prune = Instant::now();
            prune(&state).await;
        }
        tokio::time::sleep(MIN_GAP).await;
    }
}

async fn pass(state: &AppState) -> Result<(), crate::error::ApiError> {
    let candidates = state
        .db
        .run(|conn| {
            let now = now_ms();
            let mut busy = Vec::new();
            for webhook in webhooks::runnable(conn, now, PASS_LIMIT)? {
                if webhooks::has_work(conn, &webhook, now)? {
                    busy.push(webhook.id);
                }
            }
            Ok(busy)
        })
        .await?;
    futures_util::stream::iter(candidates)
        .for_each_concurrent(CONCURRENCY, |webhook_id| async move {
            if let Err(e) = work(state, webhook_id).await {
                tracing::warn!(webhook_id, error = %e, "webhook delivery step failed");
            }
        })
        .await;
    Ok(())
}

/// How long a lease lasts. It is renewed before each request and outlasts one request plus
/// recording its outcome, so it runs out only when its node died; a restarted node (a new id)
/// waits that long for the subscriptions the old one held in the middle of a send.
fn lease_ms(settings: &WebhookSettings) -> i64 {
    (settings.timeout_secs as i64 + 15) * 1000
}

/// Under the subscription's lease: queue new events, then send what is due, oldest first,
/// until a send fails or nothing is due.
async fn work(state: &AppState, webhook_id: i64) -> Result<(), crate::error::ApiError> {
    let owner = state.node_id.clone();
    let lease = lease_ms(&state.config.webhooks);
    let claim = {
        let owner = owner.clone();
        move |conn: &mut crate::db::DbConn| {
            let now = now_ms();
            Ok(webhooks::claim(conn, webhook_id, &owner, now, now + lease)?)
        }
    };
    if !state.db.write(claim.clone()).await? {
        return Ok(());
    }
    let result = deliver_due(state, webhook_id, claim).await;
    let release_owner = owner.clone();
    state.db.write(move |conn| Ok(webhooks::release(conn, webhook_id, &release_owner)?)).await?;
    result
}

async fn deliver_due<C>(state: &AppState, webhook_id: i64, claim: C) -> Result<(), crate::error::ApiError>
where
    C: Fn(&mut crate::db::DbConn) -> Result<bool, crate::error::ApiError> + Clone + Send + 'static,
{
    loop {
        while state.db.write(move |conn| webhook_deliveries::fan_out(conn, webhook_id)).await? > 0 {}
        let next = state
            .db
            .run(move |conn| Ok((webhooks::get(conn, webhook_id)?, webhooks::next_pending(conn, webhook_id)?)))
            .await?;
        let (Some(webhook), Some(delivery)) = next else {
            return Ok(());
        };
        if !webhook.active || webhook.paused_at.is_some() || delivery.next_attempt_at > now_ms() {
            return Ok(());
        }
        // Renew the lease before each request; losing it means another node took over.
        if !state.db.write(claim.clone()).await? {
            return Ok(());
        }
        let outcome = state.webhooks.send(&webhook, &delivery, &state.metrics).await;
        let succeeded = outcome.succeeded();
        let settings = state.config.webhooks.clone();
        let paused = state
            .db
            .write_in(webhook.workspace_id, move |conn| {
                webhook_deliveries::record_attempt(conn, &settings, &delivery, &outcome)
            })
            .await?;
        if paused {
            state.metrics.webhook_paused();
            tracing::warn!(webhook_id, "webhook paused after failing");
        }
        if !succeeded {
            return Ok(());
        }
    }
}

/// Deletes delivered deliveries older than the event log keeps events.
async fn prune(state: &AppState) {
    let before = now_ms() - i64::from(state.config.event_retention_days) * DAY_MS;
    loop {
        match state.db.write(move |conn| Ok(webhooks::prune_delivered(conn, before, PRUNE_BATCH)?)).await {
            Ok(n) if n as i64 == PRUNE_BATCH => continue,
            Ok(_) => break,
            Err(e) => {
                tracing::warn!(error = %e, "could not prune webhook deliveries");
                break;
            }
        }
    }
}
