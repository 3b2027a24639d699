//! What falls due on a dialog with time: auto-close after inactivity, the queue reminder and
//! the queue's longest wait, and taking a dialog back from an idle operator.
//!
//! Each open dialog keeps `due_at`, never later than the next thing that can fall due, so the
//! timer job finds work through an index and the message write path never touches timers: a
//! timer that starts later (the visitor writes again) always falls due after the time already
//! stored, and the job simply looks again then.

use crate::db::DbConn;
use crate::error::ApiResult;
use crate::model::dialog::ClosedBy;
use crate::model::message::AuthorType;
use crate::store::auto_replies as store_auto_replies;
use crate::store::dialogs::{self, DialogChanges, DialogRow};
use crate::store::events::EventRow;
use crate::store::visitors;
use crate::time::{MINUTE_MS, SECOND_MS};

use super::chat_settings::{ChatSettings, ContactRequest};
use super::dialogs as dialog_rules;
use super::events::{ChangeReason, DIALOG_QUEUE_TIMEOUT};
use super::messages;
use super::{assignment, auto_replies, availability};

/// Since when an assigned operator has left the visitor waiting: the visitor's unanswered
/// message, or the assignment if that came later.
fn idle_since(row: &DialogRow) -> Option<i64> {
    row.assignee_id?;
    let waiting = row.waiting_since?;
    Some(waiting.max(row.assigned_at.unwrap_or(i64::MIN)))
}

/// The earliest time anything can fall due on the dialog; `None` when nothing can.
pub fn next_due(row: &DialogRow, s: &ChatSettings, now: i64) -> Option<i64> {
    if row.is_closed() {
        return None;
    }
    let mut due: Vec<i64> = Vec::new();
    if s.auto_close_secs > 0 {
        due.push(row.last_activity_at + s.auto_close_secs * SECOND_MS);
    }
    if s.operator_idle_secs > 0 {
        // A wait can begin at any moment without the timer hearing of it: look again within
        // one idle time at the latest.
        due.push(idle_since(row).unwrap_or(now) + s.operator_idle_secs * SECOND_MS);
    }
    if let Some(at) = row.auto_reply_at {
        due.push(at);
    }
    if let Some(queued_at) = row.queued_at {
        if s.queue.max_wait_secs > 0 {
            due.push(queued_at + s.queue.max_wait_secs * SECOND_MS);
        }
        if s.queue.notify_interval_mins > 0 {
            due.push(row.queue_notified_at.unwrap_or(queued_at) + s.queue.notify_interval_mins * MINUTE_MS);
        }
    }
    due.into_iter().min()
}

/// Does whatever is due on the dialog and stores its next due time. The caller holds the
/// workspace lock and has checked that `due_at` has passed.
pub fn run(conn: &mut DbConn, row: &DialogRow, s: &ChatSettings, now: i64, out: &mut Vec<EventRow>) -> ApiResult<()> {
    if !row.is_closed() {
        act(conn, row, s, now, out)?;
    }
    let row = dialog_rules::find(conn, row.workspace_id, row.id)?;
    let due = next_due(&row, s, now);
    if row.due_at != due {
        dialogs::update(conn, &row, &DialogChanges { due_at: Some(due), ..Default::default() })?;
    }
    Ok(())
}

fn act(conn: &mut DbConn, row: &DialogRow, s: &ChatSettings, now: i64, out: &mut Vec<EventRow>) -> ApiResult<()> {
    let row = &auto_reply(conn, row, now, out)?;
    if s.auto_close_secs > 0 && now >= row.last_activity_at + s.auto_close_secs * SECOND_MS {
        let reason = Some(ChangeReason::Inactivity);
        dialog_rules::close_because(conn, row, ClosedBy::System, None, reason, now, out)?;
        return Ok(());
    }
    if let Some(queued_at) = row.queued_at {
        if s.queue.max_wait_secs > 0 && now >= queued_at + s.queue.max_wait_secs * SECOND_MS {
            return leave_queue(conn, row, s, now, out);
        }
        let reminded = row.queue_notified_at.unwrap_or(queued_at);
        if s.queue.notify_interval_mins > 0 && now >= reminded + s.queue.notify_interval_mins * MINUTE_MS {
            return remind(conn, row, s, now, out);
        }
        return Ok(());
    }
    if row.assignee_id.is_none() && s.assignment.is_automatic() && row.queue_timeout_at.is_none() {
        return assignment::requeue(conn, row, None, ChangeReason::Queued, now, out);
    }
    if let Some(since) = idle_since(row)
        && s.operator_idle_secs > 0
        && now >= since + s.operator_idle_secs * SECOND_MS
    {
        return hand_back(conn, row, now, out);
    }
    Ok(())
}

