//! Sending, listing and deleting messages. Sends go through the group-commit writer; a
//! client-supplied id makes them idempotent (a retry returns the original message).

use std::collections::HashMap;

use crate::auth::Principal;
use crate::auth::visitor::VisitorPrincipal;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::model::dialog::{ClosedBy, DialogSummary};
use crate::model::file::FileView;
use crate::model::message::{AuthorNames, AuthorType, MessageView};
use crate::model::operator::OperatorBrief;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::dialogs::{self, Counted, DialogRow};
use crate::store::events::EventRow;
use crate::store::messages::{self, KIND_MESSAGE, KIND_NOTE, KIND_SYSTEM, MessageRow, NewMessage};
use crate::store::{chats, files, operators, response_times, visitors};
use crate::time::{SECOND_MS, now_ms};
use crate::validate::Validator;

use super::channel::Channel;
use super::chat_settings::ChatSettings;
use super::dialog_figures;
use super::dialogs::{self as dialog_rules, Reader};
use super::events::{self, Audience, MESSAGE_CREATED, MESSAGE_DELETED, MessageEvent};
use super::visitor_sends::{self, VisitorSend};

/// Longest message text, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
pub const MAX_CLIENT_ID_CHARS: usize = 100;
/// Most files one message carries.
pub const MAX_ATTACHMENTS: usize = 10;

/// The outcome of a send.
#[derive(Debug, Clone)]
pub struct Sent {
    pub message: MessageView,
    pub dialog: DialogSummary,
    /// False when the client id matched an earlier message, which is returned instead.
    pub created: bool,
    pub events: Vec<EventRow>,
}

/// A message needs text or at least one attachment.
fn validate(body: &str, client_id: Option<&str>, attachment_ids: &[String]) -> ApiResult<()> {
    let mut v = Validator::new();
    if attachment_ids.is_empty() {
        v.text("body", body, MAX_BODY_CHARS);
    } else {
        v.max_chars("body", body.trim(), MAX_BODY_CHARS);
    }
    if let Some(id) = client_id {
        v.text("client_id", id, MAX_CLIENT_ID_CHARS);
    }
    v.check(attachment_ids.len() <= MAX_ATTACHMENTS, "attachment_ids", "too_many", "at most 10 attachments");
    let mut sorted: Vec<&String> = attachment_ids.iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    v.check(sorted.len() == attachment_ids.len(), "attachment_ids", "duplicate", "an attachment is listed twice");
    v.finish()
}

/// Links the sender's own unsent uploads to a new message; any other id refuses the send.
fn attach_files(
    conn: &mut DbConn,
    ws: i64,
    uploader: AuthorType,
    uploader_id: i64,
    ids: &[String],
    message_id: i64,
) -> ApiResult<Vec<FileView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = files::unattached(conn, ws, uploader.as_str(), uploader_id, ids)?;
    if found.len() != ids.len() || files::attach(conn, ids, message_id)? != ids.len() {
        return Err(ApiError::invalid_field(
            "attachment_ids",
            "unknown_attachment",
            "every attachment must be a file you uploaded and have not sent yet",
        ));
    }
    // In the order the sender listed them.
    Ok(ids.iter().filter_map(|id| found.iter().find(|f| &f.id == id)).map(FileView::from).collect())
}

/// Attachments of messages, by message id, in one query.
pub fn attachments_of(conn: &mut DbConn, message_ids: &[i64]) -> ApiResult<HashMap<i64, Vec<FileView>>> {
    let mut by_message: HashMap<i64, Vec<FileView>> = HashMap::new();
    for row in files::of_messages(conn, message_ids)? {
        if let Some(message_id) = row.message_id {
            by_message.entry(message_id).or_default().push(FileView::from(&row));
        }
    }
    Ok(by_message)
}

