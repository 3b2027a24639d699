//! The socket protocol: JSON text frames `{"type": ..., ...}` both ways, and the close codes.
//! openapi/asyncapi.json documents the same names; a test checks the two agree.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::presence::PresenceStatus;
use crate::model::dialog::DialogSummary;
use crate::model::message::MessageView;

/// Normal close: the server is shutting down or the client said goodbye.
pub const CLOSE_NORMAL: u16 = 1000;
/// The client broke the WebSocket protocol.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// The server could not serve the socket (the database was unreachable); reconnect later.
pub const CLOSE_SERVER_ERROR: u16 = 1011;
/// A frame was larger than the limit.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// The access token expired while connected: refresh it and reconnect.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4001;
/// Nothing (not even a pong) arrived within the client timeout.
pub const CLOSE_HEARTBEAT_TIMEOUT: u16 = 4002;
/// The session, API key or operator was revoked or deactivated while connected.
pub const CLOSE_REVOKED: u16 = 4003;
/// The client did not read its frames fast enough; reconnect with the last position seen.
pub const CLOSE_TOO_SLOW: u16 = 4008;
/// The client kept sending frames over the rate limit.
pub const CLOSE_RATE_LIMITED: u16 = 4029;

/// Every close code the server uses, with its meaning.
pub const CLOSE_CODES: &[(u16, &str)] = &[
    (CLOSE_NORMAL, "normal closure"),
    (CLOSE_PROTOCOL_ERROR, "protocol error"),
    (CLOSE_TOO_BIG, "frame too large"),
    (CLOSE_SERVER_ERROR, "server error"),
    (CLOSE_TOKEN_EXPIRED, "token expired"),
    (CLOSE_HEARTBEAT_TIMEOUT, "heartbeat timeout"),
    (CLOSE_REVOKED, "access revoked"),
    (CLOSE_TOO_SLOW, "consumer too slow"),
    (CLOSE_RATE_LIMITED, "too many frames"),
];

/// Frame types the server sends besides logged events (whose type is the event type).
pub const SERVER_FRAME_TYPES: &[&str] =
    &["welcome", "resync_required", "notification", "typing", "ack", "error", "pong"];

/// Frame types clients send.
pub const CLIENT_FRAME_TYPES: &[&str] = &["message.send", "typing", "read", "presence.set", "ping"];

/// First frame of every connection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Welcome {
    /// The newest position of the log when the connection started.
    pub position: i64,
    /// Seconds between server pings; answer them (browsers do) or send `ping` frames.
    pub heartbeat_secs: u64,
}

/// A logged event: `type` is the event type (`message.created`, `dialog.assigned`, ...).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventFrame {
    #[serde(rename = "type")]
    pub event_type: String,
    /// Position in the workspace's log; reconnect with the last one seen to resume.
    pub position: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The event's payload (see the event schemas).
    #[schema(value_type = Object)]
    pub data: Value,
}

/// The requested position is no longer (or not yet) in the log, or, for a visitor, further back
/// than its replay window (`LIVEDESK_VISITOR_REPLAY_WINDOW`): reload state through REST, then
/// continue from `position`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResyncRequired {
    /// The newest position; live events continue after it.
    pub position: i64,
    /// The oldest position still kept.
    pub oldest_position: i64,
}

/// Why an operator is being notified.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The first visitor message of a dialog.
    NewDialog,
    /// A later visitor message.
    NewMessage,
}

/// An in-app notification, derived from the event at `position`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub position: i64,
    pub kind: NotificationKind,
    pub dialog: DialogSummary,
    /// The visitor's message.
    pub message: MessageView,
}

/// Someone is typing in a dialog (not logged; at most one frame per 2 s per sender and dialog).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Typing {
    pub dialog_id: i64,
    pub visitor_id: i64,
    /// `visitor` or `operator`.
    pub author_type: String,
    /// The operator's id (absent for the visitor).
    pub operator_id: Option<i64>,
    /// Name shown to the other side.
    pub name: Option<String>,
}

/// The stored message answering a `message.send`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ack {
    /// The `ref` of the client frame this answers.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub message: Option<MessageView>,
    pub dialog: Option<DialogSummary>,
    /// False when the client id matched an earlier message, which is returned.
    pub created: bool,
}

/// A client frame could not be carried out; the connection stays open.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorFrame {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// Stable code, as in REST problem bodies (`invalid_frame`, `not_found`, `rate_limited`, ...).
    pub code: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pong {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

/// Every frame the server sends (logged events are [`EventFrame`]).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome(Welcome),
    ResyncRequired(ResyncRequired),
    Notification(Notification),
    Typing(Typing),
    Ack(Ack),
    Error(ErrorFrame),
    Pong(Pong),
}

impl ServerFrame {
    pub fn error(reference: Option<String>, code: &str, detail: impl Into<String>) -> Self {
        ServerFrame::Error(ErrorFrame { reference, code: code.into(), detail: detail.into() })
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `message.send`: operators give `dialog_id` (and may send a `note`); a visitor's message goes
/// to their current dialog, as over REST.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendFrame {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub dialog_id: Option<i64>,
    #[schema(max_length = 10000)]
    pub body: String,
    #[schema(max_length = 100)]
    pub client_id: Option<String>,
    /// Operators only: an internal note instead of a reply.
    #[serde(default)]
    pub note: bool,
    /// Ids of the sender's own uploaded, not yet sent files (at most 10).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub attachment_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingFrame {
    pub dialog_id: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadFrame {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub dialog_id: i64,
    /// Read up to this message; everything when absent.
    pub message_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceFrame {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub status: PresenceStatus,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PingFrame {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

/// Every frame a client may send.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type")]
pub enum ClientFrame {
    #[serde(rename = "message.send")]
    Send(SendFrame),
    #[serde(rename = "typing")]
    Typing(TypingFrame),
    #[serde(rename = "read")]
    Read(ReadFrame),
    #[serde(rename = "presence.set")]
    Presence(PresenceFrame),
    #[serde(rename = "ping")]
    Ping(PingFrame),
}

impl ClientFrame {
    /// Parses a text frame; the error says what is wrong in words a client developer can use.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}
