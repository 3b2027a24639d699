//! Webhook subscriptions, their deliveries and the attempts to send them.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{webhook_attempts, webhook_deliveries, webhooks};

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_DELIVERED: &str = "delivered";

#[derive(Debug, Clone, Queryable)]
pub struct WebhookRow {
    pub id: i64,
    pub workspace_id: i64,
    pub url: String,
    pub description: String,
    /// JSON array of event types.
    pub event_types: String,
    pub include_notes: bool,
    pub active: bool,
    pub secret: String,
    pub log_position: i64,
    pub consecutive_failures: i32,
    pub failing_since: Option<i64>,
    pub paused_at: Option<i64>,
    pub paused_reason: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookRow {
    pub fn event_types(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook<'a> {
    pub workspace_id: i64,
    pub url: &'a str,
    pub description: &'a str,
    pub event_types: &'a str,
    pub include_notes: bool,
    pub active: bool,
    pub secret: &'a str,
    pub log_position: i64,
    pub consecutive_failures: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<String>,
    pub include_notes: Option<bool>,
    pub active: Option<bool>,
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub workspace_id: i64,
    pub delivery_key: String,
    pub position: i64,
    pub event_type: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery {
    pub webhook_id: i64,
    pub workspace_id: i64,
    pub delivery_key: String,
    pub position: i64,
    pub event_type: String,
    pub body: String,
    pub status: &'static str,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable)]
pub struct AttemptRow {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: i64,
    pub manual: bool,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct NewAttempt {
    pub delivery_id: i64,
    pub attempted_at: i64,
    pub manual: bool,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

pub fn insert(conn: &mut DbConn, new: &NewWebhook<'_>) -> QueryResult<WebhookRow> {
    diesel::insert_into(webhooks::table).values(new).returning(webhooks::all_columns).get_result(conn)
}

pub fn find(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Option<WebhookRow>> {
    webhooks::table.filter(webhooks::id.eq(id)).filter(webhooks::workspace_id.eq(workspace_id)).first(conn).optional()
}

pub fn get(conn: &mut DbConn, id: i64) -> QueryResult<Option<WebhookRow>> {
    webhooks::table.find(id).first(conn).optional()
}

pub fn list(conn: &mut DbConn, workspace_id: i64, after_id: Option<i64>, limit: i64) -> QueryResult<Vec<WebhookRow>> {
    let mut query = webhooks::table.filter(webhooks::workspace_id.eq(workspace_id)).into_boxed();
    if let Some(after) = after_id {
        query = query.filter(webhooks::id.gt(after));
    }
    query.order(webhooks::id.asc()).limit(limit + 1).load(conn)
}

pub fn update(conn: &mut DbConn, id: i64, changes: &WebhookChanges) -> QueryResult<WebhookRow> {
    diesel::update(webhooks::table.find(id)).set(changes).returning(webhooks::all_columns).get_result(conn)
}

pub fn set_secret(conn: &mut DbConn, id: i64, secret: &str, now: i64) -> QueryResult<WebhookRow> {
    diesel::update(webhooks::table.find(id))
        .set((webhooks::secret.eq(secret), webhooks::updated_at.eq(now)))
        .returning(webhooks::all_columns)
        .get_result(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(webhooks::table.find(id)).execute(conn)?;
    Ok(())
}

/// Subscriptions that may have work: active, not paused, not leased by a live node.
pub fn runnable(conn: &mut DbConn, now: i64, limit: i64) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .filter(webhooks::active.eq(true))
        .filter(webhooks::paused_at.is_null())
        .filter(webhooks::lease_until.is_null().or(webhooks::lease_until.lt(now)))
        .order(webhooks::id.asc())
        .limit(limit)
        .load(conn)
}

/// Whether the subscription has anything to do: events after its position, or a delivery due.
/// Read-only, so idle subscriptions cost no write transaction per pass.
pub fn has_work(conn: &mut DbConn, webhook: &WebhookRow, now: i64) -> QueryResult<bool> {
    if super::events::head(conn, webhook.workspace_id)? > webhook.log_position {
        return Ok(true);
    }
    let due = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook.id))
        .filter(webhook_deliveries::status.eq(STATUS_PENDING))
        .order(webhook_deliveries::id.asc())
        .select(webhook_deliveries::next_attempt_at)
        .first::<i64>(conn)
        .optional()?;
    Ok(due.is_some_and(|at| at <= now))
}

/// Takes the subscription's lease for `owner` unless another node holds a live one.
pub fn claim(conn: &mut DbConn, id: i64, owner: &str, now: i64, until: i64) -> QueryResult<bool> {
    let taken = diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::active.eq(true))
            .filter(webhooks::paused_at.is_null())
            .filter(
                webhooks::lease_until.is_null().or(webhooks::lease_until.lt(now)).or(webhooks::lease_owner.eq(owner)),
            ),
    )
    .set((webhooks::lease_owner.eq(owner), webhooks::lease_until.eq(until)))
    .execute(conn)?;
    Ok(taken == 1)
}

pub fn release(conn: &mut DbConn, id: i64, owner: &str) -> QueryResult<()> {
    diesel::update(webhooks::table.filter(webhooks::id.eq(id)).filter(webhooks::lease_owner.eq(owner)))
        .set((webhooks::lease_owner.eq(None::<String>), webhooks::lease_until.eq(None::<i64>)))
        .execute(conn)?;
    Ok(())
}

/// Moves the position from `from` to `to`; false when someone else moved it first.
pub fn advance_log_position(conn: &mut DbConn, id: i64, from: i64, to: i64) -> QueryResult<bool> {
    let moved = diesel::update(webhooks::table.filter(webhooks::id.eq(id)).filter(webhooks::log_position.eq(from)))
        .set(webhooks::log_position.eq(to))
        .execute(conn)?;
    Ok(moved == 1)
}

pub fn set_log_position(conn: &mut DbConn, id: i64, position: i64) -> QueryResult<()> {
    diesel::update(webhooks::table.find(id)).set(webhooks::log_position.eq(position)).execute(conn)?;
    Ok(())
}

/// A success: the failure streak ends.
pub fn record_success(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::update(webhooks::table.find(id))
        .set((webhooks::consecutive_failures.eq(0), webhooks::failing_since.eq(None::<i64>)))
        .execute(conn)?;
    Ok(())
}

/// A failure: the streak grows; returns the subscription as it is now.
pub fn record_failure(conn: &mut DbConn, id: i64, now: i64) -> QueryResult<WebhookRow> {
    let row: WebhookRow = webhooks::table.find(id).first(conn)?;
    diesel::update(webhooks::table.find(id))
        .set((
            webhooks::consecutive_failures.eq(row.consecutive_failures + 1),
            webhooks::failing_since.eq(row.failing_since.unwrap_or(now)),
        ))
        .returning(webhooks::all_columns)
        .get_result(conn)
}

pub fn pause(conn: &mut DbConn, id: i64, reason: &str, now: i64) -> QueryResult<WebhookRow> {
    diesel::update(webhooks::table.find(id))
        .set((webhooks::paused_at.eq(now), webhooks::paused_reason.eq(reason), webhooks::updated_at.eq(now)))
        .returning(webhooks::all_columns)
        .get_result(conn)
}

/// Ends a pause: the streak starts over and the waiting delivery is due at once.
pub fn resume(conn: &mut DbConn, id: i64, now: i64) -> QueryResult<WebhookRow> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .filter(webhook_deliveries::status.eq(STATUS_PENDING)),
    )
    .set(webhook_deliveries::next_attempt_at.eq(now))
    .execute(conn)?;
    diesel::update(webhooks::table.find(id))
        .set((
            webhooks::paused_at.eq(None::<i64>),
            webhooks::paused_reason.eq(None::<String>),
            webhooks::consecutive_failures.eq(0),
            webhooks::failing_since.eq(None::<i64>),
            webhooks::updated_at.eq(now),
        ))
        .returning(webhooks::all_columns)
        .get_result(conn)
}

pub fn insert_deliveries(conn: &mut DbConn, rows: &[NewDelivery]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    crate::typed!(conn => { diesel::insert_into(webhook_deliveries::table).values(rows).execute(conn) })?;
    Ok(())
}

/// The oldest delivery of the subscription not yet delivered: deliveries go out in log order.
pub fn next_pending(conn: &mut DbConn, webhook_id: i64) -> QueryResult<Option<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .filter(webhook_deliveries::status.eq(STATUS_PENDING))
        .order(webhook_deliveries::id.asc())
        .first(conn)
        .optional()
}

