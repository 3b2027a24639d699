use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::chat_settings::ChatSettings;
use crate::store::chats::ChatRow;
use crate::time::{opt_datetime, to_datetime};

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatView {
    pub id: i64,
    pub name: String,
    /// Identifies the chat to the widget; public by design.
    pub public_key: String,
    pub settings: ChatSettings,
    /// Archived chats take no new visitors; their dialogs stay readable.
    pub archived: bool,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ChatRow> for ChatView {
    fn from(r: ChatRow) -> Self {
        Self {
            id: r.id,
            settings: ChatSettings::from_stored(&r.settings).without_secrets(),
            name: r.name,
            public_key: r.public_key,
            archived: r.archived_at.is_some(),
            archived_at: opt_datetime(r.archived_at),
            created_at: to_datetime(r.created_at),
            updated_at: to_datetime(r.updated_at),
        }
    }
}

/// What the widget needs to render a chat.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetChatView {
    pub name: String,
    pub settings: ChatSettings,
}

impl From<&ChatRow> for WidgetChatView {
    fn from(r: &ChatRow) -> Self {
        Self { name: r.name.clone(), settings: ChatSettings::from_stored(&r.settings).for_widget() }
    }
}
