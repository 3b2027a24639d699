//! Tags: named and coloured, unique per workspace (case-insensitive). Every operator can create
//! and attach tags; renaming and deleting them is for admins.

use crate::auth::Principal;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::model::tag::TagView;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::events::EventRow;
use crate::store::tags::{self, TagRow};
use crate::time::now_ms;
use crate::validate::Validator;

use super::chat_settings::is_color;
use super::dialogs as dialog_rules;
use super::events::{self, Audience, DIALOG_TAGS_UPDATED, DialogTagsEvent};

pub const MAX_NAME_CHARS: usize = 50;
pub const DEFAULT_COLOR: &str = "#6b7280";

fn validate(name: Option<&str>, color: Option<&str>) -> ApiResult<()> {
    let mut v = Validator::new();
    v.opt_text("name", name, MAX_NAME_CHARS);
    if let Some(c) = color {
        v.check(is_color(c), "color", "invalid_format", "must be a HEX, RGB(A) or HSL(A) colour");
    }
    v.finish()
}

fn name_taken() -> ApiError {
    ApiError::conflict("tag_exists", "a tag with this name already exists")
}

pub async fn create(state: &AppState, principal: &Principal, name: String, color: Option<String>) -> ApiResult<TagRow> {
    validate(Some(&name), color.as_deref())?;
    let ws = principal.workspace_id;
    // Under the workspace lock, so the name check and the insert cannot interleave.
    state
        .db
        .write_in(ws, move |conn| {
            if tags::name_taken(conn, ws, &name, -1)? {
                return Err(name_taken());
            }
            Ok(tags::insert(conn, ws, name.trim(), color.as_deref().unwrap_or(DEFAULT_COLOR), now_ms())?)
        })
        .await
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    search: Option<String>,
    page: PageParams,
) -> ApiResult<Page<TagRow>> {
    let limit = page.limit()?;
    let after = page.cursor(1)?.map(|c| c[0]);
    let ws = principal.workspace_id;
    let rows = state.db.run(move |conn| Ok(tags::list(conn, ws, search.as_deref(), after, limit)?)).await?;
    Ok(Page::from_rows(rows, limit, |t| vec![t.id], |t| t))
}

pub async fn get(state: &AppState, principal: &Principal, id: i64) -> ApiResult<TagRow> {
    let ws = principal.workspace_id;
    state.db.run(move |conn| tags::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("tag"))).await
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: i64,
    name: Option<String>,
    color: Option<String>,
) -> ApiResult<TagRow> {
    principal.require_admin()?;
    validate(name.as_deref(), color.as_deref())?;
    let ws = principal.workspace_id;
    state
        .db
        .write_in(ws, move |conn| {
            tags::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("tag"))?;
            if let Some(n) = &name
                && tags::name_taken(conn, ws, n, id)?
            {
                return Err(name_taken());
            }
            Ok(tags::update(conn, id, name.as_deref().map(str::trim), color.as_deref(), now_ms())?)
        })
        .await
}

/// Deletes a tag and detaches it from every dialog.
pub async fn delete(state: &AppState, principal: &Principal, id: i64) -> ApiResult<()> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    state
        .db
        .write(move |conn| {
            tags::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("tag"))?;
            Ok(tags::delete(conn, id)?)
        })
        .await
}

/// Attaches or detaches a tag on a dialog; returns the dialog's tags.
pub async fn set_on_dialog(
    state: &AppState,
    principal: &Principal,
    dialog_id: i64,
    tag_id: i64,
    attach: bool,
) -> ApiResult<(Vec<TagView>, Vec<EventRow>)> {
    let ws = principal.workspace_id;
    state
        .db
        .write_in(ws, move |conn| {
            let now = now_ms();
            let dialog = dialog_rules::find(conn, ws, dialog_id)?;
            let tag = tags::find(conn, ws, tag_id)?;
            let changed = match (tag, attach) {
                (Some(tag), true) => tags::attach(conn, ws, dialog.id, tag.id, now)?,
                (Some(tag), false) => tags::detach(conn, dialog.id, tag.id)?,
                (None, true) => {
                    return Err(ApiError::invalid_field(
                        "tag_id",
                        "unknown_tag",
                        "no tag with this id in the workspace",
                    ));
                }
                (None, false) => return Err(ApiError::not_found("tag")),
            };
            let current = dialog_tags(conn, ws, dialog.id)?;
            let mut out = Vec::new();
            if changed {
                let payload = DialogTagsEvent { dialog_id: dialog.id, tags: current.clone() };
                out.push(events::record(
                    conn,
                    ws,
                    DIALOG_TAGS_UPDATED,
                    Audience::Operators,
                    Some(dialog.id),
                    None,
                    &payload,
                    now,
                )?);
            }
            Ok((current, out))
        })
        .await
}

fn dialog_tags(conn: &mut DbConn, ws: i64, dialog_id: i64) -> ApiResult<Vec<TagView>> {
    Ok(tags::for_dialogs(conn, ws, &[dialog_id])?.iter().map(|(_, t)| TagView::from(t)).collect())
}
