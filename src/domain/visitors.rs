//! Visitors: anonymous widget sessions (or contacts created by integrations) with a profile,
//! custom attributes, notes by operators and the pages they viewed.

use serde_json::{Map, Value};

use crate::auth::visitor::{VISITOR_TOKEN_PREFIX, VisitorPrincipal};
use crate::auth::{Principal, secret};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::model::dialog::DialogSummary;
use crate::model::visitor::VisitorView;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::chats::{self, ChatRow};
use crate::store::dialogs::{self, DialogRow};
use crate::store::events::EventRow;
use crate::store::visitors::{self, NewPageView, NewVisitor, PageViewRow, VisitorChanges, VisitorNoteRow, VisitorRow};
use crate::time::{DAY_MS, MINUTE_MS, now_ms};
use crate::validate::{MAX_URL_LEN, Validator};

use super::availability::{self, Availability};
use super::dialogs as dialog_rules;
use super::events::{self, Audience, VISITOR_UPDATED, VisitorEvent};

pub const MAX_ATTRIBUTES: usize = 50;
pub const MAX_ATTRIBUTE_KEY_CHARS: usize = 64;
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 1000;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_PHONE_CHARS: usize = 50;
pub const MAX_NOTE_CHARS: usize = 5000;
pub const MAX_EXTERNAL_ID_CHARS: usize = 200;

/// A widget session: the visitor's token, profile and chat.
pub struct Session {
    pub token: String,
    pub visitor: VisitorRow,
    pub chat: ChatRow,
    /// The visitor's most recent dialog in this chat.
    pub dialog: Option<DialogSummary>,
    pub availability: Availability,
    pub created: bool,
}

/// Starts or resumes a widget session for a chat's public key. A known token resumes its
/// visitor; an unknown or missing one starts a new anonymous visitor.
pub async fn start_session(state: &AppState, public_key: String, token: Option<String>) -> ApiResult<Session> {
    state
        .db
        .write(move |conn| {
            let now = now_ms();
            let chat = chats::find_by_public_key(conn, &public_key)?
                .filter(|c| c.archived_at.is_none())
                .ok_or_else(|| ApiError::not_found("chat"))?;
            if let Some(token) = token.filter(|t| t.starts_with(&format!("{VISITOR_TOKEN_PREFIX}_")))
                && let Some(visitor) = visitors::find_by_token_hash(conn, &secret::hash(&token))?
                && visitor.workspace_id == chat.workspace_id
            {
                visitors::touch(conn, visitor.id, now)?;
                let dialog = latest_summary(conn, visitor.id, chat.id)?;
                let availability = availability::of_chat(conn, &chat, &visitor)?;
                return Ok(Session { token, visitor, chat, dialog, availability, created: false });
            }
            let token = secret::generate(VISITOR_TOKEN_PREFIX);
            let visitor = visitors::insert(
                conn,
                &NewVisitor {
                    workspace_id: chat.workspace_id,
                    chat_id: chat.id,
                    token_hash: Some(&secret::hash(&token)),
                    external_id: None,
                    name: None,
                    email: None,
                    phone: None,
                    attributes: "{}",
                    created_at: now,
                    updated_at: now,
                    last_seen_at: now,
                },
            )?;
            let availability = availability::of_chat(conn, &chat, &visitor)?;
            Ok(Session { token, visitor, chat, dialog: None, availability, created: true })
        })
        .await
}

fn latest_summary(conn: &mut DbConn, visitor_id: i64, chat_id: i64) -> ApiResult<Option<DialogSummary>> {
    dialogs::latest_for_visitor(conn, visitor_id, chat_id)?.map(|d| dialog_rules::visitor_summary(conn, &d)).transpose()
}

/// Profile fields; `Some(None)` clears a field.
#[derive(Debug, Default, Clone)]
pub struct ProfileUpdate {
    pub name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    /// Merged into the stored attributes; a `null` value removes the key.
    pub attributes: Option<Map<String, Value>>,
}

fn validate_profile(p: &ProfileUpdate) -> ApiResult<()> {
    let mut v = Validator::new();
    if let Some(Some(name)) = &p.name {
        v.text("name", name, MAX_NAME_CHARS);
    }
    if let Some(Some(email)) = &p.email {
        v.email("email", email);
    }
    if let Some(Some(phone)) = &p.phone {
        v.text("phone", phone, MAX_PHONE_CHARS);
        v.check(
            phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)),
            "phone",
            "invalid_format",
            "may contain only digits, spaces and + - ( ) .",
        );
    }
    if let Some(attrs) = &p.attributes {
        validate_attributes(&mut v, attrs);
    }
    v.finish()
}

