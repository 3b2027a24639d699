//! Aggregate queries for dialog statistics. They read only the per-dialog figures on `dialogs`
//! and the `response_times` rows, through the (workspace, time) indexes; never the messages.
//! Filter values are integers or known channel names, written into the SQL as literals.
//! A dialog is missed when `unread_by_visitor` is 1: a column the database derives from the
//! operator and visitor read positions (see the `dialog_activity` migration).

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable};

use crate::db::DbConn;
use crate::domain::local_time::BUCKET_MS;
use crate::domain::rollups::wait_secs;

/// Which dialogs and responses count.
#[derive(Debug, Clone, Default)]
pub struct StatsFilter {
    pub workspace_id: i64,
    /// Period `[from, to)`, epoch milliseconds.
    pub from: i64,
    pub to: i64,
    pub chat_id: Option<i64>,
    /// Dialogs assigned to this operator; responses written by them.
    pub operator_id: Option<i64>,
    /// A channel name from `Channel::as_str`.
    pub channel: Option<&'static str>,
    /// Dialogs carrying any of these tags.
    pub tag_ids: Vec<i64>,
}

impl StatsFilter {
    /// Conditions on a `dialogs` row; `operator_column` is where the operator is found.
    fn conditions(&self, time_column: &str, operator_column: &str, dialog_id_column: &str) -> String {
        let mut sql = format!(
            "workspace_id = {} AND {time_column} >= {} AND {time_column} < {}",
            self.workspace_id, self.from, self.to
        );
        if let Some(chat) = self.chat_id {
            sql += &format!(" AND chat_id = {chat}");
        }
        if let Some(op) = self.operator_id {
            sql += &format!(" AND {operator_column} = {op}");
        }
        if let Some(channel) = self.channel {
            debug_assert!(channel.chars().all(|c| c.is_ascii_lowercase()));
            sql += &format!(" AND channel = '{channel}'");
        }
        if !self.tag_ids.is_empty() {
            let ids = self.tag_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            sql += &format!(
                " AND {dialog_id_column} IN (SELECT dialog_id FROM dialog_tags WHERE workspace_id = {} AND tag_id IN ({ids}))",
                self.workspace_id
            );
        }
        sql
    }
}

/// Dialogs started in one 15-minute UTC bucket.
#[derive(Debug, Clone, QueryableByName)]
pub struct StartedBucket {
    #[diesel(sql_type = BigInt)]
    pub bucket: i64,
    #[diesel(sql_type = BigInt)]
    pub started: i64,
    /// No operator replied.
    #[diesel(sql_type = BigInt)]
    pub unanswered: i64,
    /// An operator replied; the visitor has not read the latest reply.
    #[diesel(sql_type = BigInt)]
    pub missed: i64,
    /// Operator replies in these dialogs.
    #[diesel(sql_type = BigInt)]
    pub replies: i64,
}

pub fn started_buckets(conn: &mut DbConn, f: &StatsFilter) -> QueryResult<Vec<StartedBucket>> {
    let sql = format!(
        "SELECT started_at / {BUCKET_MS} AS bucket, COUNT(*) AS started, \
         CAST(SUM(CASE WHEN operator_message_count = 0 THEN 1 ELSE 0 END) AS BIGINT) AS unanswered, \
         CAST(SUM(unread_by_visitor) AS BIGINT) AS missed, \
         CAST(SUM(operator_message_count) AS BIGINT) AS replies \
         FROM dialogs WHERE {} GROUP BY started_at / {BUCKET_MS}",
        f.conditions("started_at", "assignee_id", "id")
    );
    crate::typed!(conn => diesel::sql_query(&sql).load(conn))
}

