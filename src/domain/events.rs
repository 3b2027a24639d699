//! Writing to the event log. Each state change calls [`record`] inside its own transaction, so a
//! change and its event commit together or not at all.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::error::ApiResult;
use crate::model::dialog::DialogSummary;
use crate::model::message::MessageView;
use crate::model::tag::TagView;
use crate::model::visitor::VisitorView;
use crate::store::events::{self, EventRow};

/// Who may see an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Operators of the workspace only.
    Operators,
    /// Operators and the visitor the event is about.
    Visitor,
    /// Admins and super admins only (ratings: operators never see them).
    Admins,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Operators => "operators",
            Audience::Visitor => "visitor",
            Audience::Admins => "admins",
        }
    }
}

pub const DIALOG_CREATED: &str = "dialog.created";
pub const DIALOG_ASSIGNED: &str = "dialog.assigned";
pub const DIALOG_UNASSIGNED: &str = "dialog.unassigned";
pub const DIALOG_CLOSED: &str = "dialog.closed";
pub const DIALOG_REOPENED: &str = "dialog.reopened";
pub const DIALOG_READ: &str = "dialog.read";
/// The dialog waits in the queue (entered, moved back, or the periodic reminder), with its place.
pub const DIALOG_QUEUED: &str = "dialog.queued";
/// The chat's longest queue wait passed: the dialog left the queue (still open, unassigned).
pub const DIALOG_QUEUE_TIMEOUT: &str = "dialog.queue_timeout";
pub const DIALOG_TAGS_UPDATED: &str = "dialog.tags_updated";
pub const MESSAGE_CREATED: &str = "message.created";
pub const MESSAGE_DELETED: &str = "message.deleted";
pub const VISITOR_UPDATED: &str = "visitor.updated";
/// A closed dialog asks its visitor for a rating (no score inside).
pub const RATING_REQUESTED: &str = "rating.requested";
/// A visitor rated a dialog (admins only).
pub const RATING_CREATED: &str = "rating.created";
pub const OPERATOR_PRESENCE: &str = "operator.presence";
/// A webhook subscription kept failing and was paused (admins only).
pub const WEBHOOK_PAUSED: &str = "webhook.paused";

/// Every event type the log holds; the realtime protocol document lists the same.
pub const EVENT_TYPES: &[&str] = &[
    DIALOG_CREATED,
    DIALOG_ASSIGNED,
    DIALOG_UNASSIGNED,
    DIALOG_CLOSED,
    DIALOG_REOPENED,
    DIALOG_READ,
    DIALOG_QUEUED,
    DIALOG_QUEUE_TIMEOUT,
    DIALOG_TAGS_UPDATED,
    MESSAGE_CREATED,
    MESSAGE_DELETED,
    VISITOR_UPDATED,
    OPERATOR_PRESENCE,
    RATING_REQUESTED,
    RATING_CREATED,
    WEBHOOK_PAUSED,
];

/// Why livedesk itself changed a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    /// The chat's automatic assignment policy chose the operator.
    Policy,
    /// The chat's external assignment service chose the operator.
    AssignmentService,
    /// The chat's assignment service gave no usable answer (none in time, an error, no
    /// operator, or one who cannot take the dialog), so the policy decided.
    AssignmentServiceFallback,
    /// The dialog entered the queue: nobody could take it.
    Queued,
    /// The periodic reminder of the visitor's place in the queue.
    QueueReminder,
    /// Taken back from an operator who left the visitor waiting for the chat's idle time.
    OperatorIdle,
    /// An operator or admin removed the assignee.
    Unassigned,
    /// The assignee was deactivated or removed.
    OperatorDeactivated,
    /// The chat's longest queue wait passed; the dialog left the queue.
    QueueTimeout,
    /// No message for the chat's auto-close time.
    Inactivity,
}

/// Payload of `dialog.*` events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DialogEvent {
    pub dialog: DialogSummary,
    /// Set when livedesk made the change on its own (assignment policy, timers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ChangeReason>,
}

/// Payload of `dialog.queued`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueEvent {
    pub dialog: DialogSummary,
    /// 1-based place in the workspace's queue (ordered by waiting time).
    pub position: i64,
    pub reason: ChangeReason,
}

/// Payload of `message.*` events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageEvent {
    pub dialog: DialogSummary,
    pub message: MessageView,
}

/// Payload of `dialog.tags_updated` (operators only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DialogTagsEvent {
    pub dialog_id: i64,
    pub tags: Vec<TagView>,
}

/// Payload of `visitor.updated` (operators only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitorEvent {
    pub visitor: VisitorView,
}

/// Appends one event to the workspace's log; the caller's transaction must hold the
/// workspace lock (see `db::lock_workspace`).
#[allow(clippy::too_many_arguments)]
pub fn record(
    conn: &mut DbConn,
    workspace_id: i64,
    event_type: &str,
    audience: Audience,
    dialog_id: Option<i64>,
    visitor_id: Option<i64>,
    payload: &impl Serialize,
    now: i64,
) -> ApiResult<EventRow> {
    let position = events::next_position(conn, workspace_id)?;
    let payload = serde_json::to_string(payload).map_err(crate::error::ApiError::internal)?;
    let row = EventRow {
        workspace_id,
        position,
        event_type: event_type.to_string(),
        dialog_id,
        visitor_id,
        audience: audience.as_str().to_string(),
        payload,
        created_at: now,
    };
    Ok(events::append(conn, row)?)
}

/// Records a `dialog.*` event visible to the dialog's visitor.
pub fn dialog_event(
    conn: &mut DbConn,
    event_type: &str,
    summary: &DialogSummary,
    workspace_id: i64,
    reason: Option<ChangeReason>,
    now: i64,
) -> ApiResult<EventRow> {
    record(
        conn,
        workspace_id,
        event_type,
        Audience::Visitor,
        Some(summary.id),
        Some(summary.visitor_id),
        &DialogEvent { dialog: summary.clone(), reason },
        now,
    )
}
