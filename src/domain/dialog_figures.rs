//! The per-dialog figures statistics read, kept current as messages are written so that no
//! statistic ever scans messages. Pure functions over the dialog row: the write path calls
//! them and stores what they return in the same UPDATE it already runs.
//!
//! Definitions (from the product reference):
//! - a dialog is *started* when the visitor first writes in it (`started_at`);
//! - a visitor *waits* from their first message after the last operator reply until the next
//!   operator reply; each answered wait is one response time, the first one is the first
//!   response time;
//! - closing a dialog ends an unanswered wait without a response time.

use crate::store::dialogs::DialogRow;

/// A wait that an operator reply has just ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnsweredWait {
    pub waited_from: i64,
    pub wait_ms: i64,
    /// The dialog's first response.
    pub first: bool,
}

/// The visitor wrote at `now`.
pub fn visitor_wrote(row: &mut DialogRow, now: i64) {
    row.started_at.get_or_insert(now);
    row.waiting_since.get_or_insert(now);
}

/// An operator replied at `now`; returns the wait this reply ended, if the visitor was waiting.
pub fn operator_replied(row: &mut DialogRow, now: i64) -> Option<AnsweredWait> {
    let waited_from = row.waiting_since.take()?;
    let wait_ms = (now - waited_from).max(0);
    let first = row.response_count == 0;
    if first {
        row.first_response_ms = Some(wait_ms);
    }
    row.response_count += 1;
    row.response_total_ms += wait_ms;
    row.response_max_ms = row.response_max_ms.max(wait_ms);
    Some(AnsweredWait { waited_from, wait_ms, first })
}

/// The wait an operator reply ended, comparing the row before and after the reply.
pub fn answered_between(before: &DialogRow, after: &DialogRow, now: i64) -> Option<AnsweredWait> {
    if after.response_count <= before.response_count {
        return None;
    }
    let waited_from = before.waiting_since?;
    Some(AnsweredWait { waited_from, wait_ms: (now - waited_from).max(0), first: before.response_count == 0 })
}

/// Whether an operator replied but the visitor has not read the latest reply.
pub fn is_missed(row: &DialogRow) -> bool {
    row.last_operator_message_id.is_some_and(|id| id > row.visitor_last_read_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> DialogRow {
        DialogRow {
            id: 1,
            workspace_id: 1,
            session_id: String::new(),
            chat_id: 1,
            visitor_id: 1,
            channel: "web".into(),
            status: "open".into(),
            assignee_id: None,
            created_at: 0,
            updated_at: 0,
            last_activity_at: 0,
            closed_at: None,
            closed_by: None,
            closed_by_operator_id: None,
            reopen_count: 0,
            message_count: 0,
            visitor_message_count: 0,
            operator_message_count: 0,
            note_count: 0,
            last_message_id: None,
            last_visitor_message_at: None,
            last_operator_message_id: None,
            last_operator_message_at: None,
            first_operator_reply_at: None,
            visitor_last_read_id: 0,
            visitor_last_read_at: None,
            operator_last_read_id: 0,
            operator_last_read_at: None,
            started_at: None,
            waiting_since: None,
            first_response_ms: None,
            response_count: 0,
            response_total_ms: 0,
            response_max_ms: 0,
            queued_at: None,
            queue_notified_at: None,
            queue_timeout_at: None,
            assigned_at: None,
            due_at: None,
            auto_reply_checked: false,
            auto_reply_id: None,
            auto_reply_at: None,
            contact_request: None,
            offer_due_at: None,
            prev_started_at: None,
            prev_channel_started_at: None,
            prev_closed_at: None,
            prev_channel_closed_at: None,
            linked_closed_at: None,
        }
    }

    #[test]
    fn waits_start_at_the_first_unanswered_visitor_message() {
        let mut d = row();
        visitor_wrote(&mut d, 1_000);
        visitor_wrote(&mut d, 5_000);
        assert_eq!(d.started_at, Some(1_000));
        let first = operator_replied(&mut d, 31_000).unwrap();
        assert_eq!(first, AnsweredWait { waited_from: 1_000, wait_ms: 30_000, first: true });
        // A second reply answers no wait.
        assert_eq!(operator_replied(&mut d, 32_000), None);
        visitor_wrote(&mut d, 40_000);
        let next = operator_replied(&mut d, 130_000).unwrap();
        assert_eq!(next, AnsweredWait { waited_from: 40_000, wait_ms: 90_000, first: false });
        assert_eq!(d.started_at, Some(1_000));
        assert_eq!(d.first_response_ms, Some(30_000));
        assert_eq!((d.response_count, d.response_total_ms, d.response_max_ms), (2, 120_000, 90_000));
    }

    #[test]
    fn an_operator_opening_a_dialog_is_no_response() {
        let mut d = row();
        assert_eq!(operator_replied(&mut d, 1_000), None);
        assert_eq!(d.started_at, None);
        visitor_wrote(&mut d, 2_000);
        let before = d.clone();
        let wait = operator_replied(&mut d, 7_000);
        assert_eq!(wait, Some(AnsweredWait { waited_from: 2_000, wait_ms: 5_000, first: true }));
        assert_eq!(answered_between(&before, &d, 7_000), wait);
    }
}
