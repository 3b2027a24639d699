use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::file::FileView;
use super::operator::OperatorBrief;
use crate::domain::channel::Channel;
use crate::store::messages::MessageRow;
use crate::time::{opt_datetime, to_datetime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Between the visitor and operators.
    Message,
    /// Internal note: operators only, never shown to the visitor.
    Note,
    /// Written by livedesk (auto-replies, queue notices).
    System,
}

impl MessageKind {
    pub fn from_db(v: &str) -> Self {
        match v {
            "note" => MessageKind::Note,
            "system" => MessageKind::System,
            _ => MessageKind::Message,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorType {
    Visitor,
    Operator,
    System,
    Bot,
}

impl AuthorType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorType::Visitor => "visitor",
            AuthorType::Operator => "operator",
            AuthorType::System => "system",
            AuthorType::Bot => "bot",
        }
    }

    pub fn from_db(v: &str) -> Self {
        match v {
            "visitor" => AuthorType::Visitor,
            "operator" => AuthorType::Operator,
            "bot" => AuthorType::Bot,
            _ => AuthorType::System,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Author {
    #[serde(rename = "type")]
    pub author_type: AuthorType,
    /// Operator or visitor id.
    pub id: Option<i64>,
    /// The operator's display name, the visitor's name, or the chat's sender name.
    pub name: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct MessageView {
    pub id: i64,
    pub dialog_id: i64,
    pub kind: MessageKind,
    pub author: Author,
    pub channel: Channel,
    /// Empty once deleted.
    pub body: String,
    /// The sender's own id for the message, which makes sending idempotent.
    pub client_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub deleted: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Operator who deleted it.
    pub deleted_by: Option<i64>,
    /// Files sent with the message (none once deleted).
    #[serde(default)]
    pub attachments: Vec<FileView>,
}

/// Names to show for message authors and the messages' attachments, loaded once per page.
#[derive(Debug, Default)]
pub struct AuthorNames {
    pub operators: HashMap<i64, OperatorBrief>,
    pub visitor_name: Option<String>,
    pub sender_name: Option<String>,
    /// Attachments by message id.
    pub attachments: HashMap<i64, Vec<FileView>>,
}

impl MessageView {
    pub fn build(r: &MessageRow, names: &AuthorNames) -> Self {
        let author_type = AuthorType::from_db(&r.author_type);
        let (name, avatar_url) = match author_type {
            AuthorType::Operator => r
                .author_id
                .and_then(|id| names.operators.get(&id))
                .map(|o| (Some(o.display_name.clone()), o.avatar_url.clone()))
                .unwrap_or((None, None)),
            AuthorType::Visitor => (names.visitor_name.clone(), None),
            AuthorType::System | AuthorType::Bot => (names.sender_name.clone(), None),
        };
        Self {
            id: r.id,
            dialog_id: r.dialog_id,
            kind: MessageKind::from_db(&r.kind),
            author: Author { author_type, id: r.author_id, name, avatar_url },
            channel: Channel::from_db(&r.channel),
            body: r.body.clone(),
            client_id: r.client_id.clone(),
            created_at: to_datetime(r.created_at),
            deleted: r.deleted_at.is_some(),
            deleted_at: opt_datetime(r.deleted_at),
            deleted_by: r.deleted_by,
            attachments: match r.deleted_at {
                Some(_) => Vec::new(),
                None => names.attachments.get(&r.id).cloned().unwrap_or_default(),
            },
        }
    }
}
