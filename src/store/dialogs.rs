use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use super::message_search;
use crate::db::schema::{dialog_activity, dialog_tags, dialogs};
use crate::db::{DbConn, MultiBackend};
use crate::domain::dialog_figures;

#[derive(Debug, Clone, Queryable)]
pub struct DialogRow {
    pub id: i64,
    pub workspace_id: i64,
    pub session_id: String,
    pub chat_id: i64,
    pub visitor_id: i64,
    pub channel: String,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_activity_at: i64,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    pub closed_by_operator_id: Option<i64>,
    pub reopen_count: i32,
    pub message_count: i32,
    pub visitor_message_count: i32,
    pub operator_message_count: i32,
    pub note_count: i32,
    pub last_message_id: Option<i64>,
    pub last_visitor_message_at: Option<i64>,
    pub last_operator_message_id: Option<i64>,
    pub last_operator_message_at: Option<i64>,
    pub first_operator_reply_at: Option<i64>,
    pub visitor_last_read_id: i64,
    pub visitor_last_read_at: Option<i64>,
    pub operator_last_read_id: i64,
    pub operator_last_read_at: Option<i64>,
    pub started_at: Option<i64>,
    pub waiting_since: Option<i64>,
    pub first_response_ms: Option<i64>,
    pub response_count: i32,
    pub response_total_ms: i64,
    pub response_max_ms: i64,
    /// In the queue since (ordered by this, then id); `None` when not waiting for assignment.
    pub queued_at: Option<i64>,
    /// When the visitor was last told their place in the queue.
    pub queue_notified_at: Option<i64>,
    /// When the chat's longest queue wait passed; the dialog then leaves the queue for good.
    pub queue_timeout_at: Option<i64>,
    /// When the current assignee got the dialog.
    pub assigned_at: Option<i64>,
    /// When the timer job next looks at the dialog (never later than anything falls due).
    pub due_at: Option<i64>,
    /// The timer job has looked for an auto-reply for this dialog.
    pub auto_reply_checked: bool,
    /// The auto-reply waiting to be sent at `auto_reply_at` unless an operator replies first.
    pub auto_reply_id: Option<i64>,
    pub auto_reply_at: Option<i64>,
    /// The contact (`email`, `phone`) the last auto-reply asked for: the visitor's next message
    /// holding one fills the visitor card.
    pub contact_request: Option<String>,
    /// While queued in a chat with an assignment service: when the offer to the service is
    /// (next) sent; `None` when no offer is pending.
    pub offer_due_at: Option<i64>,
    /// Visitor links of the distinct-visitor statistics (see `domain::visitor_links`); written
    /// only by `store::visitor_links`.
    pub prev_started_at: Option<i64>,
    pub prev_channel_started_at: Option<i64>,
    pub prev_closed_at: Option<i64>,
    pub prev_channel_closed_at: Option<i64>,
    pub linked_closed_at: Option<i64>,
}

pub const OPEN: &str = "open";
pub const ASSIGNED: &str = "assigned";
pub const CLOSED: &str = "closed";

impl DialogRow {
    pub fn is_closed(&self) -> bool {
        self.status == CLOSED
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = dialogs)]
pub struct NewDialog<'a> {
    pub workspace_id: i64,
    pub session_id: &'a str,
    pub chat_id: i64,
    pub visitor_id: i64,
    pub channel: &'a str,
    pub status: &'a str,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_activity_at: i64,
    pub due_at: Option<i64>,
    pub auto_reply_checked: bool,
}

pub fn insert(conn: &mut DbConn, new: &NewDialog<'_>) -> QueryResult<DialogRow> {
    let row = crate::typed!(conn => {
        diesel::insert_into(dialogs::table).values(new).returning(dialogs::all_columns).get_result(conn)
    })?;
    super::rollups::dialog_changed(conn, None, &row)?;
    Ok(row)
}

