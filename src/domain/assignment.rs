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
use super::events::{self, Audience, ChangeReason, DIALOG_ASSIGNED, DIALOG_QUEUED, DIALOG_UNASSIGNED, QueueEvent};

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
/// visitor has waited already). With `offer` it waits for the chat's assignment service first.
pub fn enqueue(
    conn: &mut DbConn,
    row: &DialogRow,
    settings: &ChatSettings,
    since: i64,
    offer: bool,
    now: i64,
) -> ApiResult<DialogRow> {
    let mut next = row.clone();
    next.queued_at = Some(since);
    next.queue_notified_at = Some(now);
    let changes = DialogChanges {
        queued_at: Some(Some(since)),
        queue_notified_at: Some(Some(now)),
        offer_due_at: Some(offer.then_some(now)),
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

/// An online operator, with their capacity and load.
pub struct Candidate {
    pub id: i64,
    pub display_name: String,
    pub capacity: i64,
    pub active: i64,
    last_assigned_at: i64,
}

impl Candidate {
    pub fn has_room(&self) -> bool {
        self.active < self.capacity
    }
}

/// The workspace's online operators who may work, with their active dialogs.
pub fn candidates(conn: &mut DbConn, ws: i64) -> ApiResult<Vec<Candidate>> {
    let online: Vec<OperatorRow> = queue::online_operators(conn, ws)?;
    let ids: Vec<i64> = online.iter().map(|o| o.id).collect();
    let active: HashMap<i64, i64> = queue::active_counts(conn, &ids)?.into_iter().collect();
    Ok(online
        .into_iter()
        .map(|o| Candidate {
            id: o.id,
            display_name: o.display_name,
            capacity: i64::from(o.max_active_dialogs),
            active: active.get(&o.id).copied().unwrap_or(0),
            last_assigned_at: o.last_assigned_at.unwrap_or(i64::MIN),
        })
        .collect())
}

/// The operator the policy picks among those under capacity (ties: assigned longest ago, then
/// the lowest id, so the choice is deterministic).
fn pick(candidates: &[Candidate], policy: AssignmentPolicy, avoid: Option<i64>) -> Option<usize> {
    let free = candidates.iter().enumerate().filter(|(_, c)| c.has_room() && Some(c.id) != avoid);
    match policy {
        AssignmentPolicy::Manual => None,
        AssignmentPolicy::RoundRobin => free.min_by_key(|(_, c)| (c.last_assigned_at, c.id)).map(|(i, _)| i),
        AssignmentPolicy::LeastBusy => free.min_by_key(|(_, c)| (c.active, c.last_assigned_at, c.id)).map(|(i, _)| i),
    }
}

/// Assigns queued dialogs, longest waiting first, while online operators have capacity.
/// Dialogs of chats switched to `manual` meanwhile leave the queue; dialogs waiting for the
/// assignment service's answer are left to it.
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
            let changes = DialogChanges {
                queued_at: Some(None),
                queue_notified_at: Some(None),
                offer_due_at: Some(None),
                ..Default::default()
            };
            dialogs::update(conn, &row, &changes)?;
            continue;
        }
        if row.offer_due_at.is_some() {
            continue;
        }
        let Some(i) = pick(&pool, s.assignment, avoid.get(&row.id).copied()) else { continue };
        let chosen = &mut pool[i];
        chosen.active += 1;
        chosen.last_assigned_at = now;
        give(conn, &row, &s, chosen.id, ChangeReason::Policy, now, out)?;
        if pool.iter().all(|c| !c.has_room()) {
            break;
        }
    }
    Ok(())
}

/// The policy's pick for one queued dialog among `pool`, if anyone has room.
pub fn pick_for(pool: &[Candidate], policy: AssignmentPolicy) -> Option<i64> {
    pick(pool, policy, None).map(|i| pool[i].id)
}

/// Makes `operator_id` the assignee of a queued dialog, with `dialog.assigned` saying why.
pub fn give(
    conn: &mut DbConn,
    row: &DialogRow,
    settings: &ChatSettings,
    operator_id: i64,
    reason: ChangeReason,
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
        offer_due_at: Some(None),
        updated_at: Some(now),
        due_at: Some(dialog_timers::next_due(&next, settings, now)),
        ..Default::default()
    };
    let row = dialogs::update(conn, row, &changes)?;
    queue::touch_assigned(conn, operator_id, now)?;
    dialog_rules::emit_because(conn, DIALOG_ASSIGNED, &row, Some(reason), now, out)
}

/// A dialog lost its assignee (by hand or for idleness), or is new: under an automatic policy
/// it goes back to the queue keeping its waiting time, and the queue is served at once, never
/// giving it back to `previous`. A chat with an assignment service offers it to the service
/// first (the offer job sends it, outside any transaction).
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
    let offer = settings.offers_to().is_some();
    let row = enqueue(conn, row, &settings, since, offer, now)?;
    if offer {
        return Ok(());
    }
    let avoid: Avoid = previous.map(|p| (row.id, p)).into_iter().collect();
    assign_queued(conn, row.workspace_id, now, &avoid, out)?;
    let row = dialog_rules::find(conn, row.workspace_id, row.id)?;
    if row.queued_at.is_some() {
        announce_queued(conn, &row, reason, now, out)?;
    }
    Ok(())
}

/// Takes the dialog from its assignee, saying why, and puts it back in the queue under an
/// automatic policy (never straight back to the same operator).
pub fn take_back(
    conn: &mut DbConn,
    row: &DialogRow,
    reason: ChangeReason,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<()> {
    let previous = row.assignee_id;
    let changes = DialogChanges {
        status: Some(dialogs::OPEN.into()),
        assignee_id: Some(None),
        assigned_at: Some(None),
        updated_at: Some(now),
        ..Default::default()
    };
    let row = dialogs::update(conn, row, &changes)?;
    dialog_rules::emit_because(conn, DIALOG_UNASSIGNED, &row, Some(reason), now, out)?;
    requeue(conn, &row, previous, reason, now, out)
}

/// Dialogs released per round when an operator leaves.
const RELEASE_BATCH: i64 = 200;

/// An operator was deactivated or removed: each of their open dialogs loses its assignee and
/// goes back to the queue (or, in manual chats, waits for anyone to answer). The caller has
/// already made the operator inactive, so none comes back to them.
pub fn release_operator(
    conn: &mut DbConn,
    ws: i64,
    operator_id: i64,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<()> {
    loop {
        let rows = queue::assigned_to(conn, ws, operator_id, RELEASE_BATCH)?;
        for row in &rows {
            take_back(conn, row, ChangeReason::OperatorDeactivated, now, out)?;
        }
        if (rows.len() as i64) < RELEASE_BATCH {
            return Ok(());
        }
    }
}
