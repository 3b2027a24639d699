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
    DIALOG_TAGS_UPDATED,
    MESSAGE_CREATED,
    MESSAGE_DELETED,
    VISITOR_UPDATED,
    OPERATOR_PRESENCE,
    RATING_REQUESTED,
    RATING_CREATED,
    WEBHOOK_PAUSED,
];

/// Payload of `dialog.*` events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DialogEvent {
    pub dialog: DialogSummary,
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
    now: i64,
) -> ApiResult<EventRow> {
    record(
        conn,
        workspace_id,
        event_type,
        Audience::Visitor,
        Some(summary.id),
        Some(summary.visitor_id),
        &DialogEvent { dialog: summary.clone() },
        now,
    )
}