#[derive(Debug, Clone)]
pub struct VisitorMessageInput {
    pub body: String,
    pub client_id: Option<String>,
    pub channel: Channel,
    /// The visitor's own uploads to send with the message.
    pub attachment_ids: Vec<String>,
}

/// A visitor writes: into their open dialog in this chat, reopening a closed one within the
/// chat's reopen timeout, or else into a new dialog.
pub async fn send_as_visitor(
    state: &AppState,
    visitor: &VisitorPrincipal,
    input: VisitorMessageInput,
) -> ApiResult<Sent> {
    validate(&input.body, input.client_id.as_deref(), &input.attachment_ids)?;
    let send = VisitorSend { who: visitor.clone(), input };
    let grouped = Box::new(send.clone());
    state
        .writer
        .submit_grouped(visitor.workspace_id, visitor_sends::write_group, grouped, move |conn| {
            write_visitor_message(conn, &send.who, &send.input, now_ms())
        })
        .await
}

fn write_visitor_message(
    conn: &mut DbConn,
    who: &VisitorPrincipal,
    input: &VisitorMessageInput,
    now: i64,
) -> ApiResult<Sent> {
    let ws = who.workspace_id;
    let client_id = input.client_id.as_deref();
    let context = dialogs::visitor_write_context(conn, ws, who.visitor_id, who.chat_id, client_id)?
        .ok_or_else(|| ApiError::not_found("visitor"))?;
    if let (Some(_), Some(client_id)) = (context.existing_message_id, client_id)
        && let Some(existing) = messages::find_by_client_id(conn, ws, "visitor", who.visitor_id, client_id)?
    {
        return replay(conn, ws, existing);
    }
    let chat = chats::find(conn, ws, who.chat_id)?
        .filter(|c| c.archived_at.is_none())
        .ok_or_else(|| ApiError::not_found("chat"))?;
    let reopen_window = ChatSettings::from_stored(&chat.settings).reopen_timeout_secs * SECOND_MS;
    let mut out = Vec::new();
    let dialog = match context.latest {
        Some(d) if !d.is_closed() => d,
        Some(d) if d.closed_at.is_some_and(|at| now - at <= reopen_window) => {
            dialog_rules::reopen(conn, &d, now, &mut out)?
        }
        _ => dialog_rules::create(conn, ws, chat.id, who.visitor_id, input.channel.as_str(), now, &mut out)?,
    };
    // Only after an auto-reply asked for a contact: the answer fills the visitor card.
    let filled = match dialog.contact_request.as_deref() {
        Some(request) => {
            super::visitors::fill_requested_contact(conn, ws, who.visitor_id, request, &input.body, &mut out)?
        }
        None => false,
    };
    let dialog = if filled {
        dialogs::update(conn, &dialog, &dialogs::DialogChanges { contact_request: Some(None), ..Default::default() })?
    } else {
        dialog
    };
    let row = messages::insert(
        conn,
        &NewMessage {
            workspace_id: ws,
            dialog_id: dialog.id,
            kind: KIND_MESSAGE,
            author_type: AuthorType::Visitor.as_str(),
            author_id: Some(who.visitor_id),
            channel: input.channel.as_str(),
            body: input.body.trim(),
            client_id: input.client_id.as_deref(),
            created_at: now,
        },
    )?;
    let attached = attach_files(conn, ws, AuthorType::Visitor, who.visitor_id, &input.attachment_ids, row.id)?;
    let dialog = dialogs::record_message(conn, &dialog, row.id, Counted::Visitor, now)?;
    let names = AuthorNames {
        visitor_name: context.visitor_name,
        attachments: HashMap::from([(row.id, attached)]),
        ..Default::default()
    };
    finish(conn, &dialog, &row, &names, Audience::Visitor, now, out)
}

/// Who writes the first message of a dialog started through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    Visitor,
    Operator,
}

