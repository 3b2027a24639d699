//! Whether anyone can answer now, as the widget shows it: when no operator of the workspace is
//! online and the chat's offline message is on, the widget gets that text and what to ask the
//! visitor for (never a contact the visitor card already has).

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::error::ApiResult;
use crate::store::chats::ChatRow;
use crate::store::queue;
use crate::store::visitors::VisitorRow;

use super::chat_settings::{ChatSettings, ContactRequest};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Availability {
    /// Whether any operator of the workspace is online now.
    pub operators_online: bool,
    /// Set while nobody is online and the chat's offline message is on.
    pub offline_message: Option<OfflineMessage>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfflineMessage {
    pub text: String,
    /// What to ask the visitor for so the team can answer later; `nothing` when the visitor
    /// card already has it. The visitor's answer goes to `PATCH /api/v1/widget/me`.
    pub ask_for: ContactRequest,
}

pub fn of_chat(conn: &mut DbConn, chat: &ChatRow, visitor: &VisitorRow) -> ApiResult<Availability> {
    let operators_online = queue::anyone_online(conn, chat.workspace_id)?;
    let offline = ChatSettings::from_stored(&chat.settings).offline;
    let offline_message = (!operators_online && offline.enabled)
        .then(|| OfflineMessage { text: offline.text.clone(), ask_for: still_needed(offline.ask_for, visitor) });
    Ok(Availability { operators_online, offline_message })
}

/// The contact to ask for, unless the visitor already gave it.
pub fn still_needed(ask: ContactRequest, visitor: &VisitorRow) -> ContactRequest {
    let known = match ask {
        ContactRequest::Email => visitor.email.is_some(),
        ContactRequest::Phone => visitor.phone.is_some(),
        ContactRequest::Nothing => true,
    };
    if known { ContactRequest::Nothing } else { ask }
}