pub fn find(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Option<DialogRow>> {
    crate::typed!(conn => {
        dialogs::table.filter(dialogs::id.eq(id)).filter(dialogs::workspace_id.eq(workspace_id)).first(conn).optional()
    })
}

pub fn find_many(conn: &mut DbConn, workspace_id: i64, ids: &[i64]) -> QueryResult<Vec<DialogRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dialogs::table.filter(dialogs::workspace_id.eq(workspace_id)).filter(dialogs::id.eq_any(ids)).load(conn)
}

/// The visitor's most recent dialog in a chat.
pub fn latest_for_visitor(conn: &mut DbConn, visitor_id: i64, chat_id: i64) -> QueryResult<Option<DialogRow>> {
    crate::typed!(conn => {
        dialogs::table
            .filter(dialogs::visitor_id.eq(visitor_id))
            .filter(dialogs::chat_id.eq(chat_id))
            .order(dialogs::id.desc())
            .first(conn)
            .optional()
    })
}

/// A visitor's dialogs, newest first.
pub fn for_visitor(
    conn: &mut DbConn,
    workspace_id: i64,
    visitor_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<DialogRow>> {
    let mut query = dialogs::table
        .filter(dialogs::visitor_id.eq(visitor_id))
        .filter(dialogs::workspace_id.eq(workspace_id))
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(dialogs::id.lt(before));
    }
    query.order(dialogs::id.desc()).limit(limit + 1).load(conn)
}

/// Makes the operator the assignee only if nobody is: of two concurrent first replies exactly
/// one succeeds. Returns whether this call assigned.
pub fn claim(conn: &mut DbConn, row: &DialogRow, operator_id: i64, now: i64) -> QueryResult<bool> {
    let claimed = crate::typed!(conn => {
        let n = diesel::update(dialogs::table.find(row.id).filter(dialogs::assignee_id.is_null()))
            .set((
                dialogs::assignee_id.eq(operator_id),
                dialogs::status
                    .eq(diesel::dsl::sql::<Text>("CASE WHEN status = 'closed' THEN 'closed' ELSE 'assigned' END")),
                dialogs::updated_at.eq(now),
                dialogs::assigned_at.eq(now),
                dialogs::queued_at.eq(None::<i64>),
                dialogs::queue_notified_at.eq(None::<i64>),
            ))
            .execute(conn)?;
        Ok::<_, diesel::result::Error>(n == 1)
    })?;
    if claimed {
        let mut after = row.clone();
        after.assignee_id = Some(operator_id);
        if !after.is_closed() {
            after.status = ASSIGNED.into();
        }
        super::rollups::dialog_changed(conn, Some(row), &after)?;
    }
    Ok(claimed)
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = dialogs)]
pub struct DialogChanges {
    pub status: Option<String>,
    pub assignee_id: Option<Option<i64>>,
    pub updated_at: Option<i64>,
    pub last_activity_at: Option<i64>,
    pub closed_at: Option<Option<i64>>,
    pub closed_by: Option<Option<String>>,
    pub closed_by_operator_id: Option<Option<i64>>,
    pub reopen_count: Option<i32>,
    pub visitor_last_read_id: Option<i64>,
    pub visitor_last_read_at: Option<Option<i64>>,
    pub operator_last_read_id: Option<i64>,
    pub operator_last_read_at: Option<Option<i64>>,
    pub waiting_since: Option<Option<i64>>,
    pub queued_at: Option<Option<i64>>,
    pub queue_notified_at: Option<Option<i64>>,
    pub queue_timeout_at: Option<Option<i64>>,
    pub assigned_at: Option<Option<i64>>,
    pub due_at: Option<Option<i64>>,
    pub auto_reply_checked: Option<bool>,
    pub auto_reply_id: Option<Option<i64>>,
    pub auto_reply_at: Option<Option<i64>>,
    pub contact_request: Option<Option<String>>,
    pub offer_due_at: Option<Option<i64>>,
}

