//! Which dialogs notify an operator, per chat and by which means. Until a dialog is assigned it
//! notifies everyone who wants unassigned dialogs; once assigned, its assignee (and whoever
//! asked for dialogs assigned to others). In-app notifications go over the socket; email and
//! push are kept as preferences for delivery channels that read them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::model::dialog::DialogSummary;
use crate::state::AppState;
use crate::store::chats;
use crate::store::notification_prefs::{self, PrefsRow};
use crate::time::now_ms;

/// What notifies an operator in one chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationSettings {
    /// Dialogs assigned to me.
    pub assigned_to_me: bool,
    /// Dialogs nobody is assigned to (new dialogs).
    pub unassigned: bool,
    /// Dialogs assigned to other operators.
    pub assigned_to_others: bool,
    /// Over the operator socket (`notification` frames).
    pub in_app: bool,
    pub email: bool,
    pub push: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            assigned_to_me: true,
            unassigned: true,
            assigned_to_others: false,
            in_app: true,
            email: false,
            push: false,
        }
    }
}

impl From<&PrefsRow> for NotificationSettings {
    fn from(r: &PrefsRow) -> Self {
        Self {
            assigned_to_me: r.assigned_to_me,
            unassigned: r.unassigned,
            assigned_to_others: r.assigned_to_others,
            in_app: r.in_app,
            email: r.email,
            push: r.push,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatNotificationSettings {
    pub chat_id: i64,
    #[serde(flatten)]
    pub settings: NotificationSettings,
}

/// An operator's settings for every chat; chats without a stored choice use the defaults.
#[derive(Debug, Clone, Default)]
pub struct OperatorPreferences {
    pub by_chat: HashMap<i64, NotificationSettings>,
}

impl OperatorPreferences {
    pub fn for_chat(&self, chat_id: i64) -> NotificationSettings {
        self.by_chat.get(&chat_id).copied().unwrap_or_default()
    }

    /// Whether a change of `dialog` should notify `operator_id` in the app.
    pub fn notifies(&self, operator_id: i64, dialog: &DialogSummary) -> bool {
        let s = self.for_chat(dialog.chat_id);
        s.in_app
            && match &dialog.assignee {
                None => s.unassigned,
                Some(a) if a.id == operator_id => s.assigned_to_me,
                Some(_) => s.assigned_to_others,
            }
    }
}

pub async fn load(state: &AppState, workspace_id: i64, operator_id: i64) -> ApiResult<OperatorPreferences> {
    state
        .db
        .run(move |conn| {
            let rows = notification_prefs::list_for_operator(conn, workspace_id, operator_id)?;
            Ok(OperatorPreferences { by_chat: rows.iter().map(|r| (r.chat_id, r.into())).collect() })
        })
        .await
}

/// The caller's settings for every active chat.
pub async fn list(state: &AppState, principal: &Principal) -> ApiResult<Vec<ChatNotificationSettings>> {
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    state
        .db
        .run(move |conn| {
            let stored: HashMap<i64, NotificationSettings> =
                notification_prefs::list_for_operator(conn, ws, op)?.iter().map(|r| (r.chat_id, r.into())).collect();
            Ok(chats::active_ids(conn, ws)?
                .into_iter()
                .map(|chat_id| ChatNotificationSettings {
                    chat_id,
                    settings: stored.get(&chat_id).copied().unwrap_or_default(),
                })
                .collect())
        })
        .await
}

/// Stores the caller's settings for one chat.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    chat_id: i64,
    settings: NotificationSettings,
) -> ApiResult<ChatNotificationSettings> {
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    let saved = state
        .db
        .write(move |conn| {
            chats::find(conn, ws, chat_id)?.ok_or_else(|| ApiError::not_found("chat"))?;
            let row = PrefsRow {
                operator_id: op,
                chat_id,
                workspace_id: ws,
                assigned_to_me: settings.assigned_to_me,
                unassigned: settings.unassigned,
                assigned_to_others: settings.assigned_to_others,
                in_app: settings.in_app,
                email: settings.email,
                push: settings.push,
                updated_at: now_ms(),
            };
            notification_prefs::save(conn, &row)?;
            Ok(ChatNotificationSettings { chat_id, settings })
        })
        .await?;
    state.realtime.preferences_changed(ws, op);
    Ok(saved)
}