fn validate_attributes(v: &mut Validator, attrs: &Map<String, Value>) {
    // The request alone may not exceed the limit either (the spec's `maxProperties`).
    v.check(attrs.len() <= MAX_ATTRIBUTES, "attributes", "too_many", "at most 50 attributes per request");
    for (key, value) in attrs {
        let field = format!("attributes.{key}");
        let key_ok = !key.is_empty()
            && key.chars().count() <= MAX_ATTRIBUTE_KEY_CHARS
            && key.chars().all(|c| c.is_alphanumeric() || "_-.".contains(c));
        v.check(key_ok, &field, "invalid_key", "keys are 1-64 letters, digits, _ - or .");
        let value_ok = match value {
            Value::Null | Value::Bool(_) | Value::Number(_) => true,
            Value::String(s) => s.chars().count() <= MAX_ATTRIBUTE_VALUE_CHARS,
            Value::Array(_) | Value::Object(_) => false,
        };
        v.check(value_ok, &field, "invalid_value", "values are strings (up to 1000 characters), numbers or booleans");
    }
}

fn apply_profile(current: &VisitorRow, p: ProfileUpdate, now: i64) -> ApiResult<VisitorChanges> {
    let attributes = match p.attributes {
        Some(patch) => {
            let mut merged: Map<String, Value> = serde_json::from_str(&current.attributes).unwrap_or_default();
            for (k, v) in patch {
                if v.is_null() {
                    merged.remove(&k);
                } else {
                    merged.insert(k, v);
                }
            }
            if merged.len() > MAX_ATTRIBUTES {
                return Err(ApiError::invalid_field(
                    "attributes",
                    "too_many",
                    format!("a visitor has at most {MAX_ATTRIBUTES} attributes"),
                ));
            }
            Some(Value::Object(merged).to_string())
        }
        None => None,
    };
    let trim = |o: Option<Option<String>>| o.map(|v| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    Ok(VisitorChanges {
        name: trim(p.name),
        email: trim(p.email),
        phone: trim(p.phone),
        attributes,
        updated_at: Some(now),
        ..Default::default()
    })
}

fn update_in_tx(
    conn: &mut DbConn,
    ws: i64,
    id: i64,
    update: ProfileUpdate,
    out: &mut Vec<EventRow>,
) -> ApiResult<VisitorRow> {
    let now = now_ms();
    let current = visitors::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("visitor"))?;
    let changes = apply_profile(&current, update, now)?;
    let row = visitors::update(conn, ws, id, &changes)?;
    let payload = VisitorEvent { visitor: VisitorView::from(&row) };
    out.push(events::record(conn, ws, VISITOR_UPDATED, Audience::Operators, None, Some(row.id), &payload, now)?);
    Ok(row)
}

/// Sets or clears the visitor's picture, announcing the change like any card edit.
pub fn set_avatar_in_tx(
    conn: &mut DbConn,
    ws: i64,
    id: i64,
    avatar_url: Option<String>,
    out: &mut Vec<EventRow>,
) -> ApiResult<VisitorRow> {
    let now = now_ms();
    let changes = VisitorChanges { avatar_url: Some(avatar_url), updated_at: Some(now), ..Default::default() };
    let row = visitors::update(conn, ws, id, &changes)?;
    let payload = VisitorEvent { visitor: VisitorView::from(&row) };
    out.push(events::record(conn, ws, VISITOR_UPDATED, Audience::Operators, None, Some(row.id), &payload, now)?);
    Ok(row)
}

/// The visitor edits their own profile.
pub async fn update_own(
    state: &AppState,
    visitor: &VisitorPrincipal,
    update: ProfileUpdate,
) -> ApiResult<(VisitorRow, Vec<EventRow>)> {
    validate_profile(&update)?;
    let (ws, id) = (visitor.workspace_id, visitor.visitor_id);
    state
        .db
        .write_in(ws, move |conn| {
            let mut out = Vec::new();
            Ok((update_in_tx(conn, ws, id, update, &mut out)?, out))
        })
        .await
}

/// An operator edits a visitor's card.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: i64,
    update: ProfileUpdate,
) -> ApiResult<(VisitorRow, Vec<EventRow>)> {
    validate_profile(&update)?;
    let ws = principal.workspace_id;
    state
        .db
        .write_in(ws, move |conn| {
            let mut out = Vec::new();
            Ok((update_in_tx(conn, ws, id, update, &mut out)?, out))
        })
        .await
}

pub async fn get_own(state: &AppState, visitor: &VisitorPrincipal) -> ApiResult<VisitorRow> {
    let (ws, id) = (visitor.workspace_id, visitor.visitor_id);
    state.db.run(move |conn| visitors::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("visitor"))).await
}

