//! The dialog lifecycle: open and unassigned, assigned (the first operator to reply, or by hand),
//! closed by an operator or the visitor, reopened by a visitor message within the chat's reopen
//! timeout. Also the views of dialogs, built with a fixed number of queries per page.

use std::collections::{HashMap, HashSet};

use crate::auth::{Principal, Role};
use crate::config::Config;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::model::dialog::{ChatBrief, ClosedBy, DialogParts, DialogSummary, DialogView};
use crate::model::message::{AuthorNames, MessageView};
use crate::model::operator::OperatorBrief;
use crate::model::tag::TagView;
use crate::model::visitor::VisitorBrief;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::dialogs::{self, DialogChanges, DialogFilter, DialogRow, NewDialog, Sort};
use crate::store::events::EventRow;
use crate::store::{chats, messages, operators, tags, visitors};
use crate::time::now_ms;

use super::events::{
    self, ChangeReason, DIALOG_ASSIGNED, DIALOG_CLOSED, DIALOG_CREATED, DIALOG_READ, DIALOG_REOPENED, DIALOG_UNASSIGNED,
};
use super::ratings;
use super::{assignment, billing};

/// Full views of dialog rows: one query per related table, however many rows. `viewer` decides
/// whether costs are shown (billing is for super admins).
pub fn present(
    conn: &mut DbConn,
    config: &Config,
    workspace_id: i64,
    viewer: Role,
    rows: &[DialogRow],
) -> ApiResult<Vec<DialogView>> {
    let prices = if rows.is_empty() { None } else { billing::for_viewer(conn, workspace_id, viewer)? };
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let chat_ids: Vec<i64> = unique(rows.iter().map(|d| d.chat_id));
    let visitor_ids: Vec<i64> = unique(rows.iter().map(|d| d.visitor_id));
    let last_ids: Vec<i64> = rows.iter().filter_map(|d| d.last_message_id).collect();

    let chats: HashMap<i64, String> =
        chats::find_many(conn, workspace_id, &chat_ids)?.into_iter().map(|c| (c.id, c.name)).collect();
    let visitors: HashMap<i64, _> =
        visitors::find_many(conn, workspace_id, &visitor_ids)?.into_iter().map(|v| (v.id, v)).collect();
    let last_messages = messages::find_many(conn, &last_ids)?;
    let operator_ids = unique(
        rows.iter()
            .filter_map(|d| d.assignee_id)
            .chain(last_messages.iter().filter(|m| m.author_type == "operator").filter_map(|m| m.author_id)),
    );
    let operators: HashMap<i64, OperatorBrief> = operators::find_many_any(conn, workspace_id, &operator_ids)?
        .iter()
        .map(|o| (o.id, OperatorBrief::from(o)))
        .collect();
    let mut tags_by_dialog: HashMap<i64, Vec<TagView>> = HashMap::new();
    for (dialog_id, tag) in tags::for_dialogs(conn, workspace_id, &ids)? {
        tags_by_dialog.entry(dialog_id).or_default().push(TagView::from(&tag));
    }
    let mut last_by_id: HashMap<i64, _> = last_messages.into_iter().map(|m| (m.id, m)).collect();
    let attachments = super::messages::attachments_of(conn, &last_ids)?;
    let mut names = AuthorNames { operators, attachments, ..Default::default() };

    Ok(rows
        .iter()
        .map(|d| {
            let visitor = visitors.get(&d.visitor_id);
            names.visitor_name = visitor.and_then(|v| v.name.clone());
            let last_message =
                d.last_message_id.and_then(|id| last_by_id.remove(&id)).map(|m| MessageView::build(&m, &names));
            DialogView::build(
                d,
                DialogParts {
                    link: config.dialog_link(d.id, &d.session_id),
                    chat: ChatBrief { id: d.chat_id, name: chats.get(&d.chat_id).cloned().unwrap_or_default() },
                    visitor: visitor.map(VisitorBrief::from).unwrap_or(VisitorBrief {
                        id: d.visitor_id,
                        name: None,
                        email: None,
                    }),
                    assignee: d.assignee_id.and_then(|id| names.operators.get(&id).cloned()),
                    tags: tags_by_dialog.remove(&d.id).unwrap_or_default(),
                    last_message,
                    cost: prices.as_ref().map(|p| p.cost(d)),
                },
            )
        })
        .collect())
}

fn unique(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let set: HashSet<i64> = ids.collect();
    set.into_iter().collect()
}