pub fn find_delivery(conn: &mut DbConn, webhook_id: i64, id: i64) -> QueryResult<Option<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .first(conn)
        .optional()
}

/// Deliveries of a subscription, newest first.
pub fn list_deliveries(
    conn: &mut DbConn,
    webhook_id: i64,
    status: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut query = webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(webhook_id)).into_boxed();
    if let Some(status) = status {
        query = query.filter(webhook_deliveries::status.eq(status.to_string()));
    }
    if let Some(before) = before_id {
        query = query.filter(webhook_deliveries::id.lt(before));
    }
    query.order(webhook_deliveries::id.desc()).limit(limit + 1).load(conn)
}

/// The attempts of these deliveries, oldest first.
pub fn attempts_of(conn: &mut DbConn, delivery_ids: &[i64]) -> QueryResult<Vec<AttemptRow>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(delivery_ids))
        .order((webhook_attempts::delivery_id.asc(), webhook_attempts::id.asc()))
        .load(conn)
}

/// Logs an attempt and moves the delivery on: delivered, or due again at `retry_at`.
pub fn record_attempt(
    conn: &mut DbConn,
    delivery: &DeliveryRow,
    attempt: &NewAttempt,
    succeeded: bool,
    retry_at: i64,
) -> QueryResult<DeliveryRow> {
    diesel::insert_into(webhook_attempts::table).values(attempt).execute(conn)?;
    let target = webhook_deliveries::table.find(delivery.id);
    let attempts = webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1);
    let code = webhook_deliveries::last_status_code.eq(attempt.status_code);
    let error = webhook_deliveries::last_error.eq(attempt.error.clone());
    if succeeded {
        diesel::update(target)
            .set((
                attempts,
                code,
                error,
                webhook_deliveries::status.eq(STATUS_DELIVERED),
                webhook_deliveries::delivered_at.eq(delivery.delivered_at.unwrap_or(attempt.attempted_at)),
            ))
            .returning(webhook_deliveries::all_columns)
            .get_result(conn)
    } else if delivery.status == STATUS_PENDING {
        diesel::update(target)
            .set((attempts, code, error, webhook_deliveries::next_attempt_at.eq(retry_at)))
            .returning(webhook_deliveries::all_columns)
            .get_result(conn)
    } else {
        // A failed redelivery of a delivered event leaves it delivered.
        diesel::update(target).set((attempts, code, error)).returning(webhook_deliveries::all_columns).get_result(conn)
    }
}

/// Deletes up to `limit` deliveries delivered before `before` (their attempts go with them).
pub fn prune_delivered(conn: &mut DbConn, before: i64, limit: i64) -> QueryResult<usize> {
    let doomed: Vec<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::delivered_at.lt(before))
        .select(webhook_deliveries::id)
        .order(webhook_deliveries::delivered_at.asc())
        .limit(limit)
        .load(conn)?;
    if doomed.is_empty() {
        return Ok(0);
    }
    diesel::delete(webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(&doomed))).execute(conn)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&doomed))).execute(conn)
}