#[derive(Debug, Clone, QueryableByName)]
pub struct CountBucket {
    #[diesel(sql_type = BigInt)]
    pub bucket: i64,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Dialogs closed (and still closed) per 15-minute UTC bucket of their close.
pub fn closed_buckets(conn: &mut DbConn, f: &StatsFilter) -> QueryResult<Vec<CountBucket>> {
    let sql = format!(
        "SELECT closed_at / {BUCKET_MS} AS bucket, COUNT(*) AS n FROM dialogs \
         WHERE {} AND status = 'closed' GROUP BY closed_at / {BUCKET_MS}",
        f.conditions("closed_at", "assignee_id", "id")
    );
    crate::typed!(conn => diesel::sql_query(&sql).load(conn))
}

/// Which moment of a dialog a count follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogMoment {
    Started,
    Closed,
}

impl DialogMoment {
    fn column(self) -> &'static str {
        match self {
            DialogMoment::Started => "started_at",
            DialogMoment::Closed => "closed_at",
        }
    }

    fn extra(self) -> &'static str {
        match self {
            DialogMoment::Started => "",
            DialogMoment::Closed => " AND status = 'closed'",
        }
    }
}

/// Distinct visitors per local day (`day_sql` from `local_time::local_day_sql`), `bucket` holding
/// the day number.
pub fn distinct_visitors_by_day(
    conn: &mut DbConn,
    f: &StatsFilter,
    moment: DialogMoment,
    day_sql: &str,
) -> QueryResult<Vec<CountBucket>> {
    let sql = format!(
        "SELECT day AS bucket, COUNT(*) AS n FROM (SELECT DISTINCT {day_sql} AS day, visitor_id FROM dialogs \
         WHERE {}{}) AS days GROUP BY day",
        f.conditions(moment.column(), "assignee_id", "id"),
        moment.extra()
    );
    crate::typed!(conn => diesel::sql_query(&sql).load(conn))
}

#[derive(Debug, Clone, QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Distinct visitors over the whole period.
pub fn distinct_visitors(conn: &mut DbConn, f: &StatsFilter, moment: DialogMoment) -> QueryResult<i64> {
    let sql = format!(
        "SELECT COUNT(DISTINCT visitor_id) AS n FROM dialogs WHERE {}{}",
        f.conditions(moment.column(), "assignee_id", "id"),
        moment.extra()
    );
    let row: Total = crate::typed!(conn => diesel::sql_query(&sql).get_result(conn))?;
    Ok(row.n)
}

impl DialogMoment {
    /// The visitor-link column of this moment, within the channel when a channel filter is set.
    fn link_column(self, f: &StatsFilter) -> &'static str {
        match (self, f.channel.is_some()) {
            (DialogMoment::Started, false) => "prev_started_at",
            (DialogMoment::Started, true) => "prev_channel_started_at",
            (DialogMoment::Closed, false) => "prev_closed_at",
            (DialogMoment::Closed, true) => "prev_channel_closed_at",
        }
    }
}

/// The dialogs started (closed) in `[range.0, range.1)` whose visitor link (`domain::visitor_links`)
/// lies before the period start `f.from`: each is a visitor's first of the period. One COUNT over
/// the covering index `dialogs_started` (`dialogs_closed`). Chat and channel filters only.
pub fn first_visits(conn: &mut DbConn, f: &StatsFilter, moment: DialogMoment, range: (i64, i64)) -> QueryResult<i64> {
    debug_assert!(f.operator_id.is_none() && f.tag_ids.is_empty());
    let within = StatsFilter { from: range.0, to: range.1, ..f.clone() };
    let sql = format!(
        "SELECT COUNT(*) AS n FROM dialogs WHERE {}{} AND {} < {}",
        within.conditions(moment.column(), "assignee_id", "id"),
        moment.extra(),
        moment.link_column(f),
        f.from
    );
    let row: Total = crate::typed!(conn => diesel::sql_query(&sql).get_result(conn))?;
    Ok(row.n)
}