/// Starts a new dialog with its first message (integrations and proactive outreach). Refused
/// while the visitor has an open dialog in the chat: there is one conversation at a time.
pub async fn start_dialog(
    state: &AppState,
    principal: &Principal,
    visitor_id: i64,
    opener: Opener,
    channel: Channel,
    body: String,
    client_id: Option<String>,
) -> ApiResult<Sent> {
    validate(&body, client_id.as_deref(), &[])?;
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    state
        .writer
        .submit(ws, move |conn| {
            let now = now_ms();
            let visitor = visitors::find(conn, ws, visitor_id)?.ok_or_else(|| {
                ApiError::invalid_field("visitor_id", "unknown_visitor", "no visitor with this id in the workspace")
            })?;
            let (author_type, author_id) = match opener {
                Opener::Visitor => ("visitor", visitor.id),
                Opener::Operator => ("operator", op),
            };
            if let Some(cid) = &client_id
                && let Some(existing) = messages::find_by_client_id(conn, ws, author_type, author_id, cid)?
            {
                let same_visitor =
                    dialogs::find(conn, ws, existing.dialog_id)?.is_some_and(|d| d.visitor_id == visitor.id);
                if !same_visitor {
                    return Err(ApiError::conflict(
                        "client_id_reused",
                        "this client_id was already used for another dialog",
                    ));
                }
                return replay(conn, ws, existing);
            }
            // The visitor is named in the body, so their archived chat is a field error, not a 404.
            chats::find(conn, ws, visitor.chat_id)?.filter(|c| c.archived_at.is_none()).ok_or_else(|| {
                ApiError::invalid_field("visitor_id", "chat_archived", "the visitor's chat is archived")
            })?;
            if let Some(open) =
                dialogs::latest_for_visitor(conn, visitor.id, visitor.chat_id)?.filter(|d| !d.is_closed())
            {
                return Err(ApiError::conflict(
                    "dialog_exists",
                    format!("the visitor already has an open dialog ({}) in this chat", open.id),
                ));
            }
            let mut out = Vec::new();
            let dialog = dialog_rules::create(conn, ws, visitor.chat_id, visitor.id, channel.as_str(), now, &mut out)?;
            let mut sent = match opener {
                Opener::Visitor => {
                    let who = VisitorPrincipal { workspace_id: ws, visitor_id: visitor.id, chat_id: visitor.chat_id };
                    let input = VisitorMessageInput {
                        body: body.clone(),
                        client_id: client_id.clone(),
                        channel,
                        attachment_ids: Vec::new(),
                    };
                    write_visitor_message(conn, &who, &input, now)?
                }
                Opener::Operator => {
                    let input = OperatorMessageInput {
                        kind: OperatorMessageKind::Message,
                        body: body.clone(),
                        client_id: client_id.clone(),
                        channel: Some(channel),
                        attachment_ids: Vec::new(),
                    };
                    write_operator_message(conn, ws, op, dialog.id, &input, now)?
                }
            };
            out.append(&mut sent.events);
            sent.events = out;
            Ok(sent)
        })
        .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorMessageKind {
    /// A reply the visitor sees.
    Message,
    /// An internal note.
    Note,
}

#[derive(Debug, Clone)]
pub struct OperatorMessageInput {
    pub kind: OperatorMessageKind,
    pub body: String,
    pub client_id: Option<String>,
    /// Where the reply goes; default: the channel the visitor last wrote from.
    pub channel: Option<Channel>,
    /// The operator's own uploads to send with the message or note.
    pub attachment_ids: Vec<String>,
}

/// An operator writes a reply or a note. A reply to an unassigned dialog makes the operator
/// its assignee; a reply to a closed dialog reopens it.
pub async fn send_as_operator(
    state: &AppState,
    principal: &Principal,
    dialog_id: i64,
    input: OperatorMessageInput,
) -> ApiResult<Sent> {
    validate(&input.body, input.client_id.as_deref(), &input.attachment_ids)?;
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    state.writer.submit(ws, move |conn| write_operator_message(conn, ws, op, dialog_id, &input, now_ms())).await
}

fn write_operator_message(
    conn: &mut DbConn,
    ws: i64,
    operator_id: i64,
    dialog_id: i64,
    input: &OperatorMessageInput,
    now: i64,
) -> ApiResult<Sent> {
    if let Some(client_id) = &input.client_id
        && let Some(existing) = messages::find_by_client_id(conn, ws, "operator", operator_id, client_id)?
    {
        if existing.dialog_id != dialog_id {
            return Err(ApiError::conflict("client_id_reused", "this client_id was already used for another dialog"));
        }
        return replay(conn, ws, existing);
    }
    let mut dialog = dialog_rules::find(conn, ws, dialog_id)?;
    let operator = operators::find_many_any(conn, ws, &[operator_id])?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("operator"))?;
    let mut out = Vec::new();
    let (kind, counted, audience) = match input.kind {
        OperatorMessageKind::Note => (KIND_NOTE, Counted::Note, Audience::Operators),
        OperatorMessageKind::Message => {
            if dialog.is_closed() {
                dialog = dialog_rules::reopen(conn, &dialog, now, &mut out)?;
            }
            dialog = dialog_rules::claim_on_reply(conn, dialog, operator_id, now, &mut out)?;
            (KIND_MESSAGE, Counted::Operator, Audience::Visitor)
        }
    };
    let channel = match input.channel {
        Some(c) => c.as_str().to_string(),
        None => messages::last_visitor_channel(conn, dialog.id)?.unwrap_or_else(|| dialog.channel.clone()),
    };
    let row = messages::insert(
        conn,
        &NewMessage {
            workspace_id: ws,
            dialog_id: dialog.id,
            kind,
            author_type: AuthorType::Operator.as_str(),
            author_id: Some(operator_id),
            channel: &channel,
            body: input.body.trim(),
            client_id: input.client_id.as_deref(),
            created_at: now,
        },
    )?;
    let attached = attach_files(conn, ws, AuthorType::Operator, operator_id, &input.attachment_ids, row.id)?;
    let before = dialog;
    let dialog = dialogs::record_message(conn, &before, row.id, counted, now)?;
    if let Some(wait) = dialog_figures::answered_between(&before, &dialog, now) {
        response_times::insert(conn, &dialog, Some(operator_id), wait, now)?;
    }
    let names = AuthorNames {
        operators: HashMap::from([(operator.id, OperatorBrief::from(&operator))]),
        attachments: HashMap::from([(row.id, attached)]),
        ..Default::default()
    };
    finish(conn, &dialog, &row, &names, audience, now, out)
}

