//! `/api/v1/webhooks`: subscriptions that receive workspace events as signed HTTP requests, and
//! the log of their deliveries (admins).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::domain::webhook_deliveries;
use crate::domain::webhooks::{self, NewWebhookInput, WebhookPatch};
use crate::error::ApiResult;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::webhooks::{AttemptRow, DeliveryRow, STATUS_DELIVERED, STATUS_PENDING, WebhookRow};
use crate::time::{opt_datetime, to_datetime};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookState {
    /// Receiving events.
    Active,
    /// Switched off by an admin: receives nothing, and on reactivation starts from then.
    Inactive,
    /// Paused after failing; resuming delivers what waited, in order.
    Paused,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    #[schema(example = "https://crm.example.com/livedesk")]
    pub url: String,
    pub description: String,
    /// Event types delivered (see the AsyncAPI document for their payloads).
    pub event_types: Vec<String>,
    /// Whether `message.*` events of internal notes are delivered.
    pub include_notes: bool,
    pub active: bool,
    pub state: WebhookState,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_reason: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for WebhookView {
    fn from(r: WebhookRow) -> Self {
        let state = match (r.active, r.paused_at) {
            (false, _) => WebhookState::Inactive,
            (true, Some(_)) => WebhookState::Paused,
            (true, None) => WebhookState::Active,
        };
        Self {
            event_types: r.event_types(),
            id: r.id,
            url: r.url,
            description: r.description,
            include_notes: r.include_notes,
            active: r.active,
            state,
            paused_at: opt_datetime(r.paused_at),
            paused_reason: r.paused_reason,
            consecutive_failures: r.consecutive_failures,
            created_at: to_datetime(r.created_at),
            updated_at: to_datetime(r.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWebhookRequest {
    /// Where to POST events (http or https).
    #[schema(example = "https://crm.example.com/livedesk", max_length = 2048)]
    pub url: String,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    #[schema(min_items = 1, max_items = 64, example = json!(["message.created", "dialog.closed"]))]
    pub event_types: Vec<String>,
    /// Deliver internal notes too (default false): they are never shown to visitors, so only
    /// operator tools should ask for them.
    pub include_notes: Option<bool>,
    /// Default true.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateWebhookRequest {
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    #[schema(min_items = 1, max_items = 64)]
    pub event_types: Option<Vec<String>>,
    pub include_notes: Option<bool>,
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    pub webhook: WebhookView,
    /// Signs every request (`Livedesk-Signature`); shown only in this answer.
    #[schema(example = "whsec_3fA9xQ2...")]
    pub secret: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet: waiting for its turn or its next retry.
    Pending,
    Delivered,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempted_at: DateTime<Utc>,
    /// Sent by hand (redeliver) rather than by the worker.
    pub manual: bool,
    /// The receiver's HTTP status; absent when no answer came.
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    /// The first KiB of the answer.
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

impl From<AttemptRow> for AttemptView {
    fn from(a: AttemptRow) -> Self {
        Self {
            attempted_at: to_datetime(a.attempted_at),
            manual: a.manual,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt,
            error: a.error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// Sent as `Livedesk-Delivery` and as `id` in the body; the same on every attempt.
    pub delivery_key: String,
    pub event_type: String,
    /// The event's position in the workspace's log.
    pub position: i64,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When a pending delivery is due next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The JSON body sent.
    #[schema(value_type = Object)]
    pub body: Value,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<AttemptView>,
}

impl From<(DeliveryRow, Vec<AttemptRow>)> for DeliveryView {
    fn from((d, attempts): (DeliveryRow, Vec<AttemptRow>)) -> Self {
        let pending = d.status == STATUS_PENDING;
        Self {
            id: d.id,
            delivery_key: d.delivery_key,
            event_type: d.event_type,
            position: d.position,
            status: if pending { DeliveryStatus::Pending } else { DeliveryStatus::Delivered },
            attempts: d.attempts,
            next_attempt_at: pending.then(|| to_datetime(d.next_attempt_at)),
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: to_datetime(d.created_at),
            delivered_at: opt_datetime(d.delivered_at),
            body: serde_json::from_str(&d.body).unwrap_or(Value::Null),
            attempt_log: attempts.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
}

/// List webhook subscriptions (admins).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    params(PageParams),
    responses(
        (status = 200, description = "A page of subscriptions", body = Page<WebhookView>),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<WebhookView>>> {
    Ok(web::Json(webhooks::list(&state, &auth, page.into_inner()).await?.map(Into::into)))
}

/// Create a webhook subscription (admins). The signing secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks",
    request_body = CreateWebhookRequest,
    responses(
        (status = 201, description = "Subscription created; events from now on are delivered", body = WebhookWithSecret),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<CreateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = NewWebhookInput {
        url: b.url,
        description: b.description,
        event_types: b.event_types,
        include_notes: b.include_notes.unwrap_or(false),
        active: b.active.unwrap_or(true),
    };
    let (row, secret) = webhooks::create(&state, &auth, input).await?;
    Ok(HttpResponse::Created().json(WebhookWithSecret { webhook: row.into(), secret }))
}

/// A webhook subscription (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The subscription", body = WebhookView),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<WebhookView>> {
    Ok(web::Json(webhooks::get(&state, &auth, id.into_inner()).await?.into()))
}

/// Change a webhook subscription (admins). Reactivating starts from the newest event.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    request_body = UpdateWebhookRequest,
    responses(
        (status = 200, description = "The changed subscription", body = WebhookView),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<UpdateWebhookRequest>,
) -> ApiResult<web::Json<WebhookView>> {
    let b = body.into_inner();
    let patch = WebhookPatch {
        url: b.url,
        description: b.description,
        event_types: b.event_types,
        include_notes: b.include_notes,
        active: b.active,
    };
    Ok(web::Json(webhooks::update(&state, &auth, id.into_inner(), patch).await?.into()))
}

/// Delete a webhook subscription and its delivery log (admins).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    webhooks::delete(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replace the signing secret (admins); the new one is in this answer only.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The new secret", body = WebhookWithSecret),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> ApiResult<web::Json<WebhookWithSecret>> {
    let (row, secret) = webhooks::rotate_secret(&state, &auth, id.into_inner()).await?;
    Ok(web::Json(WebhookWithSecret { webhook: row.into(), secret }))
}

/// Resume a paused subscription (admins): waiting deliveries go out at once, in order.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/resume", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The subscription, no longer paused", body = WebhookView),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn resume(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<WebhookView>> {
    Ok(web::Json(webhooks::resume(&state, &auth, id.into_inner()).await?.into()))
}

/// The deliveries of a subscription, newest first, with every attempt (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), DeliveryFilter, PageParams),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<DeliveryView>),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn deliveries(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    filter: web::Query<DeliveryFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<DeliveryView>>> {
    let status = filter.status.map(|s| match s {
        DeliveryStatus::Pending => STATUS_PENDING.to_string(),
        DeliveryStatus::Delivered => STATUS_DELIVERED.to_string(),
    });
    let page = webhook_deliveries::list(&state, &auth, id.into_inner(), status, page.into_inner()).await?;
    Ok(web::Json(page.map(Into::into)))
}

/// Send a delivery again now, with its original id (admins). The answer holds the new attempt.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), ("delivery_id" = i64, Path, description = "Delivery id")),
    responses(
        (status = 200, description = "Sent; `attempt_log` ends with this attempt, successful or not", body = DeliveryView),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn redeliver(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, i64)>,
) -> ApiResult<web::Json<DeliveryView>> {
    let (id, delivery_id) = path.into_inner();
    let result = webhook_deliveries::redeliver(&state, &auth, id, delivery_id).await?;
    Ok(web::Json(result.into()))
}
