//! Automatic assignment: chats with the `round_robin` or `least_busy` policy give each new
//! dialog to an online operator under their capacity; when nobody can take it, it waits in the
//! workspace's queue, longest waiting first, and is assigned as soon as an operator comes online
//! or frees capacity.
//!
//! Every call runs inside a transaction that holds the workspace lock (`Db::write_in`, the
//! group-commit writer), so counting an operator's active dialogs and assigning one more is
//! atomic across workers and nodes: capacity is never exceeded.

use std::collections::HashMap;

use crate::db::DbConn;
use crate::error::ApiResult;
use crate::store::chats::ChatRow;
use crate::store::dialogs::{self, DialogChanges, DialogRow};
use crate::store::events::EventRow;
use crate::store::operators::OperatorRow;
use crate::store::{chats, queue};

use super::chat_settings::{AssignmentPolicy, ChatSettings};
use super::dialog_timers;
use super::dialogs as dialog_rules;
use super::events::{self, Audience, ChangeReason, DIALOG_ASSIGNED, DIALOG_QUEUED, QueueEvent};

/// Queued dialogs looked at per pass; the rest wait for the next free operator.
const QUEUE_PASS: i64 = 200;

/// Operators never to get a given dialog in this pass (the one it was just taken from).
pub type Avoid = HashMap<i64, i64>;

