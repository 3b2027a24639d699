//! Visitor messages written together by the group-commit writer. For the plain messages of a
//! batch (into an open dialog, not a retry, no contact asked for, no attachments) it makes one read of all the
//! senders' context, one multi-row INSERT of the messages and one UPDATE of their dialogs,
//! instead of three statements per message: on PostgreSQL each statement is a round trip to
//! the database server. Everything else (a new dialog, a reopen, a retried client id, a visitor
//! with two messages in the batch) is left to the per-message code, which runs after the group.

use std::any::Any;
use std::collections::HashMap;

use crate::auth::visitor::VisitorPrincipal;
use crate::db::DbConn;
use crate::db::group_commit::Output;
use crate::error::{ApiError, ApiResult};
use crate::model::dialog::DialogSummary;
use crate::model::message::{AuthorNames, AuthorType};
use crate::model::operator::OperatorBrief;
use crate::store::dialogs::{self, Counted, DialogRow};
use crate::store::messages::{self, KIND_MESSAGE, NewMessage};
use crate::store::{chats, operators};
use crate::time::now_ms;

use super::events::Audience;
use super::messages::VisitorMessageInput;

/// One visitor message waiting for the writer.
#[derive(Debug, Clone)]
pub struct VisitorSend {
    pub who: VisitorPrincipal,
    pub input: VisitorMessageInput,
}

/// Whether the grouped statements pay off. On SQLite a statement costs no round trip and the
/// per-message statements stay prepared, while the grouped ones are prepared per batch.
fn worthwhile(conn: &DbConn, jobs: usize) -> bool {
    matches!(conn, DbConn::Postgres(_)) && jobs > 1
}

/// The writer's [`crate::db::group_commit::GroupRunner`] for [`VisitorSend`]s of one
/// workspace; each output is a [`super::messages::Sent`].
pub fn write_group(conn: &mut DbConn, inputs: &[&(dyn Any + Send)]) -> ApiResult<Vec<Option<Output>>> {
    let sends: Vec<&VisitorSend> = inputs
        .iter()
        .map(|input| input.downcast_ref::<VisitorSend>())
        .collect::<Option<_>>()
        .ok_or_else(|| ApiError::internal("a grouped job without a visitor message"))?;
    let mut outputs: Vec<Option<Output>> = sends.iter().map(|_| None).collect();
    if !worthwhile(conn, sends.len()) {
        return Ok(outputs);
    }
    let ws = sends[0].who.workspace_id;
    let plain = plain_sends(conn, ws, &sends)?;
    if plain.is_empty() {
        return Ok(outputs);
    }
    let now = now_ms();
    let new: Vec<NewMessage<'_>> = plain
        .iter()
        .map(|p| {
            let send = sends[p.index];
            NewMessage {
                workspace_id: ws,
                dialog_id: p.dialog.id,
                kind: KIND_MESSAGE,
                author_type: AuthorType::Visitor.as_str(),
                author_id: Some(send.who.visitor_id),
                channel: send.input.channel.as_str(),
                body: send.input.body.trim(),
                client_id: send.input.client_id.as_deref(),
                created_at: now,
            }
        })
        .collect();
    // Each dialog appears once in the group, so it tells the returned rows apart.
    let mut stored: HashMap<i64, messages::MessageRow> =
        messages::insert_many(conn, &new)?.into_iter().map(|m| (m.dialog_id, m)).collect();
    let mut written = Vec::with_capacity(plain.len());
    for p in plain {
        let row = stored.remove(&p.dialog.id).ok_or_else(|| ApiError::internal("a grouped message was not stored"))?;
        written.push((p, row));
    }
    let counted: Vec<(&DialogRow, i64)> = written.iter().map(|(p, row)| (&p.dialog, row.id)).collect();
    let updated = dialogs::record_messages(conn, &counted, Counted::Visitor, now)?;
    let assignees = assignees(conn, ws, &updated)?;
    for ((p, row), dialog) in written.into_iter().zip(updated) {
        let assignee = dialog.assignee_id.and_then(|id| assignees.get(&id).cloned());
        let summary = DialogSummary::build(&dialog, assignee);
        let names = AuthorNames { visitor_name: p.visitor_name, ..Default::default() };
        let sent =
            super::messages::finish_with(conn, &dialog, summary, &row, &names, Audience::Visitor, now, Vec::new())?;
        outputs[p.index] = Some(Box::new(sent));
    }
    Ok(outputs)
}

/// A send the group writes, with what it read for it.
struct Plain {
    index: usize,
    dialog: DialogRow,
    visitor_name: Option<String>,
}

/// The sends the group can write: the visitor's only one in the group, their latest dialog in
/// the chat open and not waiting for a contact, the chat not archived, and the client id (if
/// any) not used by the visitor before.
fn plain_sends(conn: &mut DbConn, ws: i64, sends: &[&VisitorSend]) -> ApiResult<Vec<Plain>> {
    let mut per_visitor: HashMap<i64, usize> = HashMap::new();
    for send in sends {
        *per_visitor.entry(send.who.visitor_id).or_default() += 1;
    }
    // Attachments are linked by the per-message code.
    let single = |send: &VisitorSend| per_visitor[&send.who.visitor_id] == 1 && send.input.attachment_ids.is_empty();
    let visitor_ids: Vec<i64> = sends.iter().filter(|s| single(s)).map(|s| s.who.visitor_id).collect();
    let client_ids: Vec<(i64, &str)> = sends
        .iter()
        .filter(|s| single(s))
        .filter_map(|s| Some((s.who.visitor_id, s.input.client_id.as_deref()?)))
        .collect();
    let retried = messages::visitors_with_used_client_ids(conn, ws, &client_ids)?;
    let mut contexts: HashMap<i64, dialogs::VisitorBatchContext> =
        dialogs::visitor_write_contexts(conn, ws, &visitor_ids)?.into_iter().map(|c| (c.visitor_id, c)).collect();
    let mut plain = Vec::new();
    for (index, send) in sends.iter().enumerate() {
        if !single(send) {
            continue;
        }
        let Some(context) = contexts.remove(&send.who.visitor_id) else { continue };
        let Some(dialog) = context.latest else { continue };
        let retry = send.input.client_id.is_some() && retried.contains(&send.who.visitor_id);
        if context.chat_id != send.who.chat_id || retry || dialog.is_closed() || dialog.contact_request.is_some() {
            continue;
        }
        if chats::find(conn, ws, send.who.chat_id)?.is_none_or(|c| c.archived_at.is_some()) {
            continue;
        }
        plain.push(Plain { index, dialog, visitor_name: context.visitor_name });
    }
    Ok(plain)
}

/// The dialogs' assignees, read once for the group.
fn assignees(conn: &mut DbConn, ws: i64, rows: &[DialogRow]) -> ApiResult<HashMap<i64, OperatorBrief>> {
    let mut ids: Vec<i64> = rows.iter().filter_map(|d| d.assignee_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(operators::find_many_any(conn, ws, &ids)?.iter().map(|o| (o.id, OperatorBrief::from(o))).collect())
}