/// Applies `changes` to the dialog `before` is the current row of.
pub fn update(conn: &mut DbConn, before: &DialogRow, changes: &DialogChanges) -> QueryResult<DialogRow> {
    let after = crate::typed!(conn => {
        diesel::update(dialogs::table.find(before.id)).set(changes).returning(dialogs::all_columns).get_result(conn)
    })?;
    super::rollups::dialog_changed(conn, Some(before), &after)?;
    Ok(after)
}

/// Who wrote a message, for the dialog's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Visitor,
    Operator,
    Note,
    System,
}

/// Keeps the dialog's counters and activity times current as a message is stored, and returns
/// the updated row. Writing means having seen the conversation, so the writer's side read
/// marker moves to the message. `row` must be current (the caller holds the workspace lock), so
/// the new row is computed here rather than read back.
pub fn record_message(
    conn: &mut DbConn,
    row: &DialogRow,
    message_id: i64,
    counted: Counted,
    now: i64,
) -> QueryResult<DialogRow> {
    let next = with_message(row, message_id, counted, now);
    let update = super::dialog_counters::SetCounters::from_row(&next);
    crate::typed!(conn => update.execute(conn))?;
    super::rollups::dialog_changed(conn, Some(row), &next)?;
    Ok(next)
}

/// [`record_message`] for several dialogs (each once) with one UPDATE; `messages` holds
/// `(dialog, message id)` pairs and the updated rows come back in the same order.
pub fn record_messages(
    conn: &mut DbConn,
    messages: &[(&DialogRow, i64)],
    counted: Counted,
    now: i64,
) -> QueryResult<Vec<DialogRow>> {
    let next: Vec<DialogRow> = messages.iter().map(|(row, id)| with_message(row, *id, counted, now)).collect();
    match conn {
        DbConn::Postgres(pg) => {
            super::dialog_counters::set_many_pg(pg, &next)?;
        }
        DbConn::Sqlite(sqlite) => {
            for chunk in next.chunks(super::dialog_counters::ROWS_PER_UPDATE) {
                super::dialog_counters::SetCountersMany::from_rows(chunk).execute(sqlite)?;
            }
        }
    }
    let mut pending = crate::domain::rollups::Pending::default();
    for ((before, _), after) in messages.iter().zip(&next) {
        pending.dialog_changed(Some(*before), after);
    }
    super::rollups::apply(conn, pending)?;
    Ok(next)
}