fn finish(
    conn: &mut DbConn,
    dialog: &DialogRow,
    row: &MessageRow,
    names: &AuthorNames,
    audience: Audience,
    now: i64,
    out: Vec<EventRow>,
) -> ApiResult<Sent> {
    let summary = dialog_rules::summary(conn, dialog)?;
    finish_with(conn, dialog, summary, row, names, audience, now, out)
}

/// [`finish`] with the dialog's summary at hand.
#[allow(clippy::too_many_arguments)]
pub(super) fn finish_with(
    conn: &mut DbConn,
    dialog: &DialogRow,
    summary: DialogSummary,
    row: &MessageRow,
    names: &AuthorNames,
    audience: Audience,
    now: i64,
    mut out: Vec<EventRow>,
) -> ApiResult<Sent> {
    let message = MessageView::build(row, names);
    let payload = MessageEvent { dialog: summary.clone(), message: message.clone() };
    out.push(events::record(
        conn,
        dialog.workspace_id,
        MESSAGE_CREATED,
        audience,
        Some(dialog.id),
        Some(dialog.visitor_id),
        &payload,
        now,
    )?);
    Ok(Sent { message, dialog: summary, created: true, events: out })
}

/// A message from livedesk itself (`System`: queue reminders, the offline text; `Bot`:
/// auto-replies), shown to the visitor under the chat's sender name. Returns the updated dialog.
pub fn write_system_message(
    conn: &mut DbConn,
    dialog: &DialogRow,
    author: AuthorType,
    body: &str,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<DialogRow> {
    let row = messages::insert(
        conn,
        &NewMessage {
            workspace_id: dialog.workspace_id,
            dialog_id: dialog.id,
            kind: KIND_SYSTEM,
            author_type: author.as_str(),
            author_id: None,
            channel: &dialog.channel,
            body: body.trim(),
            client_id: None,
            created_at: now,
        },
    )?;
    let dialog = dialogs::record_message(conn, dialog, row.id, Counted::System, now)?;
    let sender_name = chats::find(conn, dialog.workspace_id, dialog.chat_id)?
        .map(|c| ChatSettings::from_stored(&c.settings).default_sender_name);
    let names = AuthorNames { sender_name, ..Default::default() };
    let sent = finish(conn, &dialog, &row, &names, Audience::Visitor, now, std::mem::take(out))?;
    *out = sent.events;
    Ok(dialog)
}

/// The answer to a retried send: the original message, nothing new written.
fn replay(conn: &mut DbConn, ws: i64, existing: MessageRow) -> ApiResult<Sent> {
    let dialog = dialog_rules::find(conn, ws, existing.dialog_id)?;
    let names = author_names(conn, ws, &dialog, std::slice::from_ref(&existing))?;
    Ok(Sent {
        message: MessageView::build(&existing, &names),
        dialog: dialog_rules::summary(conn, &dialog)?,
        created: false,
        events: Vec::new(),
    })
}

/// Names of the authors of `rows`, in one query per kind of author.
pub fn author_names(conn: &mut DbConn, ws: i64, dialog: &DialogRow, rows: &[MessageRow]) -> ApiResult<AuthorNames> {
    let mut ids: Vec<i64> = rows.iter().filter(|m| m.author_type == "operator").filter_map(|m| m.author_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let operators = operators::find_many_any(conn, ws, &ids)?.iter().map(|o| (o.id, OperatorBrief::from(o))).collect();
    let visitor_name = visitors::find(conn, ws, dialog.visitor_id)?.and_then(|v| v.name);
    let sender_name =
        chats::find(conn, ws, dialog.chat_id)?.map(|c| ChatSettings::from_stored(&c.settings).default_sender_name);
    let message_ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let attachments = attachments_of(conn, &message_ids)?;
    Ok(AuthorNames { operators, visitor_name, sender_name, attachments })
}

#[derive(Debug, Clone, Copy)]
pub struct MessageListQuery {
    pub include_notes: bool,
    pub descending: bool,
}

/// A page of a dialog's messages for operators.
pub async fn list_for_operator(
    state: &AppState,
    principal: &Principal,
    dialog_id: i64,
    query: MessageListQuery,
    page: PageParams,
) -> ApiResult<Page<MessageView>> {
    let ws = principal.workspace_id;
    list(state, ws, dialog_id, None, query, page).await
}

/// A page of messages of the visitor's own dialog; notes never appear.
pub async fn list_for_visitor(
    state: &AppState,
    visitor: &VisitorPrincipal,
    dialog_id: i64,
    descending: bool,
    page: PageParams,
) -> ApiResult<Page<MessageView>> {
    let query = MessageListQuery { include_notes: false, descending };
    list(state, visitor.workspace_id, dialog_id, Some(visitor.visitor_id), query, page).await
}

async fn list(
    state: &AppState,
    ws: i64,
    dialog_id: i64,
    visitor_id: Option<i64>,
    query: MessageListQuery,
    page: PageParams,
) -> ApiResult<Page<MessageView>> {
    let limit = page.limit()?;
    let after = page.cursor(1)?.map(|c| c[0]);
    state
        .db
        .run(move |conn| {
            let dialog = dialog_rules::find(conn, ws, dialog_id)?;
            if visitor_id.is_some_and(|v| v != dialog.visitor_id) {
                return Err(ApiError::not_found("dialog"));
            }
            let rows = messages::list(conn, dialog.id, query.include_notes, after, query.descending, limit)?;
            let names = author_names(conn, ws, &dialog, &rows)?;
            Ok(Page::from_rows(rows, limit, |m| vec![m.id], |m| MessageView::build(&m, &names)))
        })
        .await
}

/// Deletes a message, keeping a tombstone (who and when). Operators delete their own
/// messages and notes; admins any message.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    dialog_id: i64,
    message_id: i64,
) -> ApiResult<(MessageView, Vec<EventRow>)> {
    let actor = principal.clone();
    let ws = actor.workspace_id;
    state
        .db
        .write_in(ws, move |conn| {
            let now = now_ms();
            let dialog = dialog_rules::find(conn, ws, dialog_id)?;
            let row = messages::find(conn, ws, dialog_id, message_id)?.ok_or_else(|| ApiError::not_found("message"))?;
            let own = row.author_type == "operator" && row.author_id == Some(actor.operator_id);
            if !own && !actor.role.is_admin() {
                return Err(ApiError::forbidden("operators can delete only their own messages"));
            }
            if row.deleted_at.is_some() {
                let names = author_names(conn, ws, &dialog, std::slice::from_ref(&row))?;
                return Ok((MessageView::build(&row, &names), Vec::new()));
            }
            let row = messages::tombstone(conn, row.id, actor.operator_id, now)?;
            let names = author_names(conn, ws, &dialog, std::slice::from_ref(&row))?;
            let message = MessageView::build(&row, &names);
            let audience = if row.kind == KIND_NOTE { Audience::Operators } else { Audience::Visitor };
            let payload = MessageEvent { dialog: dialog_rules::summary(conn, &dialog)?, message: message.clone() };
            let event = events::record(
                conn,
                ws,
                MESSAGE_DELETED,
                audience,
                Some(dialog.id),
                Some(dialog.visitor_id),
                &payload,
                now,
            )?;
            Ok((message, vec![event]))
        })
        .await
}

/// The visitor closes their dialog.
pub async fn close_by_visitor(
    state: &AppState,
    visitor: &VisitorPrincipal,
    dialog_id: i64,
) -> ApiResult<(DialogSummary, Vec<EventRow>)> {
    let who = visitor.clone();
    state
        .db
        .write_in(who.workspace_id, move |conn| {
            let row = own_dialog(conn, &who, dialog_id)?;
            let mut out = Vec::new();
            let row = dialog_rules::close(conn, &row, ClosedBy::Visitor, None, now_ms(), &mut out)?;
            Ok((dialog_rules::summary(conn, &row)?, out))
        })
        .await
}

/// The visitor marks messages read.
pub async fn mark_read_by_visitor(
    state: &AppState,
    visitor: &VisitorPrincipal,
    dialog_id: i64,
    message_id: Option<i64>,
) -> ApiResult<(DialogSummary, Vec<EventRow>)> {
    let who = visitor.clone();
    state
        .db
        .write_in(who.workspace_id, move |conn| {
            let row = own_dialog(conn, &who, dialog_id)?;
            let mut out = Vec::new();
            let row = dialog_rules::mark_read(conn, &row, Reader::Visitor, message_id, &mut out)?;
            Ok((dialog_rules::summary(conn, &row)?, out))
        })
        .await
}

/// A dialog of this visitor; anyone else's answers 404.
pub fn own_dialog(conn: &mut DbConn, who: &VisitorPrincipal, dialog_id: i64) -> ApiResult<DialogRow> {
    dialogs::find(conn, who.workspace_id, dialog_id)?
        .filter(|d| d.visitor_id == who.visitor_id)
        .ok_or_else(|| ApiError::not_found("dialog"))
}
