//! Saved replies: shared with the workspace (managed by admins) or personal (managed by their
//! owner), each with a shortcut; searchable.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::model::saved_reply::ReplyScope;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::saved_replies::{self, NewSavedReply, SavedReplyChanges, SavedReplyRow, Scope};
use crate::time::now_ms;
use crate::validate::Validator;

pub const MAX_SHORTCUT_CHARS: usize = 32;
pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_BODY_CHARS: usize = 10_000;

fn validate(shortcut: Option<&str>, title: Option<&str>, body: Option<&str>) -> ApiResult<()> {
    let mut v = Validator::new();
    if let Some(s) = shortcut {
        v.text("shortcut", s, MAX_SHORTCUT_CHARS);
        v.check(!s.trim().contains(char::is_whitespace), "shortcut", "invalid_format", "must not contain spaces");
    }
    v.opt_text("title", title, MAX_TITLE_CHARS);
    v.opt_text("body", body, MAX_BODY_CHARS);
    v.finish()
}

/// Shared replies are the workspace's: only admins change them.
fn ensure_can_manage(principal: &Principal, scope: ReplyScope) -> ApiResult<()> {
    if scope == ReplyScope::Shared {
        principal.require_admin()?;
    }
    Ok(())
}

pub struct NewReply {
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub scope: ReplyScope,
}

pub async fn create(state: &AppState, principal: &Principal, input: NewReply) -> ApiResult<SavedReplyRow> {
    ensure_can_manage(principal, input.scope)?;
    validate(Some(&input.shortcut), Some(&input.title), Some(&input.body))?;
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    state
        .db
        .write(move |conn| {
            let now = now_ms();
            Ok(saved_replies::insert(
                conn,
                &NewSavedReply {
                    workspace_id: ws,
                    owner_id: (input.scope == ReplyScope::Personal).then_some(op),
                    shortcut: input.shortcut.trim(),
                    title: input.title.trim(),
                    body: &input.body,
                    created_by: op,
                    created_at: now,
                    updated_at: now,
                },
            )?)
        })
        .await
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    scope: Option<ReplyScope>,
    search: Option<String>,
    page: PageParams,
) -> ApiResult<Page<SavedReplyRow>> {
    let limit = page.limit()?;
    let after = page.cursor(1)?.map(|c| c[0]);
    let scope = match scope {
        None => Scope::All,
        Some(ReplyScope::Shared) => Scope::Shared,
        Some(ReplyScope::Personal) => Scope::Personal,
    };
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    let rows = state
        .db
        .run(move |conn| Ok(saved_replies::list(conn, ws, op, scope, search.as_deref(), after, limit)?))
        .await?;
    Ok(Page::from_rows(rows, limit, |r| vec![r.id], |r| r))
}

pub async fn get(state: &AppState, principal: &Principal, id: i64) -> ApiResult<SavedReplyRow> {
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    state
        .db
        .run(move |conn| {
            saved_replies::find_visible(conn, ws, op, id)?.ok_or_else(|| ApiError::not_found("saved reply"))
        })
        .await
}

pub struct ReplyChanges {
    pub shortcut: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub scope: Option<ReplyScope>,
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: i64,
    changes: ReplyChanges,
) -> ApiResult<SavedReplyRow> {
    validate(changes.shortcut.as_deref(), changes.title.as_deref(), changes.body.as_deref())?;
    let actor = principal.clone();
    state
        .db
        .write(move |conn| {
            let (ws, op) = (actor.workspace_id, actor.operator_id);
            let row =
                saved_replies::find_visible(conn, ws, op, id)?.ok_or_else(|| ApiError::not_found("saved reply"))?;
            let current = if row.owner_id.is_some() { ReplyScope::Personal } else { ReplyScope::Shared };
            ensure_can_manage(&actor, current)?;
            if let Some(scope) = changes.scope {
                ensure_can_manage(&actor, scope)?;
            }
            let set = SavedReplyChanges {
                shortcut: changes.shortcut.map(|s| s.trim().to_string()),
                title: changes.title.map(|s| s.trim().to_string()),
                body: changes.body,
                owner_id: changes.scope.map(|s| (s == ReplyScope::Personal).then_some(op)),
                updated_at: Some(now_ms()),
            };
            Ok(saved_replies::update(conn, id, &set)?)
        })
        .await
}

pub async fn delete(state: &AppState, principal: &Principal, id: i64) -> ApiResult<()> {
    let actor = principal.clone();
    state
        .db
        .write(move |conn| {
            let row = saved_replies::find_visible(conn, actor.workspace_id, actor.operator_id, id)?
                .ok_or_else(|| ApiError::not_found("saved reply"))?;
            ensure_can_manage(&actor, if row.owner_id.is_some() { ReplyScope::Personal } else { ReplyScope::Shared })?;
            Ok(saved_replies::delete(conn, id)?)
        })
        .await
}