/// The dialog row after a message: counters, message pointers, activity times.
fn with_message(row: &DialogRow, message_id: i64, counted: Counted, now: i64) -> DialogRow {
    let mut next = row.clone();
    next.updated_at = now;
    match counted {
        Counted::Visitor => {
            next.message_count += 1;
            next.visitor_message_count += 1;
            next.last_message_id = Some(message_id);
            next.last_visitor_message_at = Some(now);
            next.visitor_last_read_id = message_id;
            next.visitor_last_read_at = Some(now);
            next.last_activity_at = now;
            dialog_figures::visitor_wrote(&mut next, now);
        }
        Counted::Operator => {
            next.message_count += 1;
            next.operator_message_count += 1;
            next.last_message_id = Some(message_id);
            next.last_operator_message_id = Some(message_id);
            next.last_operator_message_at = Some(now);
            next.first_operator_reply_at = row.first_operator_reply_at.or(Some(now));
            next.operator_last_read_id = message_id;
            next.operator_last_read_at = Some(now);
            next.last_activity_at = now;
            dialog_figures::operator_replied(&mut next, now);
        }
        Counted::Note => next.note_count += 1,
        Counted::System => next.last_message_id = Some(message_id),
    }
    next
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    /// Not closed.
    Active,
    /// Not closed, nobody assigned.
    Open,
    Assigned,
    Closed,
    /// No operator has replied.
    NoOperatorResponse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Unassigned,
    Operator(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Most recent activity first.
    LastActivity,
    /// Newest first.
    Created,
}

/// Word-prefix full-text query, prepared for the backend in use.
#[derive(Debug, Clone)]
pub struct TextQuery {
    pub words: Vec<String>,
}

impl TextQuery {
    /// Splits on anything that is not a letter or digit; at most 8 words.
    pub fn parse(text: &str) -> Option<Self> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(8)
            .map(|w| w.to_lowercase())
            .collect();
        (!words.is_empty()).then_some(Self { words })
    }

    /// FTS5 syntax: each word quoted, as a prefix, all required.
    fn fts5(&self) -> String {
        self.words.iter().map(|w| format!("\"{}\"*", w.replace('"', ""))).collect::<Vec<_>>().join(" AND ")
    }

    /// PostgreSQL tsquery syntax: each word as a prefix, all required.
    fn tsquery(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("{}:*", w.replace(['\'', '\\', ':', '&', '|', '!', '(', ')'], "")))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// [`filtered`]'s query: dialogs joined to their list order, selecting the dialog's columns.
type FilteredDialogs<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<
        diesel::dsl::InnerJoin<dialogs::table, dialog_activity::table>,
        <dialogs::table as diesel::Table>::AllColumns,
    >,
    MultiBackend,
>;

#[derive(Debug, Clone)]
pub struct DialogFilter {
    pub status: StatusFilter,
    pub assignee: Option<AssigneeFilter>,
    /// Dialogs carrying any of these tags.
    pub tag_ids: Vec<i64>,
    pub channel: Option<String>,
    pub chat_id: Option<i64>,
    pub visitor_id: Option<i64>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub text: Option<TextQuery>,
    pub sort: Sort,
}

/// A page of dialogs matching `filter`, after the cursor (sort key, id).
pub fn list(
    conn: &mut DbConn,
    workspace_id: i64,
    filter: &DialogFilter,
    after: Option<(i64, i64)>,
    limit: i64,
) -> QueryResult<Vec<DialogRow>> {
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let mut query = filtered(workspace_id, filter, sqlite);
    match filter.sort {
        Sort::LastActivity => {
            if let Some((at, id)) = after {
                query = query.filter(
                    dialog_activity::last_activity_at
                        .lt(at)
                        .or(dialog_activity::last_activity_at.eq(at).and(dialog_activity::dialog_id.lt(id))),
                );
            }
            query = query.order((dialog_activity::last_activity_at.desc(), dialog_activity::dialog_id.desc()));
        }
        Sort::Created => {
            if let Some((_, id)) = after {
                query = query.filter(dialogs::id.lt(id));
            }
            query = query.order(dialogs::id.desc());
        }
    }
    query.limit(limit + 1).load(conn)
}

/// The dialogs of a workspace matching `filter` (its conditions only: no order, no cursor).
/// Workspace, status, assignee and chat are read from `dialog_activity`, whose indexes hold them
/// in last-activity order; the workspace is also named on `dialogs` for the orders by id.
fn filtered<'a>(workspace_id: i64, filter: &DialogFilter, sqlite: bool) -> FilteredDialogs<'a> {
    let mut query = dialogs::table
        .inner_join(dialog_activity::table)
        .select(dialogs::all_columns)
        .filter(dialog_activity::workspace_id.eq(workspace_id))
        .filter(dialogs::workspace_id.eq(workspace_id))
        .into_boxed();
    query = match filter.status {
        StatusFilter::All => query,
        StatusFilter::Active => query.filter(dialog_activity::status.ne(CLOSED)),
        StatusFilter::Open => query.filter(dialog_activity::status.eq(OPEN)),
        StatusFilter::Assigned => query.filter(dialog_activity::status.eq(ASSIGNED)),
        StatusFilter::Closed => query.filter(dialog_activity::status.eq(CLOSED)),
        StatusFilter::NoOperatorResponse => query.filter(dialogs::operator_message_count.eq(0)),
    };
    query = match filter.assignee {
        None => query,
        Some(AssigneeFilter::Unassigned) => query.filter(dialog_activity::assignee_id.is_null()),
        Some(AssigneeFilter::Operator(id)) => query.filter(dialog_activity::assignee_id.eq(id)),
    };
    if !filter.tag_ids.is_empty() {
        let tagged = dialog_tags::table
            .filter(dialog_tags::tag_id.eq_any(filter.tag_ids.clone()))
            .filter(dialog_tags::workspace_id.eq(workspace_id))
            .select(dialog_tags::dialog_id);
        query = query.filter(dialogs::id.eq_any(tagged));
    }
    if let Some(channel) = &filter.channel {
        query = query.filter(dialogs::channel.eq(channel.clone()));
    }
    if let Some(chat_id) = filter.chat_id {
        query = query.filter(dialog_activity::chat_id.eq(chat_id));
    }
    if let Some(visitor_id) = filter.visitor_id {
        query = query.filter(dialogs::visitor_id.eq(visitor_id));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(dialogs::created_at.ge(from));
    }
    if let Some(to) = filter.created_to {
        query = query.filter(dialogs::created_at.lt(to));
    }
    if let Some(text) = &filter.text {
        query = if sqlite {
            query.filter(
                diesel::dsl::sql::<Bool>(
                    "dialogs.id IN (SELECT m.dialog_id FROM messages_fts f JOIN messages m ON m.id = f.rowid \
                 WHERE messages_fts MATCH ",
                )
                .bind::<Text, _>(text.fts5())
                .sql(" AND m.workspace_id = ")
                .bind::<BigInt, _>(workspace_id)
                .sql(" AND m.deleted_at IS NULL)"),
            )
        } else {
            // Indexed messages, then those the indexer has not reached yet.
            let tsquery = text.tsquery();
            query.filter(
                diesel::dsl::sql::<Bool>(
                    "dialogs.id IN (SELECT s.dialog_id FROM message_search s JOIN messages m ON m.id = s.message_id \
                     WHERE s.workspace_id = ",
                )
                .bind::<BigInt, _>(workspace_id)
                .sql(" AND m.deleted_at IS NULL AND s.terms @@ to_tsquery('simple', ")
                .bind::<Text, _>(tsquery.clone())
                .sql(
                    ") UNION ALL SELECT m.dialog_id FROM message_search_pending p JOIN messages m \
                     ON m.id = p.message_id WHERE m.workspace_id = ",
                )
                .bind::<BigInt, _>(workspace_id)
                .sql(&format!(" AND m.deleted_at IS NULL AND {} @@ to_tsquery('simple', ", message_search::TERMS_OF_M))
                .bind::<Text, _>(tsquery)
                .sql("))"),
            )
        };
    }
    query
}

/// Per chat and channel: the dialogs matching `filter` and their messages, `(chat, channel,
/// dialogs, messages)`. Reads only those columns, in keyset pages of ids.
pub fn totals_by_chat_channel(
    conn: &mut DbConn,
    workspace_id: i64,
    filter: &DialogFilter,
) -> QueryResult<Vec<(i64, String, i64, i64)>> {
    const PAGE: i64 = 20_000;
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let mut totals: std::collections::BTreeMap<(i64, String), (i64, i64)> = Default::default();
    let mut before: Option<i64> = None;
    loop {
        let mut query = filtered(workspace_id, filter, sqlite);
        if let Some(id) = before {
            query = query.filter(dialogs::id.lt(id));
        }
        let rows: Vec<(i64, i64, String, i32)> = query
            .order(dialogs::id.desc())
            .limit(PAGE)
            .select((dialogs::id, dialogs::chat_id, dialogs::channel, dialogs::message_count))
            .load(conn)?;
        for (_, chat_id, channel, messages) in &rows {
            let entry = totals.entry((*chat_id, channel.clone())).or_default();
            entry.0 += 1;
            entry.1 += i64::from(*messages);
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE => before = Some(last.0),
            _ => break,
        }
    }
    Ok(totals.into_iter().map(|((chat, channel), (dialogs, messages))| (chat, channel, dialogs, messages)).collect())
}

/// What a visitor's message needs before it is written, read in one query (one round trip on
/// PostgreSQL instead of three).
#[derive(Debug)]
pub struct VisitorWriteContext {
    pub visitor_name: Option<String>,
    /// The message the visitor already sent with this client id.
    pub existing_message_id: Option<i64>,
    /// The visitor's most recent dialog in the chat.
    pub latest: Option<DialogRow>,
}

diesel::alias!(dialogs as newer_dialogs: NewerDialogs);

/// `None` when there is no such visitor in the workspace.
pub fn visitor_write_context(
    conn: &mut DbConn,
    workspace_id: i64,
    visitor_id: i64,
    chat_id: i64,
    client_id: Option<&str>,
) -> QueryResult<Option<VisitorWriteContext>> {
    use crate::db::schema::{messages, visitors};
    crate::typed!(conn => {
        let latest_id = newer_dialogs
            .filter(newer_dialogs.field(dialogs::visitor_id).eq(visitor_id))
            .filter(newer_dialogs.field(dialogs::chat_id).eq(chat_id))
            .select(diesel::dsl::max(newer_dialogs.field(dialogs::id)))
            .single_value();
        // `client_id = NULL` matches nothing, so one statement serves sends with and without an id.
        let existing = messages::table
            .filter(messages::workspace_id.eq(workspace_id))
            .filter(messages::author_type.eq("visitor"))
            .filter(messages::author_id.eq(visitor_id))
            .filter(messages::client_id.eq(client_id))
            .select(messages::id)
            .single_value();
        visitors::table
            .left_join(dialogs::table.on(dialogs::id.nullable().eq(latest_id)))
            .filter(visitors::id.eq(visitor_id))
            .filter(visitors::workspace_id.eq(workspace_id))
            .select((visitors::name, existing, dialogs::all_columns.nullable()))
            .first::<(Option<String>, Option<i64>, Option<DialogRow>)>(conn)
            .optional()
    })
    .map(|row| {
        row.map(|(visitor_name, existing_message_id, latest)| VisitorWriteContext {
            visitor_name,
            existing_message_id,
            latest,
        })
    })
}

/// What [`visitor_write_context`] reads, for several visitors of one workspace at once, each
/// with the dialog of the chat their row names.
#[derive(Debug)]
pub struct VisitorBatchContext {
    pub visitor_id: i64,
    pub chat_id: i64,
    pub visitor_name: Option<String>,
    pub latest: Option<DialogRow>,
}

/// One statement for all `visitor_ids`; visitors not in the workspace are missing from the
/// answer.
pub fn visitor_write_contexts(
    conn: &mut DbConn,
    workspace_id: i64,
    visitor_ids: &[i64],
) -> QueryResult<Vec<VisitorBatchContext>> {
    use crate::db::schema::visitors;
    if visitor_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = crate::typed!(conn => {
        let latest_id = newer_dialogs
            .filter(newer_dialogs.field(dialogs::visitor_id).eq(visitors::id))
            .filter(newer_dialogs.field(dialogs::chat_id).eq(visitors::chat_id))
            .select(diesel::dsl::max(newer_dialogs.field(dialogs::id)))
            .single_value();
        visitors::table
            .left_join(dialogs::table.on(dialogs::id.nullable().eq(latest_id)))
            .filter(visitors::id.eq_any(visitor_ids))
            .filter(visitors::workspace_id.eq(workspace_id))
            .select((visitors::id, visitors::chat_id, visitors::name, dialogs::all_columns.nullable()))
            .load::<(i64, i64, Option<String>, Option<DialogRow>)>(conn)
    })?;
    Ok(rows
        .into_iter()
        .map(|(visitor_id, chat_id, visitor_name, latest)| VisitorBatchContext {
            visitor_id,
            chat_id,
            visitor_name,
            latest,
        })
        .collect())
}
