//! Deliveries: which logged events a subscription receives, the body it gets, and what each
//! attempt to send it means (delivered, retry later, or pause the subscription).

use rand::Rng;
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::config::WebhookSettings;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::jobs::webhook_sender::Outcome;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::events::{self, EventRow};
use crate::store::webhooks::{self, AttemptRow, DeliveryRow, NewAttempt, NewDelivery, STATUS_PENDING, WebhookRow};
use crate::time::{now_ms, to_datetime};

use super::events::{Audience, WEBHOOK_PAUSED};
use super::webhooks::WebhookPausedEvent;

/// Events read from the log per fan-out step.
const FAN_OUT_BATCH: i64 = 200;

/// Whether the subscription receives this event. Internal notes (`message.*` events only
/// operators see) go only to subscriptions that asked for them.
pub fn receives(webhook: &WebhookRow, types: &[String], event: &EventRow) -> bool {
    let is_note = event.event_type.starts_with("message.") && event.audience == Audience::Operators.as_str();
    types.contains(&event.event_type) && (!is_note || webhook.include_notes)
}

/// The JSON a receiver gets: the event with its log position and the delivery's id.
pub fn body(delivery_key: &str, event: &EventRow) -> String {
    let data: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
    json!({
        "id": delivery_key,
        "type": event.event_type,
        "workspace_id": event.workspace_id,
        "position": event.position,
        "created_at": to_datetime(event.created_at),
        "data": data,
    })
    .to_string()
}

/// Turns the next events after the subscription's position into deliveries. Returns how many
/// events were read (0 when it had caught up). The position moves only if no other node moved
/// it meanwhile, so two nodes never queue the same event twice.
pub fn fan_out(conn: &mut DbConn, webhook_id: i64) -> ApiResult<usize> {
    let Some(webhook) = webhooks::get(conn, webhook_id)? else {
        return Ok(0);
    };
    let batch = events::since(conn, webhook.workspace_id, webhook.log_position, FAN_OUT_BATCH)?;
    let Some(last) = batch.last().map(|e| e.position) else {
        return Ok(0);
    };
    if batch[0].position > webhook.log_position + 1 {
        tracing::warn!(
            webhook_id,
            from = webhook.log_position + 1,
            to = batch[0].position - 1,
            "events left the log before they were delivered"
        );
    }
    let types = webhook.event_types();
    let now = now_ms();
    let deliveries: Vec<NewDelivery> = batch
        .iter()
        .filter(|e| receives(&webhook, &types, e))
        .map(|e| {
            let key = uuid::Uuid::new_v4().to_string();
            NewDelivery {
                webhook_id,
                workspace_id: webhook.workspace_id,
                body: body(&key, e),
                delivery_key: key,
                position: e.position,
                event_type: e.event_type.clone(),
                status: STATUS_PENDING,
                attempts: 0,
                next_attempt_at: now,
                created_at: now,
            }
        })
        .collect();
    if !webhooks::advance_log_position(conn, webhook_id, webhook.log_position, last)? {
        return Ok(0);
    }
    webhooks::insert_deliveries(conn, &deliveries)?;
    Ok(batch.len())
}

/// Delay before retry number `failures` (1 for the first retry): doubling from the base,
/// capped, with jitter in its upper half so many failing subscriptions do not retry in step.
pub fn backoff_ms(settings: &WebhookSettings, failures: i32) -> i64 {
    let exp = failures.clamp(1, 30) as u32 - 1;
    let cap = settings.backoff_max_secs.saturating_mul(1000);
    let full = settings.backoff_base_ms.saturating_mul(1u64 << exp).min(cap).max(1);
    let half = full / 2;
    (half + rand::rng().random_range(0..=full - half)) as i64
}

fn attempt_row(delivery_id: i64, outcome: &Outcome, manual: bool, now: i64) -> NewAttempt {
    NewAttempt {
        delivery_id,
        attempted_at: now,
        manual,
        status_code: outcome.status_code.map(i32::from),
        latency_ms: outcome.latency.as_millis() as i64,
        response_excerpt: outcome.excerpt.clone(),
        error: outcome.error.clone(),
    }
}

