//! The statistics roll-up rows (see `domain::rollups`): applying changes, reading them back,
//! and building them from the source rows for data written before they existed.
//!
//! MultiConnection has no upsert, so a change is an UPDATE and, when no row matched, an
//! INSERT. Every writer of a workspace holds its lock (SQLite: the write lock; PostgreSQL: the
//! workspace row lock), so nobody inserts the same key in between.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::dialogs::DialogRow;
use super::ratings::RatingRow;
use super::stats::ResponseBucket;
use crate::db::schema::{
    dialogs, rating_rollups, response_month_rollups, response_rollups, response_times, stats_rollup_backfill,
    stats_rollups, visitor_gap_rollups, visitor_link_rollups,
};
use crate::db::{DbConn, lock_workspace, write_tx};
use crate::domain::dialog_figures::AnsweredWait;
use crate::domain::rollups::{
    ALL, CounterKey, Counters, GapKey, Histogram, LinkKey, NO_SCORE, Pending, RatingFacts, RatingKey, SPAN_DAY,
    SPAN_QUARTER, WaitKey, first_day_of_month, split_months,
};
use crate::domain::visitor_links::Links;

impl RatingFacts {
    pub fn of(row: &RatingRow) -> Self {
        Self {
            workspace_id: row.workspace_id,
            chat_id: row.chat_id,
            operator_id: row.operator_id,
            requested_at: row.requested_at,
            scale: row.scale,
            score: row.score,
        }
    }
}

/// Applies changes now, or with the running group-commit batch (once per batch).
pub fn apply(conn: &mut DbConn, pending: Pending) -> QueryResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    match super::batch::defer_rollups(pending) {
        None => Ok(()),
        Some(pending) => flush(conn, &pending),
    }
}

/// A dialog row changed from `before` (None: new) to `after`.
pub fn dialog_changed(conn: &mut DbConn, before: Option<&DialogRow>, after: &DialogRow) -> QueryResult<()> {
    let mut pending = Pending::default();
    pending.dialog_changed(before, after);
    apply(conn, pending)
}

/// A rating request appeared (`before` None), was answered, or went away (`after` None).
pub fn rating_changed(conn: &mut DbConn, before: Option<&RatingRow>, after: Option<&RatingRow>) -> QueryResult<()> {
    let mut pending = Pending::default();
    if let Some(row) = before {
        pending.add_rating(&RatingFacts::of(row), -1);
    }
    if let Some(row) = after {
        pending.add_rating(&RatingFacts::of(row), 1);
    }
    pending.drop_zeros();
    apply(conn, pending)
}

/// Writes changes to the roll-up rows, after bringing the visitor links they name up to date.
pub fn flush(conn: &mut DbConn, pending: &Pending) -> QueryResult<()> {
    if pending.relink.is_empty() {
        return write(conn, pending);
    }
    let mut all = pending.clone();
    all.merge(super::visitor_links::relink(conn, &pending.relink)?);
    write(conn, &all)
}

fn write(conn: &mut DbConn, pending: &Pending) -> QueryResult<()> {
    for (key, c) in &pending.counters {
        add_counters(conn, key, c)?;
    }
    for (key, h) in &pending.waits {
        add_waits(conn, key, h)?;
    }
    for (key, h) in &pending.month_waits {
        add_month_waits(conn, key, h)?;
    }
    for (key, n) in &pending.ratings {
        add_ratings(conn, key, *n)?;
    }
    for (key, n) in &pending.gaps {
        add_gaps(conn, key, *n)?;
    }
    for (key, n) in &pending.links {
        add_links(conn, key, *n)?;
    }
    Ok(())
}

