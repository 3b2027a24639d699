//! Webhook subscriptions (admins): where events go, which ones, and the secret that signs them.
//! The secret is shown on creation and rotation only, and kept as issued: signing needs it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Principal, secret};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::events;
use crate::store::webhooks::{self, NewWebhook, WebhookChanges, WebhookRow};
use crate::time::now_ms;
use crate::validate::Validator;

use super::events::EVENT_TYPES;

pub const SECRET_PREFIX: &str = "whsec";
const MAX_DESCRIPTION: usize = 200;

/// Payload of `webhook.paused` (admins only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookPausedEvent {
    pub webhook_id: i64,
    pub url: String,
    /// Why it was paused, e.g. the last error.
    pub reason: String,
    pub consecutive_failures: i32,
}

pub struct NewWebhookInput {
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub include_notes: bool,
    pub active: bool,
}

#[derive(Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub include_notes: Option<bool>,
    pub active: Option<bool>,
}

/// The event types in the order given, once each; unknown ones are a field error.
fn check_event_types(v: &mut Validator, types: &[String]) -> String {
    v.check(!types.is_empty(), "event_types", "required", "must name at least one event type");
    let mut unique: Vec<&str> = Vec::new();
    for t in types {
        if !EVENT_TYPES.contains(&t.as_str()) {
            v.add(
                "event_types",
                "unknown_event_type",
                format!("'{}' is not an event type", t.chars().take(60).collect::<String>()),
            );
        } else if !unique.contains(&t.as_str()) {
            unique.push(t);
        }
    }
    serde_json::to_string(&unique).expect("strings serialise")
}

fn check_url(state: &AppState, v: &mut Validator, url: &str) {
    v.url("url", url);
    if !state.config.webhooks.allow_private
        && let Ok(parsed) = reqwest::Url::parse(url.trim())
        && let Some(Ok(ip)) = parsed.host_str().map(|h| h.trim_matches(['[', ']']).parse())
        && !crate::jobs::webhook_sender::is_public(ip)
    {
        v.add("url", "private_address", "must not point at a loopback, private or link-local address");
    }
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    input: NewWebhookInput,
) -> ApiResult<(WebhookRow, String)> {
    principal.require_admin()?;
    let mut v = Validator::new();
    check_url(state, &mut v, &input.url);
    v.opt_text("description", input.description.as_deref(), MAX_DESCRIPTION);
    let event_types = check_event_types(&mut v, &input.event_types);
    v.finish()?;
    let secret = secret::generate(SECRET_PREFIX);
    let ws = principal.workspace_id;
    let stored_secret = secret.clone();
    let row = state
        .db
        .write(move |conn| {
            let now = now_ms();
            // Events from now on: the log before the subscription existed is not replayed.
            let head = events::head(conn, ws)?;
            Ok(webhooks::insert(
                conn,
                &NewWebhook {
                    workspace_id: ws,
                    url: input.url.trim(),
                    description: input.description.as_deref().map(str::trim).unwrap_or(""),
                    event_types: &event_types,
                    include_notes: input.include_notes,
                    active: input.active,
                    secret: &stored_secret,
                    log_position: head,
                    consecutive_failures: 0,
                    created_at: now,
                    updated_at: now,
                },
            )?)
        })
        .await?;
    Ok((row, secret))
}

pub async fn list(state: &AppState, principal: &Principal, page: PageParams) -> ApiResult<Page<WebhookRow>> {
    principal.require_admin()?;
    let limit = page.limit()?;
    let after = page.cursor(1)?.map(|c| c[0]);
    let ws = principal.workspace_id;
    let rows = state.db.run(move |conn| Ok(webhooks::list(conn, ws, after, limit)?)).await?;
    Ok(Page::from_rows(rows, limit, |r| vec![r.id], |r| r))
}

/// The workspace's subscription, for an admin; 404 for another workspace's.
pub async fn get(state: &AppState, principal: &Principal, id: i64) -> ApiResult<WebhookRow> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    state.db.run(move |conn| webhooks::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("webhook"))).await
}

pub async fn update(state: &AppState, principal: &Principal, id: i64, patch: WebhookPatch) -> ApiResult<WebhookRow> {
    principal.require_admin()?;
    let mut v = Validator::new();
    if let Some(url) = &patch.url {
        check_url(state, &mut v, url);
    }
    v.opt_text("description", patch.description.as_deref(), MAX_DESCRIPTION);
    let event_types = patch.event_types.as_ref().map(|t| check_event_types(&mut v, t));
    v.finish()?;
    let ws = principal.workspace_id;
    let row = state
        .db
        .write(move |conn| {
            let current = webhooks::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("webhook"))?;
            let now = now_ms();
            if patch.active == Some(true) && !current.active {
                // An inactive subscription receives nothing: it starts again from now.
                let head = events::head(conn, ws)?;
                webhooks::set_log_position(conn, id, head)?;
            }
            let changes = WebhookChanges {
                url: patch.url.map(|u| u.trim().to_string()),
                description: patch.description.map(|d| d.trim().to_string()),
                event_types,
                include_notes: patch.include_notes,
                active: patch.active,
                updated_at: Some(now),
            };
            Ok(webhooks::update(conn, id, &changes)?)
        })
        .await?;
    state.webhooks.wake();
    Ok(row)
}

pub async fn delete(state: &AppState, principal: &Principal, id: i64) -> ApiResult<()> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    state
        .db
        .write(move |conn| {
            webhooks::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("webhook"))?;
            Ok(webhooks::delete(conn, id)?)
        })
        .await
}

/// A new secret; the old one stops signing at once.
pub async fn rotate_secret(state: &AppState, principal: &Principal, id: i64) -> ApiResult<(WebhookRow, String)> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    let secret = secret::generate(SECRET_PREFIX);
    let stored = secret.clone();
    let row = state
        .db
        .write(move |conn| {
            webhooks::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("webhook"))?;
            Ok(webhooks::set_secret(conn, id, &stored, now_ms())?)
        })
        .await?;
    Ok((row, secret))
}

/// Ends a pause: delivery goes on from where it stopped.
pub async fn resume(state: &AppState, principal: &Principal, id: i64) -> ApiResult<WebhookRow> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    let row = state
        .db
        .write(move |conn| {
            webhooks::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("webhook"))?;
            Ok(webhooks::resume(conn, id, now_ms())?)
        })
        .await?;
    state.webhooks.wake();
    Ok(row)
}