/// The settings of each chat in `rows`, one query.
pub fn chat_settings(conn: &mut DbConn, ws: i64, rows: &[DialogRow]) -> ApiResult<HashMap<i64, ChatSettings>> {
    let mut ids: Vec<i64> = rows.iter().map(|d| d.chat_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(chats::find_many(conn, ws, &ids)?
        .into_iter()
        .map(|c: ChatRow| (c.id, ChatSettings::from_stored(&c.settings)))
        .collect())
}

/// Puts an open, unassigned dialog in the queue, its place taken from `since` (how long the
/// visitor has waited already).
pub fn enqueue(
    conn: &mut DbConn,
    row: &DialogRow,
    settings: &ChatSettings,
    since: i64,
    now: i64,
) -> ApiResult<DialogRow> {
    let mut next = row.clone();
    next.queued_at = Some(since);
    next.queue_notified_at = Some(now);
    let changes = DialogChanges {
        queued_at: Some(Some(since)),
        queue_notified_at: Some(Some(now)),
        due_at: Some(dialog_timers::next_due(&next, settings, now)),
        ..Default::default()
    };
    Ok(dialogs::update(conn, row, &changes)?)
}

/// 1-based place of the dialog in its workspace's queue; `None` when not queued.
pub fn position(conn: &mut DbConn, row: &DialogRow) -> ApiResult<Option<i64>> {
    match row.queued_at {
        Some(at) => Ok(Some(queue::position(conn, row.workspace_id, at, row.id)?)),
        None => Ok(None),
    }
}

/// Records `dialog.queued` with the dialog's place.
pub fn announce_queued(
    conn: &mut DbConn,
    row: &DialogRow,
    reason: ChangeReason,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<()> {
    let Some(position) = position(conn, row)? else { return Ok(()) };
    let mut dialog = dialog_rules::summary(conn, row)?;
    dialog.queue_position = Some(position);
    let payload = QueueEvent { dialog, position, reason };
    out.push(events::record(
        conn,
        row.workspace_id,
        DIALOG_QUEUED,
        Audience::Visitor,
        Some(row.id),
        Some(row.visitor_id),
        &payload,
        now,
    )?);
    Ok(())
}

/// An operator who can take more dialogs.
struct Candidate {
    id: i64,
    capacity: i64,
    active: i64,
    last_assigned_at: i64,
}

fn candidates(conn: &mut DbConn, ws: i64) -> ApiResult<Vec<Candidate>> {
    let online: Vec<OperatorRow> = queue::online_operators(conn, ws)?;
    let ids: Vec<i64> = online.iter().map(|o| o.id).collect();
    let active: HashMap<i64, i64> = queue::active_counts(conn, &ids)?.into_iter().collect();
    Ok(online
        .into_iter()
        .map(|o| Candidate {
            id: o.id,
            capacity: i64::from(o.max_active_dialogs),
            active: active.get(&o.id).copied().unwrap_or(0),
            last_assigned_at: o.last_assigned_at.unwrap_or(i64::MIN),
        })
        .collect())
}

/// The operator the policy picks among those under capacity (ties: assigned longest ago, then
/// the lowest id, so the choice is deterministic).
fn pick(candidates: &[Candidate], policy: AssignmentPolicy, avoid: Option<i64>) -> Option<usize> {
    let free = candidates.iter().enumerate().filter(|(_, c)| c.active < c.capacity && Some(c.id) != avoid);
    match policy {
        AssignmentPolicy::Manual => None,
        AssignmentPolicy::RoundRobin => free.min_by_key(|(_, c)| (c.last_assigned_at, c.id)).map(|(i, _)| i),
        AssignmentPolicy::LeastBusy => free.min_by_key(|(_, c)| (c.active, c.last_assigned_at, c.id)).map(|(i, _)| i),
    }
}

/// Assigns queued dialogs, longest waiting first, while online operators have capacity.
/// Dialogs of chats switched to `manual` meanwhile leave the queue.
pub fn assign_queued(conn: &mut DbConn, ws: i64, now: i64, avoid: &Avoid, out: &mut Vec<EventRow>) -> ApiResult<()> {
    let waiting = queue::head(conn, ws, QUEUE_PASS)?;
    if waiting.is_empty() {
        return Ok(());
    }
    let mut pool = candidates(conn, ws)?;
    let settings = chat_settings(conn, ws, &waiting)?;
    for row in waiting {
        let s = settings.get(&row.chat_id).cloned().unwrap_or_default();
        if !s.assignment.is_automatic() || row.is_closed() || row.assignee_id.is_some() {
            let changes = DialogChanges { queued_at: Some(None), queue_notified_at: Some(None), ..Default::default() };
            dialogs::update(conn, &row, &changes)?;
            continue;
        }
        let Some(i) = pick(&pool, s.assignment, avoid.get(&row.id).copied()) else { continue };
        let chosen = &mut pool[i];
        chosen.active += 1;
        chosen.last_assigned_at = now;
        give(conn, &row, &s, chosen.id, now, out)?;
        if pool.iter().all(|c| c.active >= c.capacity) {
            break;
        }
    }
    Ok(())
}

/// Makes `operator_id` the assignee of a queued dialog, with `dialog.assigned` (reason `policy`).
fn give(
    conn: &mut DbConn,
    row: &DialogRow,
    settings: &ChatSettings,
    operator_id: i64,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<()> {
    let mut next = row.clone();
    next.status = dialogs::ASSIGNED.into();
    next.assignee_id = Some(operator_id);
    next.assigned_at = Some(now);
    next.queued_at = None;
    let changes = DialogChanges {
        status: Some(dialogs::ASSIGNED.into()),
        assignee_id: Some(Some(operator_id)),
        assigned_at: Some(Some(now)),
        queued_at: Some(None),
        queue_notified_at: Some(None),
        updated_at: Some(now),
        due_at: Some(dialog_timers::next_due(&next, settings, now)),
        ..Default::default()
    };
    let row = dialogs::update(conn, row, &changes)?;
    queue::touch_assigned(conn, operator_id, now)?;
    dialog_rules::emit_because(conn, DIALOG_ASSIGNED, &row, Some(ChangeReason::Policy), now, out)
}

/// A dialog lost its assignee (by hand or for idleness): under an automatic policy it goes back
/// to the queue keeping its waiting time, and the queue is served at once, never giving it back
/// to `previous`.
pub fn requeue(
    conn: &mut DbConn,
    row: &DialogRow,
    previous: Option<i64>,
    reason: ChangeReason,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<()> {
    let settings =
        chat_settings(conn, row.workspace_id, std::slice::from_ref(row))?.remove(&row.chat_id).unwrap_or_default();
    if !settings.assignment.is_automatic() || row.is_closed() {
        return Ok(());
    }
    let since = row.waiting_since.unwrap_or(now);
    let row = enqueue(conn, row, &settings, since, now)?;
    let avoid: Avoid = previous.map(|p| (row.id, p)).into_iter().collect();
    assign_queued(conn, row.workspace_id, now, &avoid, out)?;
    let row = dialog_rules::find(conn, row.workspace_id, row.id)?;
    if row.queued_at.is_some() {
        announce_queued(conn, &row, reason, now, out)?;
    }
    Ok(())
}
