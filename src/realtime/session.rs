//! One socket: catch-up from the client's last position, then live events, client actions,
//! heartbeats and token checks, until either side closes.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use tokio::time::{Instant, interval, sleep_until};

use super::broker::Signal;
use super::hub::{Outbound, READ_BATCH, Subscription, Viewer};
use super::protocol::*;
use crate::auth::Principal;
use crate::auth::extract::authenticate;
use crate::auth::visitor::{VisitorPrincipal, authenticate_visitor};
use crate::domain::channel::Channel;
use crate::domain::events::MessageEvent;
use crate::domain::messages::{self, OperatorMessageInput, OperatorMessageKind, VisitorMessageInput};
use crate::domain::notifications::{self, OperatorPreferences};
use crate::domain::{dialogs, presence};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::model::message::{AuthorType, MessageKind};
use crate::rate_limit::FrameLimiter;
use crate::state::AppState;
use crate::store::events::{self, EventRow};
use crate::time::to_datetime;

/// A sender may announce typing in one dialog at most this often.
const TYPING_INTERVAL: Duration = Duration::from_secs(2);
/// Rejected frames in a row before the socket is closed.
const MAX_REJECTED: u32 = 50;
/// The `limit` label of refused frames in the metrics.
const SOCKET_FRAMES_LIMIT: &str = "socket_frames";
/// A client that takes longer than this to accept one frame is too slow.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Who connected, with the token to check again while connected.
#[derive(Clone)]
pub enum Peer {
    Operator { principal: Principal, token: String, expires_at: Option<i64> },
    Visitor { visitor: VisitorPrincipal, token: String },
}

impl Peer {
    /// An operator authenticated by an access token or API key.
    pub async fn operator(state: &AppState, token: String) -> Result<Self, ApiError> {
        let principal = authenticate(state, &token).await?;
        let expires_at = state.jwt.verify(&token).ok().map(|c| c.exp);
        Ok(Peer::Operator { principal, token, expires_at })
    }

    /// A visitor authenticated by a visitor token.
    pub async fn visitor(state: &AppState, token: String) -> Result<Self, ApiError> {
        let visitor = authenticate_visitor(state, &token).await?;
        Ok(Peer::Visitor { visitor, token })
    }

    fn workspace_id(&self) -> i64 {
        match self {
            Peer::Operator { principal, .. } => principal.workspace_id,
            Peer::Visitor { visitor, .. } => visitor.workspace_id,
        }
    }

    /// The `kind` label of the socket in the metrics.
    fn kind(&self) -> &'static str {
        match self {
            Peer::Operator { .. } => "operator",
            Peer::Visitor { .. } => "visitor",
        }
    }

    fn viewer(&self) -> Viewer {
        match self {
            Peer::Operator { principal, .. } => {
                Viewer::Operator { operator_id: principal.operator_id, role: principal.role }
            }
            Peer::Visitor { visitor, .. } => Viewer::Visitor { visitor_id: visitor.visitor_id },
        }
    }
}