/// A new dialog gets the auto-reply that applies when it started, sent once its delay has
/// passed unless an operator replied first. It may ask for a contact the visitor card lacks.
fn auto_reply(conn: &mut DbConn, row: &DialogRow, now: i64, out: &mut Vec<EventRow>) -> ApiResult<DialogRow> {
    let ws = row.workspace_id;
    let mut row = row.clone();
    if !row.auto_reply_checked {
        let reply = if row.reopen_count == 0 { auto_replies::applicable(conn, ws, row.created_at)? } else { None };
        let changes = DialogChanges {
            auto_reply_checked: Some(true),
            auto_reply_id: Some(reply.as_ref().map(|r| r.id)),
            auto_reply_at: Some(reply.as_ref().map(|r| row.created_at + i64::from(r.delay_secs) * SECOND_MS)),
            ..Default::default()
        };
        row = dialogs::update(conn, &row, &changes)?;
    }
    let (Some(id), Some(at)) = (row.auto_reply_id, row.auto_reply_at) else { return Ok(row) };
    if now < at {
        return Ok(row);
    }
    let mut changes = DialogChanges { auto_reply_id: Some(None), auto_reply_at: Some(None), ..Default::default() };
    let reply = store_auto_replies::find(conn, ws, id)?.filter(|r| r.enabled);
    let Some(reply) = reply.filter(|_| row.operator_message_count == 0) else {
        return Ok(dialogs::update(conn, &row, &changes)?);
    };
    let visitor = visitors::find(conn, ws, row.visitor_id)?;
    let ask = visitor
        .map_or(ContactRequest::Nothing, |v| availability::still_needed(auto_replies::contact_of(&reply.ask_for), &v));
    if ask != ContactRequest::Nothing {
        changes.contact_request = Some(Some(auto_replies::contact_str(ask).into()));
    }
    let row = dialogs::update(conn, &row, &changes)?;
    messages::write_system_message(conn, &row, AuthorType::Bot, &reply.body, now, out)
}

/// The chat's longest queue wait passed: the dialog leaves the queue for good (any operator may
/// still answer it) and the visitor gets the offline text.
fn leave_queue(
    conn: &mut DbConn,
    row: &DialogRow,
    s: &ChatSettings,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<()> {
    let changes = DialogChanges {
        queued_at: Some(None),
        queue_notified_at: Some(None),
        queue_timeout_at: Some(Some(now)),
        updated_at: Some(now),
        ..Default::default()
    };
    let row = dialogs::update(conn, row, &changes)?;
    dialog_rules::emit_because(conn, DIALOG_QUEUE_TIMEOUT, &row, Some(ChangeReason::QueueTimeout), now, out)?;
    if s.offline.enabled {
        messages::write_system_message(conn, &row, AuthorType::System, &s.offline.text, now, out)?;
    }
    Ok(())
}

/// Tells the visitor their place in the queue again, with the chat's text.
fn remind(conn: &mut DbConn, row: &DialogRow, s: &ChatSettings, now: i64, out: &mut Vec<EventRow>) -> ApiResult<()> {
    let changes = DialogChanges { queue_notified_at: Some(Some(now)), ..Default::default() };
    let row = dialogs::update(conn, row, &changes)?;
    let position = assignment::position(conn, &row)?.unwrap_or(1);
    let text = s.queue.notify_text.replace("{position}", &position.to_string());
    let row = messages::write_system_message(conn, &row, AuthorType::System, &text, now, out)?;
    assignment::announce_queued(conn, &row, ChangeReason::QueueReminder, now, out)
}

/// The assignee left the visitor waiting for the chat's idle time: the dialog is unassigned and,
/// under an automatic policy, goes back to the queue keeping its waiting time (never straight
/// back to the same operator).
fn hand_back(conn: &mut DbConn, row: &DialogRow, now: i64, out: &mut Vec<EventRow>) -> ApiResult<()> {
    assignment::take_back(conn, row, ChangeReason::OperatorIdle, now, out)
}