/// Logs an automatic attempt. A failure schedules the retry and, after too many failures in a
/// row or too long without success, pauses the subscription and logs `webhook.paused` (in this
/// transaction; the caller holds the workspace lock). Returns whether it paused.
pub fn record_attempt(
    conn: &mut DbConn,
    settings: &WebhookSettings,
    delivery: &DeliveryRow,
    outcome: &Outcome,
) -> ApiResult<bool> {
    let now = now_ms();
    let attempt = attempt_row(delivery.id, outcome, false, now);
    if outcome.succeeded() {
        webhooks::record_attempt(conn, delivery, &attempt, true, now)?;
        webhooks::record_success(conn, delivery.webhook_id)?;
        return Ok(false);
    }
    let webhook = webhooks::record_failure(conn, delivery.webhook_id, now)?;
    let retry_at = now + backoff_ms(settings, webhook.consecutive_failures);
    webhooks::record_attempt(conn, delivery, &attempt, false, retry_at)?;
    let too_many = webhook.consecutive_failures as u32 >= settings.pause_after_failures;
    let too_long =
        webhook.failing_since.is_some_and(|since| now - since >= i64::from(settings.pause_after_hours) * 3_600_000);
    if !(too_many || too_long) {
        return Ok(false);
    }
    let last_error = outcome.error.as_deref().unwrap_or("failed");
    let reason = if too_many {
        format!("{} deliveries failed in a row; last: {last_error}", webhook.consecutive_failures)
    } else {
        format!("failing for {} hours; last: {last_error}", settings.pause_after_hours)
    };
    let paused = webhooks::pause(conn, webhook.id, &reason, now)?;
    super::events::record(
        conn,
        webhook.workspace_id,
        WEBHOOK_PAUSED,
        Audience::Admins,
        None,
        None,
        &WebhookPausedEvent {
            webhook_id: paused.id,
            url: paused.url.clone(),
            reason,
            consecutive_failures: paused.consecutive_failures,
        },
        now,
    )?;
    Ok(true)
}

/// A page of the subscription's deliveries, newest first, each with its attempts.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    webhook_id: i64,
    status: Option<String>,
    page: PageParams,
) -> ApiResult<Page<(DeliveryRow, Vec<AttemptRow>)>> {
    principal.require_admin()?;
    let limit = page.limit()?;
    let before = page.cursor(1)?.map(|c| c[0]);
    let ws = principal.workspace_id;
    let (rows, attempts) = state
        .db
        .run(move |conn| {
            webhooks::find(conn, ws, webhook_id)?.ok_or_else(|| ApiError::not_found("webhook"))?;
            let rows = webhooks::list_deliveries(conn, webhook_id, status.as_deref(), before, limit)?;
            let ids: Vec<i64> = rows.iter().take(limit as usize).map(|r| r.id).collect();
            let attempts = webhooks::attempts_of(conn, &ids)?;
            Ok((rows, attempts))
        })
        .await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| vec![r.id],
        |r| {
            let own = attempts.iter().filter(|a| a.delivery_id == r.id).cloned().collect();
            (r, own)
        },
    ))
}

/// Sends a delivery again now, by hand, with its original id; logged like any attempt. A
/// success marks a waiting delivery delivered; a failure changes neither its schedule nor the
/// subscription's failure count.
pub async fn redeliver(
    state: &AppState,
    principal: &Principal,
    webhook_id: i64,
    delivery_id: i64,
) -> ApiResult<(DeliveryRow, Vec<AttemptRow>)> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    let (webhook, delivery) = state
        .db
        .run(move |conn| {
            let webhook = webhooks::find(conn, ws, webhook_id)?.ok_or_else(|| ApiError::not_found("webhook"))?;
            let delivery = webhooks::find_delivery(conn, webhook_id, delivery_id)?
                .ok_or_else(|| ApiError::not_found("delivery"))?;
            Ok((webhook, delivery))
        })
        .await?;
    let outcome = state.webhooks.send(&webhook, &delivery, &state.metrics).await;
    let result = state
        .db
        .write(move |conn| {
            let now = now_ms();
            let succeeded = outcome.succeeded();
            let attempt = attempt_row(delivery.id, &outcome, true, now);
            let row = webhooks::record_attempt(conn, &delivery, &attempt, succeeded, delivery.next_attempt_at)?;
            if succeeded && delivery.status == STATUS_PENDING {
                webhooks::record_success(conn, webhook_id)?;
            }
            let attempts = webhooks::attempts_of(conn, &[row.id])?;
            Ok((row, attempts))
        })
        .await?;
    state.webhooks.wake();
    Ok(result)
}
