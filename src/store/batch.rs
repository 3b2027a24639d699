//! Work the group-commit writer does once per batch instead of once per job.
//!
//! While the writer runs a batch transaction it holds the write lock (SQLite) or the row lock of
//! every workspace in the batch (PostgreSQL), so inside that transaction nobody else appends to
//! those workspaces' event logs: the head position read once stays right for the whole batch
//! when each append moves it forward here. Chat rows are only read by message jobs, so keeping
//! the first read for the batch is the same as reading them all at the batch's start. Events
//! are collected and written together just before the commit ([`write_deferred`]): nothing
//! reads them back inside the batch. So are new messages' entries in SQLite's search index.
//!
//! The memo lives in a thread-local and is active only on the writer thread, between
//! [`begin`] and the end of the batch; everywhere else the store functions read the database.

use std::cell::RefCell;
use std::collections::HashMap;

use super::chats::ChatRow;
use super::events::{self, EventRow};
use crate::db::DbConn;
use crate::domain::rollups::Pending;

#[derive(Debug, Default, Clone)]
struct Memo {
    /// Newest event position written or read per workspace in this transaction.
    event_heads: HashMap<i64, i64>,
    chats: HashMap<(i64, i64), Option<ChatRow>>,
    /// Events appended in this batch, in position order per workspace.
    events: Vec<EventRow>,
    /// Lowest and highest id of the messages inserted in this batch (SQLite search index). The
    /// batch is SQLite's only writer while it runs, so every id between them is one of its own.
    new_messages: Option<(i64, i64)>,
    /// Statistics roll-up changes of the batch, written once at its end.
    rollups: Pending,
}

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// Active memo for one batch transaction; dropping it (commit, rollback or retry) forgets it.
pub struct Scope(());

impl Drop for Scope {
    fn drop(&mut self) {
        MEMO.with(|m| *m.borrow_mut() = None);
    }
}

pub fn begin() -> Scope {
    MEMO.with(|m| *m.borrow_mut() = Some(Memo::default()));
    Scope(())
}

/// The memo's state before a job runs under a savepoint, to put back if the savepoint is rolled
/// back (the job's appends did not happen).
pub struct Mark(Option<Memo>);

pub fn mark() -> Mark {
    Mark(MEMO.with(|m| m.borrow().clone()))
}

pub fn rewind(mark: Mark) {
    MEMO.with(|m| *m.borrow_mut() = mark.0);
}

pub(crate) fn event_head(workspace_id: i64) -> Option<i64> {
    MEMO.with(|m| m.borrow().as_ref().and_then(|memo| memo.event_heads.get(&workspace_id).copied()))
}

pub(crate) fn set_event_head(workspace_id: i64, position: i64) {
    MEMO.with(|m| {
        if let Some(memo) = m.borrow_mut().as_mut() {
            memo.event_heads.insert(workspace_id, position);
        }
    });
}

pub(crate) fn chat(workspace_id: i64, id: i64) -> Option<Option<ChatRow>> {
    MEMO.with(|m| m.borrow().as_ref().and_then(|memo| memo.chats.get(&(workspace_id, id)).cloned()))
}

pub(crate) fn remember_chat(workspace_id: i64, id: i64, row: &Option<ChatRow>) {
    MEMO.with(|m| {
        if let Some(memo) = m.borrow_mut().as_mut() {
            memo.chats.insert((workspace_id, id), row.clone());
        }
    });
}

/// Keeps `row` for [`write_deferred`] when a batch is running; false otherwise.
pub(crate) fn defer_event(row: &EventRow) -> bool {
    MEMO.with(|m| match m.borrow_mut().as_mut() {
        Some(memo) => {
            memo.event_heads.insert(row.workspace_id, row.position);
            memo.events.push(row.clone());
            true
        }
        None => false,
    })
}

/// Notes a new message for the search index when a batch is running; false otherwise.
pub(crate) fn defer_search_index(message_id: i64) -> bool {
    MEMO.with(|m| match m.borrow_mut().as_mut() {
        Some(memo) => {
            let (first, last) = memo.new_messages.unwrap_or((message_id, message_id));
            memo.new_messages = Some((first.min(message_id), last.max(message_id)));
            true
        }
        None => false,
    })
}

/// Keeps roll-up changes for [`write_deferred`] when a batch is running; gives them back
/// otherwise.
pub(crate) fn defer_rollups(pending: Pending) -> Option<Pending> {
    MEMO.with(|m| match m.borrow_mut().as_mut() {
        Some(memo) => {
            memo.rollups.merge(pending);
            None
        }
        None => Some(pending),
    })
}

/// Writes the batch's events, roll-up changes and search entries; the writer calls it last, inside the batch
/// transaction.
pub fn write_deferred(conn: &mut DbConn) -> diesel::QueryResult<()> {
    let (rows, new_messages, rollups) = MEMO.with(|m| match m.borrow_mut().as_mut() {
        Some(memo) => (std::mem::take(&mut memo.events), memo.new_messages.take(), std::mem::take(&mut memo.rollups)),
        None => (Vec::new(), None, Pending::default()),
    });
    events::insert_many(conn, &rows)?;
    super::rollups::flush(conn, &rollups)?;
    if let (DbConn::Sqlite(sqlite), Some((first, last))) = (conn, new_messages) {
        super::messages::index_for_search(sqlite, first, last)?;
    }
    Ok(())
}