/// The visitor answered an auto-reply's request for a contact (`email` or `phone`): a message
/// holding a valid one fills the card. Returns whether it did.
pub fn fill_requested_contact(
    conn: &mut DbConn,
    ws: i64,
    visitor_id: i64,
    request: &str,
    body: &str,
    out: &mut Vec<EventRow>,
) -> ApiResult<bool> {
    let words = body.split(|c: char| c.is_whitespace() || c == ',' || c == ';');
    let update = match request {
        "email" => words
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .find(|w| w.contains('@'))
            .map(|email| ProfileUpdate { email: Some(Some(email.to_string())), ..Default::default() }),
        "phone" => {
            let phone: String = body.chars().filter(|c| c.is_ascii_digit() || "+-() ".contains(*c)).collect();
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            (7..=15)
                .contains(&digits)
                .then(|| ProfileUpdate { phone: Some(Some(phone.trim().to_string())), ..Default::default() })
        }
        _ => None,
    };
    let Some(update) = update.filter(|u| validate_profile(u).is_ok()) else { return Ok(false) };
    update_in_tx(conn, ws, visitor_id, update, out)?;
    Ok(true)
}

/// Whether anyone can answer the visitor's chat now.
pub async fn availability(state: &AppState, visitor: &VisitorPrincipal) -> ApiResult<Availability> {
    let (ws, id, chat_id) = (visitor.workspace_id, visitor.visitor_id, visitor.chat_id);
    state
        .db
        .run(move |conn| {
            let visitor = visitors::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("visitor"))?;
            let chat = chats::find(conn, ws, chat_id)?
                .filter(|c| c.archived_at.is_none())
                .ok_or_else(|| ApiError::not_found("chat"))?;
            availability::of_chat(conn, &chat, &visitor)
        })
        .await
}

/// Everything operators know about a visitor.
pub struct Card {
    pub visitor: VisitorRow,
    pub notes: Vec<VisitorNoteRow>,
    pub dialogs: Vec<DialogRow>,
    pub page_views: Vec<PageViewRow>,
}

const CARD_ITEMS: i64 = 20;

pub async fn card(state: &AppState, principal: &Principal, id: i64) -> ApiResult<Card> {
    let ws = principal.workspace_id;
    state
        .db
        .run(move |conn| {
            let visitor = visitors::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("visitor"))?;
            let notes = visitors::notes(conn, ws, id, 50)?;
            let mut dialogs = dialogs::for_visitor(conn, ws, id, None, CARD_ITEMS)?;
            dialogs.truncate(CARD_ITEMS as usize);
            let mut page_views = visitors::page_views(conn, ws, id, None, CARD_ITEMS)?;
            page_views.truncate(CARD_ITEMS as usize);
            Ok(Card { visitor, notes, dialogs, page_views })
        })
        .await
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    search: Option<String>,
    page: PageParams,
) -> ApiResult<Page<VisitorRow>> {
    let limit = page.limit()?;
    let before = page.cursor(1)?.map(|c| c[0]);
    let ws = principal.workspace_id;
    let rows = state.db.run(move |conn| Ok(visitors::list(conn, ws, search.as_deref(), before, limit)?)).await?;
    Ok(Page::from_rows(rows, limit, |v| vec![v.id], |v| v))
}

/// A visitor's dialogs, newest first (operators see any visitor's; visitors only their own).
pub async fn dialogs_of(
    state: &AppState,
    workspace_id: i64,
    visitor_id: i64,
    page: PageParams,
) -> ApiResult<Page<DialogRow>> {
    let limit = page.limit()?;
    let before = page.cursor(1)?.map(|c| c[0]);
    let rows =
        state.db.run(move |conn| Ok(dialogs::for_visitor(conn, workspace_id, visitor_id, before, limit)?)).await?;
    Ok(Page::from_rows(rows, limit, |d| vec![d.id], |d| d))
}

pub async fn add_note(
    state: &AppState,
    principal: &Principal,
    visitor_id: i64,
    body: String,
) -> ApiResult<VisitorNoteRow> {
    let mut v = Validator::new();
    v.text("body", &body, MAX_NOTE_CHARS);
    v.finish()?;
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    state
        .db
        .write(move |conn| {
            visitors::find(conn, ws, visitor_id)?.ok_or_else(|| ApiError::not_found("visitor"))?;
            Ok(visitors::insert_note(conn, ws, visitor_id, op, body.trim(), now_ms())?)
        })
        .await
}

/// Deletes a note: its author or an admin.
pub async fn delete_note(state: &AppState, principal: &Principal, visitor_id: i64, note_id: i64) -> ApiResult<()> {
    let actor = principal.clone();
    state
        .db
        .write(move |conn| {
            let note = visitors::find_note(conn, actor.workspace_id, visitor_id, note_id)?
                .ok_or_else(|| ApiError::not_found("note"))?;
            if note.operator_id != actor.operator_id && !actor.role.is_admin() {
                return Err(ApiError::forbidden("only the note's author or an admin can delete it"));
            }
            Ok(visitors::delete_note(conn, note.id)?)
        })
        .await
}