/// The dialogs started (closed) in `[range.0, range.1)` whose visitor link lies in `[links.0,
/// links.1)`. A link is the start (close) of another dialog of the same visitor, so only the
/// visitors with a start (close) in `links` are looked up, through `dialogs_visitor`.
pub fn linked_within(
    conn: &mut DbConn,
    f: &StatsFilter,
    moment: DialogMoment,
    range: (i64, i64),
    links: (i64, i64),
) -> QueryResult<i64> {
    debug_assert!(f.operator_id.is_none() && f.tag_ids.is_empty());
    let within = StatsFilter { from: range.0, to: range.1, ..f.clone() };
    let linked = StatsFilter { from: links.0, to: links.1, ..f.clone() };
    let link = moment.link_column(f);
    let sql = format!(
        "SELECT COUNT(*) AS n FROM dialogs WHERE visitor_id IN (SELECT visitor_id FROM dialogs WHERE {}) \
         AND {}{} AND {link} >= {} AND {link} < {}",
        linked.conditions(moment.column(), "assignee_id", "id"),
        within.conditions(moment.column(), "assignee_id", "id"),
        moment.extra(),
        links.0,
        links.1
    );
    let row: Total = crate::typed!(conn => diesel::sql_query(&sql).get_result(conn))?;
    Ok(row.n)
}

/// Answered waits with the same chat, operator, kind and length in whole seconds (rounded up).
#[derive(Debug, Clone, QueryableByName)]
pub struct ResponseBucket {
    #[diesel(sql_type = BigInt)]
    pub chat_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub operator_id: Option<i64>,
    #[diesel(sql_type = Bool)]
    pub is_first: bool,
    #[diesel(sql_type = BigInt)]
    pub secs: i64,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub total_ms: i64,
}

/// Response-time histogram of waits answered in the period; per operator when `by_operator`.
pub fn response_histogram(conn: &mut DbConn, f: &StatsFilter, by_operator: bool) -> QueryResult<Vec<ResponseBucket>> {
    let operator = if by_operator { "operator_id" } else { "CAST(NULL AS BIGINT)" };
    let group_operator = if by_operator { ", operator_id" } else { "" };
    let sql = format!(
        "SELECT chat_id, {operator} AS operator_id, is_first, (wait_ms + 999) / 1000 AS secs, COUNT(*) AS n, \
         CAST(SUM(wait_ms) AS BIGINT) AS total_ms FROM response_times WHERE {} \
         GROUP BY chat_id{group_operator}, is_first, (wait_ms + 999) / 1000",
        f.conditions("answered_at", "operator_id", "dialog_id")
    );
    crate::typed!(conn => diesel::sql_query(&sql).load(conn))
}

/// [`response_histogram`] for a tag filter, read from the tagged dialogs' waits (the covering
/// `response_times_dialog` index) instead of every wait of the period. The waits are summed
/// here: SQLite would sort them all for a GROUP BY.
pub fn tagged_response_histogram(
    conn: &mut DbConn,
    f: &StatsFilter,
    by_operator: bool,
) -> QueryResult<Vec<ResponseBucket>> {
    debug_assert!(!f.tag_ids.is_empty());
    let untagged = StatsFilter { tag_ids: Vec::new(), ..f.clone() };
    let conditions = untagged.conditions("answered_at", "operator_id", "dialog_id");
    let sql = match conn {
        // A correlated subquery (kept apart by OFFSET 0) makes PostgreSQL look the waits up
        // per tagged dialog; left to itself it hashes the tagged ids and scans every wait.
        DbConn::Postgres(_) => format!(
            "SELECT w.chat_id, w.operator_id, w.is_first, w.wait_ms FROM ({}) AS tagged CROSS JOIN LATERAL \
             (SELECT chat_id, operator_id, is_first, wait_ms FROM response_times \
              WHERE response_times.dialog_id = tagged.dialog_id AND {conditions} OFFSET 0) AS w",
            f.tagged_ids()
        ),
        _ => format!(
            "SELECT chat_id, operator_id, is_first, wait_ms FROM {} {conditions}",
            f.tagged_join("response_times", "dialog_id")
        ),
    };
    let waits: Vec<Wait> = crate::typed!(conn => diesel::sql_query(&sql).load(conn))?;
    // (chat, operator, first, whole seconds) -> (count, total ms).
    let mut buckets: HashMap<WaitKey, (i64, i64)> = HashMap::new();
    for w in waits {
        let operator_id = if by_operator { w.operator_id } else { None };
        let bucket = buckets.entry((w.chat_id, operator_id, w.is_first, wait_secs(w.wait_ms))).or_default();
        bucket.0 += 1;
        bucket.1 += w.wait_ms;
    }
    Ok(buckets
        .into_iter()
        .map(|((chat_id, operator_id, is_first, secs), (n, total_ms))| ResponseBucket {
            chat_id,
            operator_id,
            is_first,
            secs,
            n,
            total_ms,
        })
        .collect())
}

