//! Offers to a chat's external assignment service. A dialog entering the queue of such a chat
//! waits for the service (`offer_due_at`); the offer job claims it in a short transaction
//! ([`claim`]), posts the offer with no transaction or lock held, and applies the answer in
//! another short transaction ([`apply`]) that checks again that the dialog still waits. The
//! operator the service names gets the dialog only if they are online, active, of this
//! workspace and under their capacity; otherwise the chat's policy decides.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::DbConn;
use crate::error::ApiResult;
use crate::model::dialog::DialogSummary;
use crate::model::visitor::VisitorView;
use crate::store::dialogs::{self, DialogChanges, DialogRow};
use crate::store::events::EventRow;
use crate::store::{queue, visitors};
use crate::time::to_datetime;

use super::assignment::{self, Candidate};
use super::chat_settings::ChatSettings;
use super::dialogs as dialog_rules;
use super::events::ChangeReason;

/// `Livedesk-Event` of offer requests.
pub const OFFER_EVENT: &str = "assignment.offer";
/// How long after the request's timeout a claimed offer is claimed for: a node that stops
/// mid-request leaves the offer to be sent again after it.
const CLAIM_SLACK_MS: i64 = 5_000;
/// Longest answer read from a service.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// What the service is sent.
#[derive(Debug, Serialize)]
pub struct OfferBody {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub workspace_id: i64,
    pub chat_id: i64,
    pub dialog: DialogSummary,
    pub visitor: Option<VisitorView>,
    /// Online operators with room for one more dialog.
    pub candidates: Vec<OfferCandidate>,
    pub offered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OfferCandidate {
    pub id: i64,
    pub display_name: String,
    pub active_dialogs: i64,
    pub max_active_dialogs: i64,
}

impl From<&Candidate> for OfferCandidate {
    fn from(c: &Candidate) -> Self {
        Self {
            id: c.id,
            display_name: c.display_name.clone(),
            active_dialogs: c.active,
            max_active_dialogs: c.capacity,
        }
    }
}

/// One claimed offer, ready to send.
#[derive(Debug, Clone)]
pub struct Offer {
    pub workspace_id: i64,
    pub dialog_id: i64,
    pub url: String,
    pub secret: Option<String>,
    pub timeout_ms: i64,
    /// `Livedesk-Delivery`: the dialog and the claim time, the same on a retry of this claim.
    pub key: String,
    pub body: String,
}

/// What came back from the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The answer names this operator.
    Operator(i64),
    /// `{"operator_id": null}` (or no `operator_id`): the service leaves it to the policy.
    NoChoice,
    /// No usable answer; the label says why (`timeout`, `failed`, `bad_answer`).
    Failed(&'static str),
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    operator_id: Option<i64>,
}

/// Reads a 2xx answer's body: `{"operator_id": N}` or `{"operator_id": null}`.
pub fn parse_answer(body: &[u8]) -> Reply {
    match serde_json::from_slice::<Answer>(body) {
        Ok(Answer { operator_id: Some(id) }) => Reply::Operator(id),
        Ok(Answer { operator_id: None }) => Reply::NoChoice,
        Err(_) => Reply::Failed("bad_answer"),
    }
}

fn waits_for_assignment(row: &DialogRow) -> bool {
    !row.is_closed() && row.assignee_id.is_none() && row.queued_at.is_some()
}

/// Claims the due offers among `ids` and builds their requests. A dialog that no longer waits
/// drops its offer; one whose chat lost its service meanwhile goes to the policy at once.
pub fn claim(conn: &mut DbConn, ws: i64, ids: &[i64], now: i64, out: &mut Vec<EventRow>) -> ApiResult<Vec<Offer>> {
    let rows = queue::offers_still_due(conn, ws, ids, now)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let settings = assignment::chat_settings(conn, ws, &rows)?;
    let mut pool: Option<Vec<OfferCandidate>> = None;
    let mut offers = Vec::new();
    for row in rows {
        let s = settings.get(&row.chat_id).cloned().unwrap_or_default();
        if !waits_for_assignment(&row) {
            dialogs::update(conn, &row, &DialogChanges { offer_due_at: Some(None), ..Default::default() })?;
            continue;
        }
        let Some(service) = s.offers_to().cloned() else {
            fall_back(conn, &row, &s, now, out)?;
            continue;
        };
        let candidates = match &mut pool {
            Some(p) => p,
            None => pool.insert(
                assignment::candidates(conn, ws)?.iter().filter(|c| c.has_room()).map(OfferCandidate::from).collect(),
            ),
        };
        let visitor = visitors::find(conn, ws, row.visitor_id)?;
        let body = OfferBody {
            kind: OFFER_EVENT,
            workspace_id: ws,
            chat_id: row.chat_id,
            dialog: dialog_rules::visitor_summary(conn, &row)?,
            visitor: visitor.as_ref().map(VisitorView::from),
            candidates: candidates.clone(),
            offered_at: to_datetime(now),
        };
        let text = serde_json::to_string(&body).expect("offers serialise");
        let until = now + service.timeout_ms + CLAIM_SLACK_MS;
        dialogs::update(conn, &row, &DialogChanges { offer_due_at: Some(Some(until)), ..Default::default() })?;
        offers.push(Offer {
            workspace_id: ws,
            dialog_id: row.id,
            url: service.url,
            secret: service.secret,
            timeout_ms: service.timeout_ms,
            key: format!("offer-{}-{now}", row.id),
            body: text,
        });
    }
    Ok(offers)
}

/// Applies the service's reply to a dialog that still waits for it. Returns the outcome for
/// the metrics (`assigned`, `declined`, `unavailable_operator` or the failure's label), or
/// `None` when the dialog stopped waiting meanwhile (an operator took it, it closed, ...).
pub fn apply(
    conn: &mut DbConn,
    ws: i64,
    dialog_id: i64,
    reply: &Reply,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<Option<&'static str>> {
    let Some(row) = dialogs::find(conn, ws, dialog_id)? else { return Ok(None) };
    if row.offer_due_at.is_none() {
        return Ok(None);
    }
    if !waits_for_assignment(&row) {
        dialogs::update(conn, &row, &DialogChanges { offer_due_at: Some(None), ..Default::default() })?;
        return Ok(None);
    }
    let s = assignment::chat_settings(conn, ws, std::slice::from_ref(&row))?.remove(&row.chat_id).unwrap_or_default();
    let outcome = match *reply {
        Reply::Operator(id) => {
            let pool = assignment::candidates(conn, ws)?;
            if pool.iter().any(|c| c.id == id && c.has_room()) {
                assignment::give(conn, &row, &s, id, ChangeReason::AssignmentService, now, out)?;
                return Ok(Some("assigned"));
            }
            "unavailable_operator"
        }
        Reply::NoChoice => "declined",
        Reply::Failed(why) => why,
    };
    fall_back(conn, &row, &s, now, out)?;
    Ok(Some(outcome))
}

/// The policy decides instead of the service: the first operator it picks gets the dialog, or
/// it stays queued (and the visitor hears their place).
fn fall_back(conn: &mut DbConn, row: &DialogRow, s: &ChatSettings, now: i64, out: &mut Vec<EventRow>) -> ApiResult<()> {
    let reason = ChangeReason::AssignmentServiceFallback;
    let mut changes = DialogChanges { offer_due_at: Some(None), ..Default::default() };
    if !s.assignment.is_automatic() {
        // The chat went manual meanwhile: the dialog leaves the queue, as `assign_queued` does.
        changes.queued_at = Some(None);
        changes.queue_notified_at = Some(None);
        dialogs::update(conn, row, &changes)?;
        return Ok(());
    }
    let row = dialogs::update(conn, row, &changes)?;
    let pool = assignment::candidates(conn, row.workspace_id)?;
    match assignment::pick_for(&pool, s.assignment) {
        Some(id) => assignment::give(conn, &row, s, id, reason, now, out),
        None => assignment::announce_queued(conn, &row, reason, now, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(parse_answer(br#"{"operator_id": 7}"#), Reply::Operator(7));
        assert_eq!(parse_answer(br#"{"operator_id": null}"#), Reply::NoChoice);
        assert_eq!(parse_answer(br#"{}"#), Reply::NoChoice);
        assert_eq!(parse_answer(br#"{"operator_id": "7"}"#), Reply::Failed("bad_answer"));
        assert_eq!(parse_answer(b"<html>"), Reply::Failed("bad_answer"));
    }
}