pub struct PageViewInput {
    pub url: String,
    pub title: Option<String>,
    pub referrer: Option<String>,
    pub viewed_at: Option<i64>,
}

/// Records a page the visitor viewed, linked to their open dialog if any.
pub async fn record_page_view(
    state: &AppState,
    visitor: &VisitorPrincipal,
    input: PageViewInput,
) -> ApiResult<PageViewRow> {
    let now = now_ms();
    let mut v = Validator::new();
    v.url("url", &input.url);
    if let Some(t) = &input.title {
        v.max_chars("title", t, 500);
    }
    if let Some(r) = &input.referrer {
        v.max_chars("referrer", r, MAX_URL_LEN);
    }
    if let Some(at) = input.viewed_at {
        v.check(at <= now + 5 * MINUTE_MS, "viewed_at", "in_future", "must not be in the future");
        v.check(at >= now - 30 * DAY_MS, "viewed_at", "too_old", "must be within the last 30 days");
    }
    v.finish()?;
    let who = visitor.clone();
    state
        .db
        .write(move |conn| {
            let dialog = dialogs::latest_for_visitor(conn, who.visitor_id, who.chat_id)?.filter(|d| !d.is_closed());
            Ok(visitors::insert_page_view(
                conn,
                &NewPageView {
                    workspace_id: who.workspace_id,
                    visitor_id: who.visitor_id,
                    dialog_id: dialog.map(|d| d.id),
                    url: input.url.trim(),
                    title: input.title.as_deref(),
                    referrer: input.referrer.as_deref().filter(|r| !r.is_empty()),
                    viewed_at: input.viewed_at.unwrap_or(now),
                    created_at: now,
                },
            )?)
        })
        .await
}

pub async fn page_views(
    state: &AppState,
    principal: &Principal,
    visitor_id: i64,
    page: PageParams,
) -> ApiResult<Page<PageViewRow>> {
    let limit = page.limit()?;
    let before = page.cursor(1)?.map(|c| c[0]);
    let ws = principal.workspace_id;
    let rows = state
        .db
        .run(move |conn| {
            visitors::find(conn, ws, visitor_id)?.ok_or_else(|| ApiError::not_found("visitor"))?;
            Ok(visitors::page_views(conn, ws, visitor_id, before, limit)?)
        })
        .await?;
    Ok(Page::from_rows(rows, limit, |p| vec![p.id], |p| p))
}

pub struct NewContact {
    pub chat_id: i64,
    pub external_id: Option<String>,
    pub profile: ProfileUpdate,
}

/// Creates a visitor for another channel (integrations). With an `external_id` it is
/// idempotent: the existing visitor is returned, with `created` false.
pub async fn create_contact(
    state: &AppState,
    principal: &Principal,
    input: NewContact,
) -> ApiResult<(VisitorRow, bool)> {
    validate_profile(&input.profile)?;
    let mut v = Validator::new();
    v.opt_text("external_id", input.external_id.as_deref(), MAX_EXTERNAL_ID_CHARS);
    v.finish()?;
    let ws = principal.workspace_id;
    // Under the workspace lock, so two creates with one external id give one visitor.
    state
        .db
        .write_in(ws, move |conn| {
            let now = now_ms();
            chats::find(conn, ws, input.chat_id)?.filter(|c| c.archived_at.is_none()).ok_or_else(|| {
                ApiError::invalid_field("chat_id", "unknown_chat", "no active chat with this id in the workspace")
            })?;
            let external = input.external_id.as_deref().map(str::trim);
            if let Some(ext) = external
                && let Some(existing) = visitors::find_by_external_id(conn, ws, ext)?
            {
                return Ok((existing, false));
            }
            let visitor = visitors::insert(
                conn,
                &NewVisitor {
                    workspace_id: ws,
                    chat_id: input.chat_id,
                    token_hash: None,
                    external_id: external,
                    name: None,
                    email: None,
                    phone: None,
                    attributes: "{}",
                    created_at: now,
                    updated_at: now,
                    last_seen_at: now,
                },
            )?;
            let changes = apply_profile(&visitor, input.profile, now)?;
            Ok((visitors::update(conn, ws, visitor.id, &changes)?, true))
        })
        .await
}

/// The visitor as a principal, for integrations that post on a visitor's behalf.
pub async fn as_principal(state: &AppState, principal: &Principal, visitor_id: i64) -> ApiResult<VisitorPrincipal> {
    let ws = principal.workspace_id;
    state
        .db
        .run(move |conn| {
            let v = visitors::find(conn, ws, visitor_id)?.ok_or_else(|| ApiError::not_found("visitor"))?;
            Ok(VisitorPrincipal { workspace_id: ws, visitor_id: v.id, chat_id: v.chat_id })
        })
        .await
}
