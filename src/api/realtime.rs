//! The sockets (`/api/v1/ws`, `/api/v1/widget/ws`), the REST catch-up over the same event log
//! (`events`), operator presence and notification settings.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::auth::extract::bearer_token;
use crate::auth::visitor::VisitorAuth;
use crate::domain::notifications::{self, ChatNotificationSettings, NotificationSettings};
use crate::domain::presence::{self, PresenceStatus, PresenceView};
use crate::error::{ApiError, ApiResult};
use crate::realtime::hub::Viewer;
use crate::realtime::protocol::EventFrame;
use crate::realtime::session::{self, Peer};
use crate::state::AppState;
use crate::store::events;
use crate::time::to_datetime;

/// Largest client frame, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
const DEFAULT_EVENT_PAGE: i64 = 100;
const MAX_EVENT_PAGE: i64 = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SocketParams {
    /// The last log position the client saw: everything after it is sent first.
    #[param(minimum = 0)]
    pub since: Option<i64>,
    /// The token, for clients that cannot set an Authorization header on a socket (browsers).
    #[param(max_length = 4096)]
    pub access_token: Option<String>,
}

fn socket_token(req: &HttpRequest, params: &SocketParams) -> ApiResult<String> {
    match &params.access_token {
        Some(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
        _ => bearer_token(req),
    }
}

fn upgrade(
    req: &HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    peer: Peer,
    since: Option<i64>,
) -> ApiResult<HttpResponse> {
    let (response, session, stream) = actix_ws::handle(req, body)
        .map_err(|_| ApiError::bad_request("websocket_required", "this endpoint needs a WebSocket upgrade request"))?;
    let stream = stream.max_frame_size(MAX_FRAME_BYTES);
    actix_web::rt::spawn(session::run(state.get_ref().clone(), peer, since, session, stream));
    Ok(response)
}

/// The operator socket. Authenticate with `Authorization: Bearer` (access token or API key) or
/// `?access_token=`; failures answer before the upgrade. Frames and close codes are described
/// in openapi/asyncapi.json.
#[utoipa::path(get, path = "/api/v1/ws", tag = "realtime", params(SocketParams),
    responses((status = 101, description = "Switching to the WebSocket protocol")),
    security(("bearer" = [])))]
pub async fn operator_socket(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    params: web::Query<SocketParams>,
) -> ApiResult<HttpResponse> {
    let peer = Peer::operator(&state, socket_token(&req, &params)?).await?;
    upgrade(&req, body, state, peer, params.since)
}

/// The visitor socket, with the visitor token as a Bearer header or `?access_token=`.
#[utoipa::path(get, path = "/api/v1/widget/ws", tag = "realtime", params(SocketParams),
    responses((status = 101, description = "Switching to the WebSocket protocol")),
    security(("visitor" = [])))]
pub async fn visitor_socket(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    params: web::Query<SocketParams>,
) -> ApiResult<HttpResponse> {
    let peer = Peer::visitor(&state, socket_token(&req, &params)?).await?;
    upgrade(&req, body, state, peer, params.since)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// The last position seen (0 for the start of the log).
    #[param(minimum = 0)]
    pub since: i64,
    /// Events to read, 1..=500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A page of the event log.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsPage {
    /// The events after `since` the caller may see, oldest first.
    pub events: Vec<EventFrame>,
    /// Pass this as the next `since`.
    pub position: i64,
    /// The newest position of the log.
    pub head: i64,
    /// More events follow `position`.
    pub has_more: bool,
    /// `since` is older than the oldest kept event (or newer than the head), or, for a visitor,
    /// more than the replay window (`LIVEDESK_VISITOR_REPLAY_WINDOW`) behind the head: reload
    /// state through REST and continue from `position`.
    pub resync_required: bool,
}