/// Why the loop ended.
struct Close(u16, &'static str);

struct Socket {
    state: AppState,
    peer: Peer,
    session: Session,
    /// The newest position sent (or known to hold nothing for this client).
    last: i64,
    prefs: OperatorPreferences,
    typing_sent: HashMap<i64, Instant>,
    /// `None` when socket frames are not limited.
    frames: Option<FrameLimiter>,
    rejected: u32,
}

/// Counts the socket as open in the metrics for as long as it lives.
struct OpenSocket {
    metrics: Metrics,
    kind: &'static str,
}

impl OpenSocket {
    fn new(metrics: &Metrics, kind: &'static str) -> Self {
        metrics.socket_opened(kind);
        Self { metrics: metrics.clone(), kind }
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.metrics.socket_closed(self.kind);
    }
}

/// Runs the socket until it closes. `since` is the last position the client saw.
pub async fn run(state: AppState, peer: Peer, since: Option<i64>, session: Session, stream: MessageStream) {
    let _open = OpenSocket::new(&state.metrics, peer.kind());
    let operator = match &peer {
        Peer::Operator { principal, .. } => Some((principal.workspace_id, principal.operator_id)),
        Peer::Visitor { .. } => None,
    };
    if let Some((ws, op)) = operator
        && let Err(e) = presence::connection_changed(&state, ws, op, 1).await
    {
        tracing::warn!(error = %e, "could not record the operator's connection");
    }
    let mut socket = Socket {
        state: state.clone(),
        peer,
        session: session.clone(),
        last: 0,
        prefs: OperatorPreferences::default(),
        typing_sent: HashMap::new(),
        frames: frame_limiter(&state),
        rejected: 0,
    };
    let close = socket.serve(since, stream).await;
    let reason = CloseReason { code: CloseCode::from(close.0), description: Some(close.1.to_string()) };
    let _ = tokio::time::timeout(SEND_TIMEOUT, session.close(Some(reason))).await;
    if let Some((ws, op)) = operator
        && let Err(e) = presence::connection_changed(&state, ws, op, -1).await
    {
        tracing::warn!(error = %e, "could not record the operator's disconnection");
    }
}

impl Socket {
    async fn serve(&mut self, since: Option<i64>, stream: MessageStream) -> Close {
        match self.serve_until_closed(since, stream).await {
            Err(close) => close,
            Ok(never) => match never {},
        }
    }

    async fn serve_until_closed(
        &mut self,
        since: Option<i64>,
        mut stream: MessageStream,
    ) -> Result<std::convert::Infallible, Close> {
        let ws = self.peer.workspace_id();
        let mut sub = self.state.realtime.hub.subscribe(ws, self.peer.viewer()).await.map_err(|e| {
            tracing::warn!(error = %e, "socket could not join its feed");
            Close(CLOSE_SERVER_ERROR, "server error")
        })?;
        self.start(since, &sub).await?;
        let config = self.state.config.clone();
        let timeout = Duration::from_secs(config.ws_client_timeout_secs);
        let mut heartbeat = interval(Duration::from_secs(config.ws_heartbeat_secs));
        let mut revalidate = interval(Duration::from_secs(config.ws_revalidate_secs));
        revalidate.reset();
        let expires = match &self.peer {
            Peer::Operator { expires_at: Some(at), .. } => {
                let left = (*at - chrono::Utc::now().timestamp()).max(0) as u64;
                Some(Instant::now() + Duration::from_secs(left))
            }
            _ => None,
        };
        let mut heard = Instant::now();
        loop {
            tokio::select! {
                out = sub.rx.recv() => {
                    if sub.too_slow.load(Ordering::Acquire) {
                        return Err(Close(CLOSE_TOO_SLOW, "consumer too slow"));
                    }
                    let Some(out) = out else { return Err(Close(CLOSE_TOO_SLOW, "consumer too slow")) };
                    self.outbound(out).await?;
                }
                msg = stream.recv() => {
                    heard = Instant::now();
                    match msg {
                        None | Some(Ok(Message::Close(_))) => return Err(Close(CLOSE_NORMAL, "bye")),
                        Some(Ok(Message::Text(text))) => self.client_frame(&text).await?,
                        Some(Ok(Message::Binary(_))) => {
                            self.reject(None, "invalid_frame", "send JSON text frames").await?;
                        }
                        Some(Ok(Message::Ping(bytes))) => {
                            if self.session.pong(&bytes).await.is_err() {
                                return Err(Close(CLOSE_NORMAL, "gone"));
                            }
                        }
                        Some(Ok(_)) => {}
                        Some(Err(actix_ws::ProtocolError::Overflow)) => return Err(Close(CLOSE_TOO_BIG, "frame too large")),
                        Some(Err(_)) => return Err(Close(CLOSE_PROTOCOL_ERROR, "protocol error")),
                    }
                }
                _ = heartbeat.tick() => {
                    if heard.elapsed() > timeout {
                        return Err(Close(CLOSE_HEARTBEAT_TIMEOUT, "heartbeat timeout"));
                    }
                    if self.session.ping(b"").await.is_err() {
                        return Err(Close(CLOSE_NORMAL, "gone"));
                    }
                }
                _ = revalidate.tick() => {
                    self.revalidate().await?;
                }
                _ = sleep_until(expires.unwrap_or_else(far_future)), if expires.is_some() => {
                    return Err(Close(CLOSE_TOKEN_EXPIRED, "token expired"));
                }
            }
        }
    }

    /// Sends `welcome`, then either what the client missed since `since` or `resync_required`.
    async fn start(&mut self, since: Option<i64>, sub: &Subscription) -> Result<(), Close> {
        let ws = self.peer.workspace_id();
        if let Peer::Operator { principal, .. } = &self.peer {
            self.prefs = notifications::load(&self.state, ws, principal.operator_id).await.unwrap_or_default();
        }
        let (head, oldest) = self
            .state
            .db
            .run(move |conn| Ok((events::head(conn, ws)?, events::oldest(conn, ws)?)))
            .await
            .map_err(|_| Close(CLOSE_SERVER_ERROR, "server error"))?;
        let heartbeat_secs = self.state.config.ws_heartbeat_secs;
        self.send(&ServerFrame::Welcome(Welcome { position: head, heartbeat_secs })).await?;
        self.last = head.max(sub.live_from);
        let Some(since) = since else { return Ok(()) };
        if self.peer.viewer().must_resync(since, head, oldest, self.state.config.visitor_replay_window) {
            return self
                .send(&ServerFrame::ResyncRequired(ResyncRequired { position: self.last, oldest_position: oldest }))
                .await;
        }
        let mut after = since;
        loop {
            let viewer = self.peer.viewer();
            let rows = self
                .state
                .db
                .run(move |conn| {
                    Ok(match viewer {
                        Viewer::Visitor { visitor_id } => {
                            events::since_for_visitor(conn, ws, visitor_id, after, READ_BATCH)?
                        }
                        Viewer::Operator { .. } => events::since(conn, ws, after, READ_BATCH)?,
                    })
                })
                .await
                .map_err(|_| Close(CLOSE_SERVER_ERROR, "server error"))?;
            let full = rows.len() as i64 == READ_BATCH;
            for row in rows {
                after = row.position;
                if viewer.may_see(&row) {
                    self.event(&row).await?;
                }
            }
            if !full {
                break;
            }
        }
        // Everything up to the head was committed before the reads began, so it was seen.
        self.last = self.last.max(after);
        Ok(())
    }

    async fn outbound(&mut self, out: Outbound) -> Result<(), Close> {
        match out {
            Outbound::Event(event) if event.position > self.last => {
                self.last = event.position;
                self.event(&event).await
            }
            Outbound::Event(_) => Ok(()),
            Outbound::Typing(t) => self.send(&ServerFrame::Typing((*t).clone())).await,
            Outbound::PreferencesChanged => {
                if let Peer::Operator { principal, .. } = &self.peer
                    && let Ok(prefs) =
                        notifications::load(&self.state, principal.workspace_id, principal.operator_id).await
                {
                    self.prefs = prefs;
                }
                Ok(())
            }
        }
    }

    /// Sends a logged event, and the notification it makes for an operator.
    async fn event(&mut self, row: &EventRow) -> Result<(), Close> {
        let data = serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null);
        let frame = EventFrame {
            event_type: row.event_type.clone(),
            position: row.position,
            created_at: to_datetime(row.created_at),
            data,
        };
        self.send_text(serde_json::to_string(&frame).unwrap_or_default()).await?;
        if let Some(n) = self.notification(row) {
            self.send(&ServerFrame::Notification(n)).await?;
        }
        Ok(())
    }

    fn notification(&self, row: &EventRow) -> Option<Notification> {
        let Peer::Operator { principal, .. } = &self.peer else { return None };
        if row.event_type != crate::domain::events::MESSAGE_CREATED {
            return None;
        }
        let payload: MessageEvent = serde_json::from_str(&row.payload).ok()?;
        let from_visitor =
            payload.message.author.author_type == AuthorType::Visitor && payload.message.kind == MessageKind::Message;
        if !from_visitor || !self.prefs.notifies(principal.operator_id, &payload.dialog) {
            return None;
        }
        let kind =
            if payload.dialog.message_count <= 1 { NotificationKind::NewDialog } else { NotificationKind::NewMessage };
        Some(Notification { position: row.position, kind, dialog: payload.dialog, message: payload.message })
    }

    async fn send(&mut self, frame: &ServerFrame) -> Result<(), Close> {
        self.send_text(frame.to_text()).await
    }

    async fn send_text(&mut self, text: String) -> Result<(), Close> {
        match tokio::time::timeout(SEND_TIMEOUT, self.session.text(text)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Close(CLOSE_NORMAL, "gone")),
            Err(_) => Err(Close(CLOSE_TOO_SLOW, "consumer too slow")),
        }
    }

    /// Answers a frame that could not be carried out; too many in a row close the socket.
    async fn reject(&mut self, reference: Option<String>, code: &str, detail: impl Into<String>) -> Result<(), Close> {
        self.rejected += 1;
        if self.rejected > MAX_REJECTED {
            return Err(Close(CLOSE_RATE_LIMITED, "too many rejected frames"));
        }
        self.send(&ServerFrame::error(reference, code, detail)).await
    }

    async fn client_frame(&mut self, text: &str) -> Result<(), Close> {
        if self.frames.as_mut().is_some_and(|limiter| !limiter.allow()) {
            self.state.metrics.rate_limited(SOCKET_FRAMES_LIMIT);
            return self.reject(None, "rate_limited", "too many frames; slow down").await;
        }
        let frame = match ClientFrame::parse(text) {
            Ok(f) => f,
            Err(e) => return self.reject(None, "invalid_frame", e).await,
        };
        let (reference, result) = match frame {
            ClientFrame::Ping(p) => return self.send(&ServerFrame::Pong(Pong { reference: p.reference })).await,
            ClientFrame::Typing(t) => (None, self.typing(t.dialog_id).await),
            ClientFrame::Send(f) => {
                let reference = f.reference.clone();
                (reference, self.send_message(f).await)
            }
            ClientFrame::Read(f) => (f.reference.clone(), self.read(f).await),
            ClientFrame::Presence(f) => (f.reference.clone(), self.presence(f).await),
        };
        match result {
            Ok(Some(frame)) => {
                self.rejected = 0;
                self.send(&frame).await
            }
            Ok(None) => {
                self.rejected = 0;
                Ok(())
            }
            Err(e) => {
                if e.status().is_server_error() {
                    tracing::error!(error = %e, "socket action failed");
                }
                let problem = e.problem();
                self.reject(reference, &problem.code, problem.detail).await
            }
        }
    }

    async fn send_message(&mut self, f: SendFrame) -> Result<Option<ServerFrame>, ApiError> {
        let sent = match &self.peer {
            Peer::Operator { principal, .. } => {
                let dialog_id = f.dialog_id.ok_or_else(|| {
                    ApiError::invalid_field("dialog_id", "required", "operators name the dialog to write in")
                })?;
                let kind = if f.note { OperatorMessageKind::Note } else { OperatorMessageKind::Message };
                let input = OperatorMessageInput {
                    kind,
                    body: f.body,
                    client_id: f.client_id,
                    channel: None,
                    attachment_ids: f.attachment_ids,
                };
                messages::send_as_operator(&self.state, principal, dialog_id, input).await?
            }
            Peer::Visitor { visitor, .. } => {
                if f.note {
                    return Err(ApiError::invalid_field("note", "not_allowed", "visitors cannot write notes"));
                }
                let input = VisitorMessageInput {
                    body: f.body,
                    client_id: f.client_id,
                    channel: Channel::Web,
                    attachment_ids: f.attachment_ids,
                };
                messages::send_as_visitor(&self.state, visitor, input).await?
            }
        };
        Ok(Some(ServerFrame::Ack(Ack {
            reference: f.reference,
            message: Some(sent.message),
            dialog: Some(sent.dialog),
            created: sent.created,
        })))
    }

    async fn read(&mut self, f: ReadFrame) -> Result<Option<ServerFrame>, ApiError> {
        let dialog = match &self.peer {
            Peer::Operator { principal, .. } => {
                dialogs::mark_read_by_operators(&self.state, principal, f.dialog_id, f.message_id).await?;
                None
            }
            Peer::Visitor { visitor, .. } => {
                Some(messages::mark_read_by_visitor(&self.state, visitor, f.dialog_id, f.message_id).await?.0)
            }
        };
        Ok(Some(ServerFrame::Ack(Ack { reference: f.reference, message: None, dialog, created: false })))
    }

    async fn presence(&mut self, f: PresenceFrame) -> Result<Option<ServerFrame>, ApiError> {
        let Peer::Operator { principal, .. } = &self.peer else {
            return Err(ApiError::forbidden("only operators have a presence"));
        };
        presence::set_manual(&self.state, principal, f.status).await?;
        Ok(Some(ServerFrame::Ack(Ack { reference: f.reference, message: None, dialog: None, created: false })))
    }

    /// Announces typing, at most every [`TYPING_INTERVAL`] per dialog; extra frames are ignored.
    async fn typing(&mut self, dialog_id: i64) -> Result<Option<ServerFrame>, ApiError> {
        if self.typing_sent.get(&dialog_id).is_some_and(|at| at.elapsed() < TYPING_INTERVAL) {
            return Ok(None);
        }
        let ws = self.peer.workspace_id();
        let typing = match &self.peer {
            Peer::Operator { principal, .. } => {
                let op = principal.operator_id;
                let (visitor_id, name) = self
                    .state
                    .db
                    .run(move |conn| {
                        let d = dialogs::find(conn, ws, dialog_id)?;
                        let name = crate::store::operators::find(conn, ws, op)?.map(|o| o.display_name);
                        Ok((d.visitor_id, name))
                    })
                    .await?;
                Typing { dialog_id, visitor_id, author_type: "operator".into(), operator_id: Some(op), name }
            }
            Peer::Visitor { visitor, .. } => {
                let who = visitor.clone();
                let name = self
                    .state
                    .db
                    .run(move |conn| {
                        messages::own_dialog(conn, &who, dialog_id)?;
                        Ok(crate::store::visitors::find(conn, ws, who.visitor_id)?.and_then(|v| v.name))
                    })
                    .await?;
                Typing {
                    dialog_id,
                    visitor_id: visitor.visitor_id,
                    author_type: "visitor".into(),
                    operator_id: None,
                    name,
                }
            }
        };
        if self.typing_sent.len() > 64 {
            self.typing_sent.retain(|_, at| at.elapsed() < TYPING_INTERVAL);
        }
        self.typing_sent.insert(dialog_id, Instant::now());
        self.state.realtime.publish(Signal::Typing { workspace_id: ws, typing });
        Ok(None)
    }

    /// Checks that the token still grants access: expired closes with 4001, anything else
    /// that no longer authenticates with 4003. A database hiccup keeps the socket.
    async fn revalidate(&mut self) -> Result<(), Close> {
        let result = match &self.peer {
            Peer::Operator { token, principal, .. } => match authenticate(&self.state, token).await {
                // What the socket may see was decided with the old role: reconnect.
                Ok(p) if p.role != principal.role => return Err(Close(CLOSE_REVOKED, "role changed")),
                other => other.map(|_| ()),
            },
            Peer::Visitor { token, .. } => authenticate_visitor(&self.state, token).await.map(|_| ()),
        };
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.code() == "token_expired" => Err(Close(CLOSE_TOKEN_EXPIRED, "token expired")),
            Err(e) if e.status().as_u16() == 401 => Err(Close(CLOSE_REVOKED, "access revoked")),
            Err(_) => Ok(()),
        }
    }
}

/// The connection's frame limit, from `LIVEDESK_LIMIT_SOCKET_FRAMES`.
fn frame_limiter(state: &AppState) -> Option<FrameLimiter> {
    let limits = &state.config.limits;
    limits.quota(&limits.socket_frames).map(FrameLimiter::new)
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}
