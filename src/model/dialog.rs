use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::billing::Money;
use super::message::MessageView;
use super::operator::OperatorBrief;
use super::tag::TagView;
use super::visitor::VisitorBrief;
use crate::domain::auto_replies::contact_of;
use crate::domain::channel::Channel;
use crate::domain::chat_settings::ContactRequest;
use crate::store::dialogs::DialogRow;
use crate::time::{opt_datetime, to_datetime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DialogStatus {
    /// Waiting for an operator; nobody assigned.
    Open,
    /// An operator is assigned.
    Assigned,
    Closed,
}

impl DialogStatus {
    pub fn from_db(v: &str) -> Self {
        match v {
            "assigned" => DialogStatus::Assigned,
            "closed" => DialogStatus::Closed,
            _ => DialogStatus::Open,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    Operator,
    Visitor,
    /// Closed by livedesk: no message for the chat's `auto_close_secs`.
    System,
}

impl ClosedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ClosedBy::Operator => "operator",
            ClosedBy::Visitor => "visitor",
            ClosedBy::System => "system",
        }
    }

    pub fn from_db(v: &str) -> Self {
        match v {
            "operator" => ClosedBy::Operator,
            "visitor" => ClosedBy::Visitor,
            _ => ClosedBy::System,
        }
    }
}

/// The state of a dialog as realtime events and the widget carry it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct DialogSummary {
    pub id: i64,
    /// Stable public identifier of the conversation.
    pub session_id: String,
    pub chat_id: i64,
    pub visitor_id: i64,
    pub channel: Channel,
    pub status: DialogStatus,
    pub assignee: Option<OperatorBrief>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<ClosedBy>,
    /// Visitor and operator messages (notes and system messages excluded).
    pub message_count: i32,
    /// The newest message the visitor has read.
    pub visitor_last_read_message_id: i64,
    /// The newest message operators have read.
    pub operator_last_read_message_id: i64,
    /// Waiting in the queue for an operator since then (automatic assignment policies).
    pub queued_at: Option<DateTime<Utc>>,
    /// 1-based place in the queue while queued, on the widget's dialog answers and
    /// `dialog.queued` events (other events leave it null: it changes as others leave the queue).
    pub queue_position: Option<i64>,
    /// The contact an auto-reply asked the visitor for; their next message holding one fills
    /// the visitor card.
    pub contact_request: Option<ContactRequest>,
}

impl DialogSummary {
    pub fn build(r: &DialogRow, assignee: Option<OperatorBrief>) -> Self {
        Self {
            id: r.id,
            session_id: r.session_id.clone(),
            chat_id: r.chat_id,
            visitor_id: r.visitor_id,
            channel: Channel::from_db(&r.channel),
            status: DialogStatus::from_db(&r.status),
            assignee,
            created_at: to_datetime(r.created_at),
            last_activity_at: to_datetime(r.last_activity_at),
            closed_at: opt_datetime(r.closed_at),
            closed_by: r.closed_by.as_deref().map(ClosedBy::from_db),
            message_count: r.message_count,
            visitor_last_read_message_id: r.visitor_last_read_id,
            operator_last_read_message_id: r.operator_last_read_id,
            queued_at: opt_datetime(r.queued_at),
            queue_position: None,
            contact_request: r.contact_request.as_deref().map(contact_of),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatBrief {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DialogCounts {
    /// Visitor and operator messages.
    pub messages: i32,
    pub visitor_messages: i32,
    pub operator_messages: i32,
    pub notes: i32,
}

/// A dialog as operators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DialogView {
    pub id: i64,
    /// Stable public identifier of the conversation.
    pub session_id: String,
    /// Stable link to the dialog.
    pub link: String,
    pub chat: ChatBrief,
    /// Where the dialog started.
    pub channel: Channel,
    pub visitor: VisitorBrief,
    pub assignee: Option<OperatorBrief>,
    pub tags: Vec<TagView>,
    pub status: DialogStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<ClosedBy>,
    /// Waiting in the queue for an operator since then (automatic assignment policies).
    pub queued_at: Option<DateTime<Utc>>,
    pub reopen_count: i32,
    pub counts: DialogCounts,
    /// When an operator first replied.
    pub first_response_at: Option<DateTime<Utc>>,
    pub visitor_last_read_message_id: i64,
    pub operator_last_read_message_id: i64,
    /// True while the visitor has not read the latest operator message.
    pub unread_by_visitor: bool,
    /// True while operators have not read the latest message.
    pub unread_by_operators: bool,
    /// The newest visitor or operator message.
    pub last_message: Option<MessageView>,
    /// Paid messages (visitor and operator messages) times the current price of the dialog's
    /// channel. `null` unless the caller is a super admin and the workspace has prices.
    pub cost: Option<Money>,
}

pub struct DialogParts {
    pub link: String,
    pub chat: ChatBrief,
    pub visitor: VisitorBrief,
    pub assignee: Option<OperatorBrief>,
    pub tags: Vec<TagView>,
    pub last_message: Option<MessageView>,
    pub cost: Option<Money>,
}

impl DialogView {
    pub fn build(r: &DialogRow, parts: DialogParts) -> Self {
        Self {
            id: r.id,
            session_id: r.session_id.clone(),
            link: parts.link,
            chat: parts.chat,
            channel: Channel::from_db(&r.channel),
            visitor: parts.visitor,
            assignee: parts.assignee,
            tags: parts.tags,
            status: DialogStatus::from_db(&r.status),
            created_at: to_datetime(r.created_at),
            updated_at: to_datetime(r.updated_at),
            last_activity_at: to_datetime(r.last_activity_at),
            closed_at: opt_datetime(r.closed_at),
            closed_by: r.closed_by.as_deref().map(ClosedBy::from_db),
            queued_at: opt_datetime(r.queued_at),
            reopen_count: r.reopen_count,
            counts: DialogCounts {
                messages: r.message_count,
                visitor_messages: r.visitor_message_count,
                operator_messages: r.operator_message_count,
                notes: r.note_count,
            },
            first_response_at: opt_datetime(r.first_operator_reply_at),
            visitor_last_read_message_id: r.visitor_last_read_id,
            operator_last_read_message_id: r.operator_last_read_id,
            unread_by_visitor: r.last_operator_message_id.is_some_and(|id| id > r.visitor_last_read_id),
            unread_by_operators: r.last_message_id.is_some_and(|id| id > r.operator_last_read_id),
            last_message: parts.last_message,
            cost: parts.cost,
        }
    }
}