async fn events_page(state: &AppState, ws: i64, viewer: Viewer, params: &EventsParams) -> ApiResult<EventsPage> {
    let limit = params.limit.unwrap_or(DEFAULT_EVENT_PAGE);
    if !(1..=MAX_EVENT_PAGE).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", "limit must be between 1 and 500"));
    }
    if params.since < 0 {
        return Err(ApiError::bad_request("invalid_query", "since must not be negative"));
    }
    let since = params.since;
    let visitor_window = state.config.visitor_replay_window;
    state
        .db
        .run(move |conn| {
            let head = events::head(conn, ws)?;
            let oldest = events::oldest(conn, ws)?;
            if viewer.must_resync(since, head, oldest, visitor_window) {
                return Ok(EventsPage {
                    events: Vec::new(),
                    position: head,
                    head,
                    has_more: false,
                    resync_required: true,
                });
            }
            let rows = match viewer {
                Viewer::Visitor { visitor_id } => events::since_for_visitor(conn, ws, visitor_id, since, limit)?,
                Viewer::Operator { .. } => events::since(conn, ws, since, limit)?,
            };
            let has_more = rows.len() as i64 == limit;
            let position = if has_more { rows.last().map_or(since, |r| r.position) } else { head.max(since) };
            let events = rows
                .into_iter()
                .filter(|r| viewer.may_see(r))
                .map(|r| EventFrame {
                    data: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
                    event_type: r.event_type,
                    position: r.position,
                    created_at: to_datetime(r.created_at),
                })
                .collect();
            Ok(EventsPage { events, position, head, has_more, resync_required: false })
        })
        .await
}

/// Catch-up without a socket: the workspace's events after `since`.
#[utoipa::path(get, path = "/api/v1/events", tag = "realtime", params(EventsParams),
    responses((status = 200, description = "A page of events", body = EventsPage)),
    security(("bearer" = [])))]
pub async fn operator_events(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<EventsParams>,
) -> ApiResult<web::Json<EventsPage>> {
    let viewer = Viewer::Operator { operator_id: auth.operator_id, role: auth.role };
    Ok(web::Json(events_page(&state, auth.workspace_id, viewer, &params).await?))
}

/// Catch-up without a socket: the visitor's own events after `since`.
#[utoipa::path(get, path = "/api/v1/widget/events", tag = "widget", params(EventsParams),
    responses((status = 200, description = "A page of events", body = EventsPage)),
    security(("visitor" = [])))]
pub async fn visitor_events(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    params: web::Query<EventsParams>,
) -> ApiResult<web::Json<EventsPage>> {
    let viewer = Viewer::Visitor { visitor_id: visitor.visitor_id };
    Ok(web::Json(events_page(&state, visitor.workspace_id, viewer, &params).await?))
}

/// Presence of the workspace's operators (those who ever connected).
#[utoipa::path(get, path = "/api/v1/presence", tag = "realtime",
    responses((status = 200, description = "Presence of each operator", body = Vec<PresenceView>)),
    security(("bearer" = [])))]
pub async fn list_presence(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<PresenceView>>> {
    Ok(web::Json(presence::list(&state, &auth).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetPresenceRequest {
    /// `online`, `away`, or `offline` (invisible).
    pub status: PresenceStatus,
}

/// Choose a status; colleagues see it while one of the operator's sockets is connected.
#[utoipa::path(put, path = "/api/v1/me/presence", tag = "me", request_body = SetPresenceRequest,
    responses((status = 200, description = "The operator's presence", body = PresenceView)),
    security(("bearer" = [])))]
pub async fn set_presence(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<SetPresenceRequest>,
) -> ApiResult<web::Json<PresenceView>> {
    Ok(web::Json(presence::set_manual(&state, &auth, body.status).await?))
}

/// The caller's notification settings for every chat (defaults where never set).
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "me",
    responses((status = 200, description = "Settings per chat", body = Vec<ChatNotificationSettings>)),
    security(("bearer" = [])))]
pub async fn list_notifications(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<Vec<ChatNotificationSettings>>> {
    Ok(web::Json(notifications::list(&state, &auth).await?))
}

/// Set which dialogs of a chat notify the caller, and how.
#[utoipa::path(put, path = "/api/v1/me/notifications/{chat_id}", tag = "me",
    params(("chat_id" = i64, Path, description = "Chat id")),
    request_body = NotificationSettings,
    responses((status = 200, description = "The stored settings", body = ChatNotificationSettings)),
    security(("bearer" = [])))]
pub async fn update_notifications(
    state: web::Data<AppState>,
    auth: Auth,
    chat_id: web::Path<i64>,
    body: web::Json<NotificationSettings>,
) -> ApiResult<web::Json<ChatNotificationSettings>> {
    Ok(web::Json(notifications::update(&state, &auth, chat_id.into_inner(), body.into_inner()).await?))
}
