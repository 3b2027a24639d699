//! Chat widgets: one per website or channel, with settings and a public key.
//! Deleting a chat archives it: it takes no new visitors or messages, every dialog stays, and
//! it can be restored. Nothing is lost by a mistaken click.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::auth::{Principal, secret};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::chats::{self, ChatChanges, ChatRow};
use crate::store::queue;
use crate::time::now_ms;
use crate::validate::Validator;

use super::chat_settings::ChatSettings;

pub const MAX_NAME_CHARS: usize = 100;

fn new_public_key() -> String {
    format!("pk_{}", URL_SAFE_NO_PAD.encode(secret::random_bytes::<16>()))
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    name: String,
    settings: Option<Value>,
) -> ApiResult<ChatRow> {
    principal.require_admin()?;
    let mut v = Validator::new();
    v.text("name", &name, MAX_NAME_CHARS);
    v.finish()?;
    let settings = match settings {
        Some(patch) => ChatSettings::default().patched(&patch)?,
        None => ChatSettings::default(),
    };
    let ws = principal.workspace_id;
    state
        .db
        .write(move |conn| {
            Ok(chats::insert(conn, ws, name.trim(), &new_public_key(), &settings.to_stored(), now_ms())?)
        })
        .await
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    search: Option<String>,
    include_archived: bool,
    page: PageParams,
) -> ApiResult<Page<ChatRow>> {
    let limit = page.limit()?;
    let after = page.cursor(1)?.map(|c| c[0]);
    let ws = principal.workspace_id;
    let rows =
        state.db.run(move |conn| Ok(chats::list(conn, ws, search.as_deref(), include_archived, after, limit)?)).await?;
    Ok(Page::from_rows(rows, limit, |c| vec![c.id], |c| c))
}

pub async fn get(state: &AppState, principal: &Principal, id: i64) -> ApiResult<ChatRow> {
    let ws = principal.workspace_id;
    state.db.run(move |conn| chats::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("chat"))).await
}

pub struct ChatUpdate {
    pub name: Option<String>,
    /// A JSON merge patch of the settings.
    pub settings: Option<Value>,
    pub archived: Option<bool>,
}

pub async fn update(state: &AppState, principal: &Principal, id: i64, update: ChatUpdate) -> ApiResult<ChatRow> {
    principal.require_admin()?;
    let mut v = Validator::new();
    v.opt_text("name", update.name.as_deref(), MAX_NAME_CHARS);
    v.finish()?;
    let ws = principal.workspace_id;
    // Under the workspace lock: concurrent merge patches must not lose each other's changes.
    state
        .db
        .write_in(ws, move |conn| {
            let now = now_ms();
            let chat = chats::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("chat"))?;
            let settings = match &update.settings {
                Some(patch) => Some(ChatSettings::from_stored(&chat.settings).patched(patch)?.to_stored()),
                None => None,
            };
            let archived_at = match update.archived {
                Some(true) if chat.archived_at.is_none() => Some(Some(now)),
                Some(false) => Some(None),
                _ => None,
            };
            let timers_changed = settings.is_some();
            let changes = ChatChanges {
                name: update.name.map(|n| n.trim().to_string()),
                settings,
                archived_at,
                updated_at: Some(now),
            };
            if timers_changed {
                // New assignment policy or timer lengths: the timer job looks at every open dialog again.
                queue::recheck_chat(conn, ws, id, now)?;
            }
            Ok(chats::update(conn, ws, id, &changes)?)
        })
        .await
}

/// Archives the chat (see the module comment).
pub async fn archive(state: &AppState, principal: &Principal, id: i64) -> ApiResult<()> {
    let update = ChatUpdate { name: None, settings: None, archived: Some(true) };
    self::update(state, principal, id, update).await.map(|_| ())
}

/// The HTML snippet a site owner pastes into their pages.
pub fn embed_snippet(server: &str, script_url: &str, public_key: &str) -> String {
    let settings = serde_json::json!({"server": server, "publicKey": public_key});
    format!(
        "<!-- livedesk chat widget -->\n<script>window.livedesk = {settings};</script>\n\
         <script src=\"{}\" async></script>\n",
        html_escape(script_url)
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}