type WaitKey = (i64, Option<i64>, bool, i64);

/// One answered wait.
#[derive(QueryableByName)]
struct Wait {
    #[diesel(sql_type = BigInt)]
    chat_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    operator_id: Option<i64>,
    #[diesel(sql_type = Bool)]
    is_first: bool,
    #[diesel(sql_type = BigInt)]
    wait_ms: i64,
}

impl StatsFilter {
    /// `table` joined to the distinct dialogs carrying any of the filter's tags, driven from
    /// the tag rows (`dialog_tags_tag`); its `dialog_column` must equal `tagged.dialog_id` in
    /// the WHERE clause. The tag rows are not checked against the workspace: `table`'s
    /// `workspace_id` condition is.
    fn tagged_join(&self, table: &str, dialog_column: &str) -> String {
        // CROSS JOIN keeps SQLite's join order: the tag rows first.
        format!(
            "({}) AS tagged CROSS JOIN {table} WHERE {table}.{dialog_column} = tagged.dialog_id AND",
            self.tagged_ids()
        )
    }

    /// The ids of the dialogs carrying any of the filter's tags, each once.
    fn tagged_ids(&self) -> String {
        let ids = self.tag_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        // A dialog carries a tag once: only several tags need DISTINCT (a sort on SQLite).
        let distinct = if self.tag_ids.len() > 1 { "DISTINCT " } else { "" };
        format!("SELECT {distinct}dialog_id FROM dialog_tags WHERE tag_id IN ({ids})")
    }
}

/// One dialog of a set narrowed by an operator or tag filter, started or closed in the period.
#[derive(Debug, Clone, QueryableByName)]
pub struct NarrowedDialog {
    /// When it started, if in the period.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub started_at: Option<i64>,
    /// When it was closed, if in the period and still closed.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub closed_at: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub visitor_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub assignee_id: Option<i64>,
    /// The figures below count only with `started_at`: not closed now (1).
    #[diesel(sql_type = BigInt)]
    pub active: i64,
    /// Operator replies.
    #[diesel(sql_type = BigInt)]
    pub replies: i64,
    /// An operator replied and the visitor has not read the latest reply (1).
    #[diesel(sql_type = BigInt)]
    pub missed: i64,
}