/// The compact state carried by events and shown to visitors.
pub fn summary(conn: &mut DbConn, row: &DialogRow) -> ApiResult<DialogSummary> {
    let assignee = match row.assignee_id {
        Some(id) => operators::find_any(conn, row.workspace_id, id)?.as_ref().map(OperatorBrief::from),
        None => None,
    };
    Ok(DialogSummary::build(row, assignee))
}

/// The summary the visitor sees: with their place in the queue while queued.
pub fn visitor_summary(conn: &mut DbConn, row: &DialogRow) -> ApiResult<DialogSummary> {
    let mut state = summary(conn, row)?;
    state.queue_position = assignment::position(conn, row)?;
    Ok(state)
}

/// Records a `dialog.*` event carrying the dialog's current state.
fn emit(conn: &mut DbConn, event_type: &str, row: &DialogRow, now: i64, out: &mut Vec<EventRow>) -> ApiResult<()> {
    emit_because(conn, event_type, row, None, now, out)
}

/// Like [`emit`], for a change livedesk made on its own, saying why.
pub fn emit_because(
    conn: &mut DbConn,
    event_type: &str,
    row: &DialogRow,
    reason: Option<ChangeReason>,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<()> {
    let state = summary(conn, row)?;
    out.push(events::dialog_event(conn, event_type, &state, row.workspace_id, reason, now)?);
    Ok(())
}

/// Summaries of several dialogs: one query for all their assignees.
pub fn summaries(conn: &mut DbConn, workspace_id: i64, rows: &[DialogRow]) -> ApiResult<Vec<DialogSummary>> {
    let ids = unique(rows.iter().filter_map(|d| d.assignee_id));
    let assignees: HashMap<i64, OperatorBrief> =
        operators::find_many_any(conn, workspace_id, &ids)?.iter().map(|o| (o.id, OperatorBrief::from(o))).collect();
    Ok(rows.iter().map(|d| DialogSummary::build(d, d.assignee_id.and_then(|id| assignees.get(&id).cloned()))).collect())
}

pub fn find(conn: &mut DbConn, workspace_id: i64, id: i64) -> ApiResult<DialogRow> {
    dialogs::find(conn, workspace_id, id)?.ok_or_else(|| ApiError::not_found("dialog"))
}

/// A new dialog, with its `dialog.created` event.
pub fn create(
    conn: &mut DbConn,
    workspace_id: i64,
    chat_id: i64,
    visitor_id: i64,
    channel: &str,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<DialogRow> {
    let session_id = uuid::Uuid::new_v4().to_string();
    let row = dialogs::insert(
        conn,
        &NewDialog {
            workspace_id,
            session_id: &session_id,
            chat_id,
            visitor_id,
            channel,
            status: dialogs::OPEN,
            created_at: now,
            updated_at: now,
            last_activity_at: now,
            // The timer job looks at every new dialog once: assignment, auto-close, idle time.
            due_at: Some(now),
            auto_reply_checked: false,
        },
    )?;
    emit(conn, DIALOG_CREATED, &row, now, out)?;
    Ok(row)
}

/// Reopens a closed dialog (keeping its assignee), with its `dialog.reopened` event.
pub fn reopen(conn: &mut DbConn, row: &DialogRow, now: i64, out: &mut Vec<EventRow>) -> ApiResult<DialogRow> {
    let status = if row.assignee_id.is_some() { dialogs::ASSIGNED } else { dialogs::OPEN };
    let changes = DialogChanges {
        status: Some(status.into()),
        closed_at: Some(None),
        closed_by: Some(None),
        closed_by_operator_id: Some(None),
        reopen_count: Some(row.reopen_count + 1),
        updated_at: Some(now),
        last_activity_at: Some(now),
        queue_timeout_at: Some(None),
        due_at: Some(Some(now)),
        ..Default::default()
    };
    let row = dialogs::update(conn, row, &changes)?;
    emit(conn, DIALOG_REOPENED, &row, now, out)?;
    ratings::withdraw_unanswered(conn, row.id)?;
    Ok(row)
}

/// Closes a dialog, with its `dialog.closed` event; closing a closed dialog changes nothing.
pub fn close(
    conn: &mut DbConn,
    row: &DialogRow,
    by: ClosedBy,
    operator_id: Option<i64>,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<DialogRow> {
    close_because(conn, row, by, operator_id, None, now, out)
}

/// Like [`close`], saying why when livedesk closes on its own. The assignee's freed capacity
/// goes at once to the queue.
pub fn close_because(
    conn: &mut DbConn,
    row: &DialogRow,
    by: ClosedBy,
    operator_id: Option<i64>,
    reason: Option<ChangeReason>,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<DialogRow> {
    if row.is_closed() {
        return Ok(row.clone());
    }
    let changes = DialogChanges {
        status: Some(dialogs::CLOSED.into()),
        closed_at: Some(Some(now)),
        closed_by: Some(Some(by.as_str().into())),
        closed_by_operator_id: Some(operator_id),
        updated_at: Some(now),
        last_activity_at: Some(now),
        // Closing ends an unanswered wait without a response time.
        waiting_since: Some(None),
        queued_at: Some(None),
        queue_notified_at: Some(None),
        due_at: Some(None),
        ..Default::default()
    };
    let row = dialogs::update(conn, row, &changes)?;
    emit_because(conn, DIALOG_CLOSED, &row, reason, now, out)?;
    ratings::request_on_close(conn, &row, now, out)?;
    if row.assignee_id.is_some() {
        assignment::assign_queued(conn, row.workspace_id, now, &assignment::Avoid::new(), out)?;
    }
    Ok(row)
}

/// Makes the replying operator the assignee if nobody is yet. Of two operators replying at
/// once exactly one becomes the assignee.
pub fn claim_on_reply(
    conn: &mut DbConn,
    row: DialogRow,
    operator_id: i64,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<DialogRow> {
    if row.assignee_id.is_some() || !dialogs::claim(conn, &row, operator_id, now)? {
        return find(conn, row.workspace_id, row.id);
    }
    let row = find(conn, row.workspace_id, row.id)?;
    emit(conn, DIALOG_ASSIGNED, &row, now, out)?;
    Ok(row)
}

pub struct ListQuery {
    pub filter: DialogFilter,
    pub page: PageParams,
}

pub async fn list(state: &AppState, principal: &Principal, query: ListQuery) -> ApiResult<Page<DialogView>> {
    let limit = query.page.limit()?;
    let after = query.page.cursor(2)?.map(|c| (c[0], c[1]));
    let ws = principal.workspace_id;
    let role = principal.role;
    let config = state.config.clone();
    let sort = query.filter.sort;
    state
        .db
        .run(move |conn| {
            let rows = dialogs::list(conn, ws, &query.filter, after, limit)?;
            let more = rows.len() as i64 > limit;
            let rows: Vec<DialogRow> = rows.into_iter().take(limit as usize).collect();
            let next_cursor = if more {
                rows.last().map(|d| {
                    let key = match sort {
                        Sort::LastActivity => d.last_activity_at,
                        Sort::Created => d.created_at,
                    };
                    crate::pagination::encode(&[key, d.id])
                })
            } else {
                None
            };
            Ok(Page { items: present(conn, &config, ws, role, &rows)?, next_cursor })
        })
        .await
}

pub async fn get(state: &AppState, principal: &Principal, id: i64) -> ApiResult<DialogView> {
    let ws = principal.workspace_id;
    let config = state.config.clone();
    let role = principal.role;
    state.db.run(move |conn| view(conn, &config, ws, role, id)).await
}

pub fn view(conn: &mut DbConn, config: &Config, workspace_id: i64, viewer: Role, id: i64) -> ApiResult<DialogView> {
    let row = find(conn, workspace_id, id)?;
    Ok(present(conn, config, workspace_id, viewer, &[row])?.remove(0))
}

/// Assigns the dialog to an operator, or unassigns it with `None`.
pub async fn assign(
    state: &AppState,
    principal: &Principal,
    id: i64,
    assignee: Option<i64>,
) -> ApiResult<(DialogView, Vec<EventRow>)> {
    let ws = principal.workspace_id;
    let role = principal.role;
    let config = state.config.clone();
    state
        .db
        .write_in(ws, move |conn| {
            let now = now_ms();
            let row = find(conn, ws, id)?;
            if row.is_closed() {
                return Err(ApiError::conflict("dialog_closed", "reopen the dialog before assigning it"));
            }
            let mut out = Vec::new();
            if row.assignee_id != assignee {
                if let Some(op) = assignee {
                    let target = operators::find(conn, ws, op)?.filter(|o| o.can_sign_in());
                    if target.is_none() {
                        return Err(ApiError::invalid_field(
                            "assignee_id",
                            "unknown_operator",
                            "no active operator with this id in the workspace",
                        ));
                    }
                }
                let changes = DialogChanges {
                    status: Some(if assignee.is_some() { dialogs::ASSIGNED } else { dialogs::OPEN }.into()),
                    assignee_id: Some(assignee),
                    assigned_at: Some(assignee.map(|_| now)),
                    queued_at: Some(None),
                    queue_notified_at: Some(None),
                    updated_at: Some(now),
                    ..Default::default()
                };
                let updated = dialogs::update(conn, &row, &changes)?;
                let event = if assignee.is_some() { DIALOG_ASSIGNED } else { DIALOG_UNASSIGNED };
                emit(conn, event, &updated, now, &mut out)?;
                match (row.assignee_id, assignee) {
                    // The previous assignee has room for a queued dialog now.
                    (Some(_), Some(_)) => {
                        assignment::assign_queued(conn, ws, now, &assignment::Avoid::new(), &mut out)?
                    }
                    (previous, None) => {
                        assignment::requeue(conn, &updated, previous, ChangeReason::Unassigned, now, &mut out)?;
                        if previous.is_some() {
                            assignment::assign_queued(conn, ws, now, &assignment::Avoid::new(), &mut out)?;
                        }
                    }
                    _ => {}
                }
            }
            Ok((view(conn, &config, ws, role, id)?, out))
        })
        .await
}

pub async fn close_by_operator(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> ApiResult<(DialogView, Vec<EventRow>)> {
    let (ws, op, role) = (principal.workspace_id, principal.operator_id, principal.role);
    let config = state.config.clone();
    state
        .db
        .write_in(ws, move |conn| {
            let row = find(conn, ws, id)?;
            let mut out = Vec::new();
            close(conn, &row, ClosedBy::Operator, Some(op), now_ms(), &mut out)?;
            Ok((view(conn, &config, ws, role, id)?, out))
        })
        .await
}

pub async fn reopen_by_operator(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> ApiResult<(DialogView, Vec<EventRow>)> {
    let ws = principal.workspace_id;
    let role = principal.role;
    let config = state.config.clone();
    state
        .db
        .write_in(ws, move |conn| {
            let row = find(conn, ws, id)?;
            let mut out = Vec::new();
            if row.is_closed() {
                reopen(conn, &row, now_ms(), &mut out)?;
            }
            Ok((view(conn, &config, ws, role, id)?, out))
        })
        .await
}

/// Which side's read marker moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Operators,
    Visitor,
}

/// Moves a read marker forward to `message_id` (default: the newest message that side can
/// see). Markers never move back.
pub fn mark_read(
    conn: &mut DbConn,
    row: &DialogRow,
    reader: Reader,
    message_id: Option<i64>,
    out: &mut Vec<EventRow>,
) -> ApiResult<DialogRow> {
    let now = now_ms();
    let include_notes = reader == Reader::Operators;
    let latest = messages::latest_id(conn, row.id, include_notes)?.unwrap_or(0);
    let target = match message_id {
        Some(id) => {
            let visible = messages::find(conn, row.workspace_id, row.id, id)?
                .is_some_and(|m| include_notes || m.kind != messages::KIND_NOTE);
            if !visible {
                return Err(ApiError::invalid_field("message_id", "unknown_message", "no such message in this dialog"));
            }
            id
        }
        None => latest,
    };
    let current = match reader {
        Reader::Operators => row.operator_last_read_id,
        Reader::Visitor => row.visitor_last_read_id,
    };
    if target <= current {
        return Ok(row.clone());
    }
    let changes = match reader {
        Reader::Operators => DialogChanges {
            operator_last_read_id: Some(target),
            operator_last_read_at: Some(Some(now)),
            ..Default::default()
        },
        Reader::Visitor => DialogChanges {
            visitor_last_read_id: Some(target),
            visitor_last_read_at: Some(Some(now)),
            ..Default::default()
        },
    };
    let row = dialogs::update(conn, row, &changes)?;
    emit(conn, DIALOG_READ, &row, now, out)?;
    Ok(row)
}

pub async fn mark_read_by_operators(
    state: &AppState,
    principal: &Principal,
    id: i64,
    message_id: Option<i64>,
) -> ApiResult<(DialogView, Vec<EventRow>)> {
    let ws = principal.workspace_id;
    let role = principal.role;
    let config = state.config.clone();
    state
        .db
        .write_in(ws, move |conn| {
            let row = find(conn, ws, id)?;
            let mut out = Vec::new();
            mark_read(conn, &row, Reader::Operators, message_id, &mut out)?;
            Ok((view(conn, &config, ws, role, id)?, out))
        })
        .await
}