fn add_counters(conn: &mut DbConn, key: &CounterKey, c: &Counters) -> QueryResult<()> {
    use stats_rollups as r;
    crate::typed!(conn => {
        let found = r::table.find((key.workspace_id, key.span, key.chat_id, &key.channel, key.operator_id, key.bucket));
        let n = diesel::update(found)
            .set((
                r::started.eq(r::started + c.started),
                r::unanswered.eq(r::unanswered + c.unanswered),
                r::missed.eq(r::missed + c.missed),
                r::replies.eq(r::replies + c.replies),
                r::active.eq(r::active + c.active),
                r::closed.eq(r::closed + c.closed),
                r::started_fresh.eq(r::started_fresh + c.started_fresh),
                r::closed_fresh.eq(r::closed_fresh + c.closed_fresh),
            ))
            .execute(conn)?;
        if n == 0 {
            diesel::insert_into(r::table)
                .values((
                    r::workspace_id.eq(key.workspace_id),
                    r::span.eq(key.span),
                    r::chat_id.eq(key.chat_id),
                    r::channel.eq(&key.channel),
                    r::operator_id.eq(key.operator_id),
                    r::bucket.eq(key.bucket),
                    r::started.eq(c.started),
                    r::unanswered.eq(c.unanswered),
                    r::missed.eq(c.missed),
                    r::replies.eq(c.replies),
                    r::active.eq(c.active),
                    r::closed.eq(c.closed),
                    r::started_fresh.eq(c.started_fresh),
                    r::closed_fresh.eq(c.closed_fresh),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Merges `h` into the wait histogram row of `key` in `$table` (whose period column is `$period`),
/// inserting the row when it is new.
macro_rules! merge_waits {
    ($table:ident, $period:ident, $conn:expr, $key:expr, $h:expr) => {{
        use $table as r;
        let (conn, key, h): (&mut DbConn, &WaitKey, &Histogram) = ($conn, $key, $h);
        crate::typed!(conn => {
            let found = r::table.find((key.workspace_id, key.chat_id, &key.channel, key.operator_id, key.day));
            match found.select(r::waits).first::<Vec<u8>>(conn).optional()? {
                Some(bytes) => {
                    let mut merged = Histogram::decode(&bytes);
                    merged.merge(h);
                    diesel::update(found).set(r::waits.eq(merged.encode())).execute(conn)?;
                }
                None => {
                    diesel::insert_into(r::table)
                        .values((
                            r::workspace_id.eq(key.workspace_id),
                            r::chat_id.eq(key.chat_id),
                            r::channel.eq(&key.channel),
                            r::operator_id.eq(key.operator_id),
                            r::$period.eq(key.day),
                            r::waits.eq(h.encode()),
                        ))
                        .execute(conn)?;
                }
            }
            Ok(())
        })
    }};
}

fn add_waits(conn: &mut DbConn, key: &WaitKey, h: &Histogram) -> QueryResult<()> {
    merge_waits!(response_rollups, day, conn, key, h)
}

/// `key.day` holds the month here.
fn add_month_waits(conn: &mut DbConn, key: &WaitKey, h: &Histogram) -> QueryResult<()> {
    merge_waits!(response_month_rollups, month, conn, key, h)
}

/// Adds `n` to the count row of `$table` whose key columns `$col` are taken from `$key`,
/// inserting the row when it is new.
macro_rules! add_count {
    ($table:ident, $conn:expr, $key:expr, $n:expr, [$($col:ident),+]) => {{
        use $table as r;
        let (conn, n): (&mut DbConn, i64) = ($conn, $n);
        let key = $key;
        crate::typed!(conn => {
            let found = r::table.find(($(&key.$col),+));
            if diesel::update(found).set(r::n.eq(r::n + n)).execute(conn)? == 0 {
                diesel::insert_into(r::table).values(($(r::$col.eq(&key.$col)),+, r::n.eq(n))).execute(conn)?;
            }
            Ok(())
        })
    }};
}

fn add_gaps(conn: &mut DbConn, key: &GapKey, n: i64) -> QueryResult<()> {
    add_count!(visitor_gap_rollups, conn, key, n, [workspace_id, chat_id, channel, bucket, moment, gap])
}

fn add_links(conn: &mut DbConn, key: &LinkKey, n: i64) -> QueryResult<()> {
    add_count!(visitor_link_rollups, conn, key, n, [workspace_id, chat_id, channel, moment, span, period, link_day])
}

fn add_ratings(conn: &mut DbConn, key: &RatingKey, n: i64) -> QueryResult<()> {
    add_count!(rating_rollups, conn, key, n, [workspace_id, chat_id, operator_id, day, scale, score])
}

/// Writes the roll-ups of a workspace that has none yet, as multi-row INSERTs.
pub fn insert_new(conn: &mut DbConn, pending: &Pending) -> QueryResult<()> {
    let counters: Vec<String> = pending
        .counters
        .iter()
        .map(|(k, c)| {
            format!(
                "{}, {}, {}, '{}', {}, {}, {}, {}, {}, {}, {}, {}, {}, {}",
                k.workspace_id,
                k.span,
                k.chat_id,
                k.channel.replace('\'', "''"),
                k.operator_id,
                k.bucket,
                c.started,
                c.unanswered,
                c.missed,
                c.replies,
                c.active,
                c.closed,
                c.started_fresh,
                c.closed_fresh
            )
        })
        .collect();
    insert_rows(
        conn,
        "INSERT INTO stats_rollups (workspace_id, span, chat_id, channel, operator_id, bucket, started, \
         unanswered, missed, replies, active, closed, started_fresh, closed_fresh)",
        &counters,
    )?;
    let postgres = matches!(conn, DbConn::Postgres(_));
    let wait_values = |waits: &std::collections::HashMap<WaitKey, Histogram>| -> Vec<String> {
        waits
            .iter()
            .map(|(k, h)| {
                let hex: String = h.encode().iter().map(|b| format!("{b:02x}")).collect();
                let blob = if postgres { format!("decode('{hex}', 'hex')") } else { format!("X'{hex}'") };
                format!(
                    "{}, {}, '{}', {}, {}, {blob}",
                    k.workspace_id,
                    k.chat_id,
                    k.channel.replace('\'', "''"),
                    k.operator_id,
                    k.day
                )
            })
            .collect()
    };
    insert_rows(
        conn,
        "INSERT INTO response_rollups (workspace_id, chat_id, channel, operator_id, day, waits)",
        &wait_values(&pending.waits),
    )?;
    insert_rows(
        conn,
        "INSERT INTO response_month_rollups (workspace_id, chat_id, channel, operator_id, month, waits)",
        &wait_values(&pending.month_waits),
    )?;
    let gaps: Vec<String> = pending
        .gaps
        .iter()
        .map(|(k, n)| {
            format!(
                "{}, {}, '{}', {}, {}, {}, {n}",
                k.workspace_id,
                k.chat_id,
                k.channel.replace('\'', "''"),
                k.bucket,
                k.moment,
                k.gap
            )
        })
        .collect();
    insert_rows(
        conn,
        "INSERT INTO visitor_gap_rollups (workspace_id, chat_id, channel, bucket, moment, gap, n)",
        &gaps,
    )?;
    let links: Vec<String> = pending
        .links
        .iter()
        .map(|(k, n)| {
            format!(
                "{}, {}, '{}', {}, {}, {}, {}, {n}",
                k.workspace_id,
                k.chat_id,
                k.channel.replace('\'', "''"),
                k.moment,
                k.span,
                k.period,
                k.link_day
            )
        })
        .collect();
    insert_rows(
        conn,
        "INSERT INTO visitor_link_rollups (workspace_id, chat_id, channel, moment, span, period, link_day, n)",
        &links,
    )?;
    let ratings: Vec<String> = pending
        .ratings
        .iter()
        .map(|(k, n)| {
            format!("{}, {}, {}, {}, {}, {}, {n}", k.workspace_id, k.chat_id, k.operator_id, k.day, k.scale, k.score)
        })
        .collect();
    insert_rows(
        conn,
        "INSERT INTO rating_rollups (workspace_id, chat_id, operator_id, day, scale, score, n)",
        &ratings,
    )?;
    Ok(())
}

/// Multi-row INSERTs of `rows` (each a parenthesised list's inside), 500 rows per statement;
/// `head` is the statement up to `VALUES`.
fn insert_rows(conn: &mut DbConn, head: &str, rows: &[String]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        conn.batch_execute(&format!("{head} VALUES ({})", chunk.join("),(")))?;
    }
    Ok(())
}

/// One 15-minute bucket of dialog counters.
pub fn quarter_counters(
    conn: &mut DbConn,
    workspace_id: i64,
    chat_id: i64,
    channel: &str,
    buckets: (i64, i64),
) -> QueryResult<Vec<(i64, Counters)>> {
    use stats_rollups as r;
    type Row = (i64, i64, i64, i64, i64, i64, i64, (i64, i64));
    let rows: Vec<Row> = crate::typed!(conn => {
        r::table
            .filter(r::workspace_id.eq(workspace_id))
            .filter(r::span.eq(SPAN_QUARTER))
            .filter(r::chat_id.eq(chat_id))
            .filter(r::channel.eq(channel))
            .filter(r::operator_id.eq(ALL))
            .filter(r::bucket.ge(buckets.0))
            .filter(r::bucket.lt(buckets.1))
            .select((
                r::bucket,
                r::started,
                r::unanswered,
                r::missed,
                r::replies,
                r::active,
                r::closed,
                (r::started_fresh, r::closed_fresh),
            ))
            .load(conn)
    })?;
    Ok(rows
        .into_iter()
        .map(|(b, s, u, m, r, a, c, (started_fresh, closed_fresh))| {
            (b, Counters { started_fresh, closed_fresh, ..counters(s, u, m, r, a, c) })
        })
        .collect())
}

/// Counted starts (moment 0) and closes (1) linked at most `MAX_GAP` buckets back:
/// `(bucket, moment, gap, count)`.
pub fn quarter_gaps(
    conn: &mut DbConn,
    workspace_id: i64,
    chat_id: i64,
    channel: &str,
    buckets: (i64, i64),
) -> QueryResult<Vec<(i64, i32, i32, i64)>> {
    use visitor_gap_rollups as r;
    crate::typed!(conn => {
        r::table
            .filter(r::workspace_id.eq(workspace_id))
            .filter(r::chat_id.eq(chat_id))
            .filter(r::channel.eq(channel))
            .filter(r::bucket.ge(buckets.0))
            .filter(r::bucket.lt(buckets.1))
            .select((r::bucket, r::moment, r::gap, r::n))
            .load(conn)
    })
}

/// Counted starts (closes) of `moment` (for a workspace, chat and channel) in periods `[periods.0, periods.1)` of `span` whose link
/// lies on a UTC day before `before_day` (or nowhere).
pub fn linked_before(
    conn: &mut DbConn,
    (workspace_id, chat_id, channel): (i64, i64, &str),
    moment: i32,
    span: i32,
    periods: (i64, i64),
    before_day: i64,
) -> QueryResult<i64> {
    use visitor_link_rollups as r;
    let counts: Vec<i64> = crate::typed!(conn => {
        r::table
            .filter(r::workspace_id.eq(workspace_id))
            .filter(r::chat_id.eq(chat_id))
            .filter(r::channel.eq(channel))
            .filter(r::moment.eq(moment))
            .filter(r::span.eq(span))
            .filter(r::period.ge(periods.0))
            .filter(r::period.lt(periods.1))
            .filter(r::link_day.lt(before_day))
            .select(r::n)
            .load(conn)
    })?;
    Ok(counts.iter().sum())
}

fn counters(started: i64, unanswered: i64, missed: i64, replies: i64, active: i64, closed: i64) -> Counters {
    Counters { started, unanswered, missed, replies, active, closed, ..Counters::default() }
}

/// Dialog counters per assignee over whole UTC days `[first, end)`.
pub fn operator_day_counters(
    conn: &mut DbConn,
    workspace_id: i64,
    chat_id: i64,
    channel: &str,
    operator_id: Option<i64>,
    days: (i64, i64),
) -> QueryResult<Vec<(i64, Counters)>> {
    use stats_rollups as r;
    let rows: Vec<(i64, i64, i64, i64, i64, i64, i64)> = crate::typed!(conn => {
        let mut q = r::table
            .filter(r::workspace_id.eq(workspace_id))
            .filter(r::span.eq(SPAN_DAY))
            .filter(r::chat_id.eq(chat_id))
            .filter(r::channel.eq(channel))
            .filter(r::bucket.ge(days.0))
            .filter(r::bucket.lt(days.1))
            .into_boxed();
        if let Some(op) = operator_id {
            q = q.filter(r::operator_id.eq(op));
        }
        q.select((r::operator_id, r::started, r::unanswered, r::missed, r::replies, r::active, r::closed)).load(conn)
    })?;
    Ok(rows.into_iter().map(|(o, s, u, m, r, a, c)| (o, counters(s, u, m, r, a, c))).collect())
}

/// Answered waits over whole UTC days `[first, end)` as encoded histograms: every operator
/// together (`by_operator` false; `operator_id` narrows to one) or each operator. Whole
/// calendar months come from the month rows, the days around them from the day rows.
pub fn day_waits(
    conn: &mut DbConn,
    workspace_id: i64,
    chat_id: Option<i64>,
    channel: &str,
    operator_id: Option<i64>,
    by_operator: bool,
    days: (i64, i64),
) -> QueryResult<Vec<EncodedWaits>> {
    let split = split_months(days.0, days.1);
    let mut out = Vec::new();
    if let Some(months) = split.months {
        debug_assert!(first_day_of_month(months.0) >= days.0);
        out.extend(month_waits(conn, workspace_id, chat_id, channel, operator_id, by_operator, months)?);
    }
    for range in split.days {
        out.extend(only_day_waits(conn, workspace_id, chat_id, channel, operator_id, by_operator, range)?);
    }
    Ok(out)
}

/// Wait histograms of `$table` whose period column `$period` is in `[range.0, range.1)`, for a
/// chat (all when `None`), a channel (`""` all) and an operator (one, each, or all together).
macro_rules! read_waits {
    ($table:ident, $period:ident, $conn:expr, $workspace_id:expr, $chat_id:expr, $channel:expr,
     $operator_id:expr, $by_operator:expr, $range:expr) => {{
        use $table as r;
        let (conn, range): (&mut DbConn, (i64, i64)) = ($conn, $range);
        let rows: Vec<(i64, i64, Vec<u8>)> = crate::typed!(conn => {
            let mut q = r::table
                .filter(r::workspace_id.eq($workspace_id))
                .filter(r::channel.eq($channel))
                .filter(r::$period.ge(range.0))
                .filter(r::$period.lt(range.1))
                .into_boxed();
            if let Some(chat) = $chat_id {
                q = q.filter(r::chat_id.eq(chat));
            }
            q = match ($operator_id, $by_operator) {
                (Some(op), _) => q.filter(r::operator_id.eq(op)),
                (None, true) => q.filter(r::operator_id.ne(ALL)),
                (None, false) => q.filter(r::operator_id.eq(ALL)),
            };
            q.select((r::chat_id, r::operator_id, r::waits)).load(conn)
        })?;
        Ok(rows
            .into_iter()
            .map(|(chat_id, operator_id, waits)| EncodedWaits {
                chat_id,
                operator_id: (operator_id != ALL).then_some(operator_id),
                waits,
            })
            .collect())
    }};
}

fn month_waits(
    conn: &mut DbConn,
    workspace_id: i64,
    chat_id: Option<i64>,
    channel: &str,
    operator_id: Option<i64>,
    by_operator: bool,
    months: (i64, i64),
) -> QueryResult<Vec<EncodedWaits>> {
    read_waits!(response_month_rollups, month, conn, workspace_id, chat_id, channel, operator_id, by_operator, months)
}

fn only_day_waits(
    conn: &mut DbConn,
    workspace_id: i64,
    chat_id: Option<i64>,
    channel: &str,
    operator_id: Option<i64>,
    by_operator: bool,
    days: (i64, i64),
) -> QueryResult<Vec<EncodedWaits>> {
    read_waits!(response_rollups, day, conn, workspace_id, chat_id, channel, operator_id, by_operator, days)
}

/// One roll-up row's wait histogram, decoded only while it is added up (a year of per-operator
/// rows holds millions of entries).
#[derive(Debug, Clone)]
pub struct EncodedWaits {
    pub chat_id: i64,
    /// `None`: every operator together.
    pub operator_id: Option<i64>,
    pub waits: Vec<u8>,
}

impl EncodedWaits {
    pub fn each(&self, mut f: impl FnMut(&ResponseBucket)) {
        let (chat_id, operator_id) = (self.chat_id, self.operator_id);
        Histogram::each_encoded(&self.waits, |is_first, secs, n, total_ms| {
            f(&ResponseBucket { chat_id, operator_id, is_first, secs, n, total_ms });
        });
    }
}

/// Rating requests over whole UTC days `[first, end)`: `(scale, score, count)`.
pub fn day_ratings(
    conn: &mut DbConn,
    workspace_id: i64,
    chat_id: Option<i64>,
    operator_id: Option<i64>,
    score: Option<i32>,
    days: (i64, i64),
) -> QueryResult<Vec<(i32, Option<i32>, i64)>> {
    use rating_rollups as r;
    let rows: Vec<(i32, i32, i64)> = crate::typed!(conn => {
        let mut q = r::table
            .filter(r::workspace_id.eq(workspace_id))
            .filter(r::chat_id.eq(chat_id.unwrap_or(ALL)))
            .filter(r::operator_id.eq(operator_id.unwrap_or(ALL)))
            .filter(r::day.ge(days.0))
            .filter(r::day.lt(days.1))
            .into_boxed();
        if let Some(score) = score {
            q = q.filter(r::score.eq(score));
        }
        q.select((r::scale, r::score, r::n)).load(conn)
    })?;
    Ok(rows.into_iter().map(|(scale, score, n)| (scale, (score != NO_SCORE).then_some(score), n)).collect())
}

/// What a workspace's dialogs, answered waits and rating requests add up to, read in keyset
/// pages.
pub fn compute_for_workspace(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Pending> {
    const PAGE: i64 = 5_000;
    let mut pending = Pending::default();
    let mut after = 0i64;
    loop {
        let rows: Vec<DialogRow> = crate::typed!(conn => {
            dialogs::table
                .filter(dialogs::workspace_id.eq(workspace_id))
                .filter(dialogs::id.gt(after))
                .order(dialogs::id.asc())
                .limit(PAGE)
                .load(conn)
        })?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in &rows {
            pending.add_dialog(row, 1);
            let links = Links {
                prev_started_at: row.prev_started_at,
                prev_channel_started_at: row.prev_channel_started_at,
                prev_closed_at: row.prev_closed_at,
                prev_channel_closed_at: row.prev_channel_closed_at,
                linked_closed_at: row.linked_closed_at,
            };
            pending.add_links(row.workspace_id, row.chat_id, &row.channel, row.started_at, &links, 1);
        }
    }
    pending.drop_zeros();
    after = 0;
    loop {
        type Wait = (i64, i64, String, Option<i64>, bool, i64, i64, i64);
        let rows: Vec<Wait> = crate::typed!(conn => {
            use response_times as t;
            t::table
                .filter(t::workspace_id.eq(workspace_id))
                .filter(t::id.gt(after))
                .order(t::id.asc())
                .limit(PAGE)
                .select((t::id, t::chat_id, t::channel, t::operator_id, t::is_first, t::waited_from, t::answered_at, t::wait_ms))
                .load(conn)
        })?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (_, chat_id, channel, operator_id, first, waited_from, answered_at, wait_ms) in rows {
            let wait = AnsweredWait { waited_from, wait_ms, first };
            pending.add_wait_of(workspace_id, chat_id, &channel, operator_id, wait, answered_at);
        }
    }
    after = 0;
    loop {
        let rows: Vec<RatingRow> = crate::typed!(conn => {
            use crate::db::schema::ratings as t;
            t::table
                .filter(t::workspace_id.eq(workspace_id))
                .filter(t::id.gt(after))
                .order(t::id.asc())
                .limit(PAGE)
                .load(conn)
        })?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in &rows {
            pending.add_rating(&RatingFacts::of(row), 1);
        }
    }
    pending.drop_zeros();
    Ok(pending)
}

/// Builds the roll-ups of workspaces that had data before roll-ups existed (each in its own
/// transaction, under the workspace lock); called at start.
pub fn backfill(conn: &mut DbConn) -> QueryResult<usize> {
    let pending: Vec<i64> =
        crate::typed!(conn => stats_rollup_backfill::table.select(stats_rollup_backfill::workspace_id).load(conn))?;
    for &workspace_id in &pending {
        write_tx(conn, |conn| {
            lock_workspace(conn, workspace_id)?;
            super::visitor_links::set_all(conn, workspace_id)?;
            let rollups = compute_for_workspace(conn, workspace_id)?;
            delete_for_workspace(conn, workspace_id)?;
            insert_new(conn, &rollups)?;
            crate::typed!(conn => {
                diesel::delete(stats_rollup_backfill::table.find(workspace_id)).execute(conn)
            })?;
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(pending.len())
}

fn delete_for_workspace(conn: &mut DbConn, workspace_id: i64) -> QueryResult<()> {
    crate::typed!(conn => {
        diesel::delete(stats_rollups::table.filter(stats_rollups::workspace_id.eq(workspace_id))).execute(conn)?;
        diesel::delete(response_rollups::table.filter(response_rollups::workspace_id.eq(workspace_id))).execute(conn)?;
        diesel::delete(rating_rollups::table.filter(rating_rollups::workspace_id.eq(workspace_id))).execute(conn)?;
        diesel::delete(response_month_rollups::table.filter(response_month_rollups::workspace_id.eq(workspace_id)))
            .execute(conn)?;
        diesel::delete(visitor_gap_rollups::table.filter(visitor_gap_rollups::workspace_id.eq(workspace_id)))
            .execute(conn)?;
        diesel::delete(visitor_link_rollups::table.filter(visitor_link_rollups::workspace_id.eq(workspace_id)))
            .execute(conn)?;
        Ok(())
    })
}