/// The dialogs started or closed (and still closed) in the period that an operator or tag
/// filter selects: for an operator, the started ones through `dialogs_assignee_started` and
/// the closed ones through `dialogs_assignee_closed` (a dialog in both comes twice, once per
/// moment); for tags, each tagged dialog once, read from the tag rows. Never the other
/// dialogs of the period.
pub fn narrowed_dialogs(conn: &mut DbConn, f: &StatsFilter) -> QueryResult<Vec<NarrowedDialog>> {
    debug_assert!(f.operator_id.is_some() || !f.tag_ids.is_empty());
    let untagged = StatsFilter { tag_ids: Vec::new(), ..f.clone() };
    let started = untagged.conditions("started_at", "assignee_id", "id");
    let closed = format!("{} AND status = 'closed'", untagged.conditions("closed_at", "assignee_id", "id"));
    let select = |started_at: &str, closed_at: &str| {
        format!(
            "SELECT {started_at} AS started_at, {closed_at} AS closed_at, visitor_id, assignee_id, \
             CAST(CASE WHEN status <> 'closed' THEN 1 ELSE 0 END AS BIGINT) AS active, \
             CAST(operator_message_count AS BIGINT) AS replies, \
             CAST(unread_by_visitor AS BIGINT) AS missed"
        )
    };
    if f.tag_ids.is_empty() {
        // Two index range reads: one OR over both (a multi-index OR) would read every row
        // from the table, where the closes are covered by their index.
        let mut rows: Vec<NarrowedDialog> = crate::typed!(conn => diesel::sql_query(format!(
            "{} FROM dialogs WHERE {started}",
            select("started_at", "CAST(NULL AS BIGINT)")
        ))
        .load(conn))?;
        rows.extend(crate::typed!(conn => diesel::sql_query(format!(
            "SELECT CAST(NULL AS BIGINT) AS started_at, closed_at, visitor_id, assignee_id, \
             CAST(0 AS BIGINT) AS active, CAST(0 AS BIGINT) AS replies, CAST(0 AS BIGINT) AS missed \
             FROM dialogs WHERE {closed}"
        ))
        .load::<NarrowedDialog>(conn))?);
        return Ok(rows);
    }
    // One pass over the tagged dialogs: each is read once for both moments.
    let sql = format!(
        "{} FROM {} (({started}) OR ({closed}))",
        select(&format!("CASE WHEN {started} THEN started_at END"), &format!("CASE WHEN {closed} THEN closed_at END")),
        f.tagged_join("dialogs", "id"),
    );
    crate::typed!(conn => diesel::sql_query(&sql).load(conn))
}

/// Per-assignee figures of dialogs started in the period.
#[derive(Debug, Clone, QueryableByName)]
pub struct OperatorDialogs {
    #[diesel(sql_type = Nullable<BigInt>)]
    pub operator_id: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub started: i64,
    /// Not closed now.
    #[diesel(sql_type = BigInt)]
    pub active: i64,
    #[diesel(sql_type = BigInt)]
    pub unanswered: i64,
    #[diesel(sql_type = BigInt)]
    pub missed: i64,
    #[diesel(sql_type = BigInt)]
    pub replies: i64,
}

pub fn operator_dialogs(conn: &mut DbConn, f: &StatsFilter) -> QueryResult<Vec<OperatorDialogs>> {
    let sql = format!(
        "SELECT assignee_id AS operator_id, COUNT(*) AS started, \
         CAST(SUM(CASE WHEN status <> 'closed' THEN 1 ELSE 0 END) AS BIGINT) AS active, \
         CAST(SUM(CASE WHEN operator_message_count = 0 THEN 1 ELSE 0 END) AS BIGINT) AS unanswered, \
         CAST(SUM(unread_by_visitor) AS BIGINT) AS missed, \
         CAST(SUM(operator_message_count) AS BIGINT) AS replies \
         FROM dialogs WHERE {} GROUP BY assignee_id",
        f.conditions("started_at", "assignee_id", "id")
    );
    crate::typed!(conn => diesel::sql_query(&sql).load(conn))
}

#[derive(Debug, Clone, QueryableByName)]
pub struct OperatorCount {
    #[diesel(sql_type = Nullable<BigInt>)]
    pub operator_id: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Dialogs closed in the period, per assignee.
pub fn operator_closed(conn: &mut DbConn, f: &StatsFilter) -> QueryResult<Vec<OperatorCount>> {
    let sql = format!(
        "SELECT assignee_id AS operator_id, COUNT(*) AS n FROM dialogs WHERE {} AND status = 'closed' \
         GROUP BY assignee_id",
        f.conditions("closed_at", "assignee_id", "id")
    );
    crate::typed!(conn => diesel::sql_query(&sql).load(conn))
}
