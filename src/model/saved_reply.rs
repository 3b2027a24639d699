use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::saved_replies::SavedReplyRow;
use crate::time::to_datetime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyScope {
    /// Visible to the whole workspace.
    Shared,
    /// Visible only to its owner.
    Personal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedReplyView {
    pub id: i64,
    /// Typed after `/` in an operator app to insert the reply.
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub scope: ReplyScope,
    pub owner_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SavedReplyRow> for SavedReplyView {
    fn from(r: SavedReplyRow) -> Self {
        Self {
            id: r.id,
            shortcut: r.shortcut,
            title: r.title,
            body: r.body,
            scope: if r.owner_id.is_some() { ReplyScope::Personal } else { ReplyScope::Shared },
            owner_id: r.owner_id,
            created_by: r.created_by,
            created_at: to_datetime(r.created_at),
            updated_at: to_datetime(r.updated_at),
        }
    }
}
