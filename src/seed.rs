//! Synthetic data: `livedesk seed` fills a workspace with a realistic, large history (visitors,
//! dialogs, messages, reads, responses, tags, ratings) for benchmarks, and tests build exact
//! scenarios at chosen times with [`insert_dialogs`]. Rows are written with multi-row INSERTs
//! in large transactions; the per-dialog figures come from the same functions the live write
//! path uses, so seeded dialogs look exactly like real ones.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use std::sync::{Mutex, mpsc};

use crate::db::{Db, DbConn, lock_workspace, write_tx};
use crate::domain::chat_settings::ChatSettings;
use crate::domain::dialog_figures::{self, AnsweredWait};
use crate::domain::rollups::{Pending, RatingFacts};
use crate::store::dialogs::DialogRow;
use crate::time::{DAY_MS, MINUTE_MS, SECOND_MS, now_ms};

/// Who writes one message of a synthetic dialog.
#[derive(Debug, Clone)]
pub enum Turn {
    Visitor(String),
    Operator(i64, String),
}

/// A dialog to insert with its whole history.
#[derive(Debug, Clone)]
pub struct SyntheticDialog {
    pub chat_id: i64,
    pub visitor_id: i64,
    pub channel: &'static str,
    pub assignee_id: Option<i64>,
    /// Messages with their times, in order.
    pub turns: Vec<(i64, Turn)>,
    /// The visitor read every message.
    pub visitor_read_all: bool,
    pub closed_at: Option<i64>,
    pub tag_ids: Vec<i64>,
    /// `(scale, score, review)`: the visitor rated the close; `None` with `closed_at` set leaves
    /// the request unanswered.
    pub rating: Option<(i32, i32, Option<String>)>,
    /// Whether the close asked for a rating.
    pub rating_requested: bool,
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn opt(v: Option<i64>) -> String {
    v.map_or("NULL".into(), |v| v.to_string())
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    id: Option<i64>,
}

/// Reserves `n` new ids of `table`, in increasing order. PostgreSQL draws them from the
/// table's identity sequence, so a server writing to the same database at the same time never
/// gets one of them (ids taken from `MAX(id)` collided with its inserts). SQLite's write
/// transaction holds the database lock, so the ids after `MAX(id)` stay free until commit.
fn reserve_ids(conn: &mut DbConn, table: &str, n: usize) -> QueryResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if matches!(conn, DbConn::Postgres(_)) {
        let rows: Vec<Id> = diesel::sql_query(format!(
            "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, {n})"
        ))
        .load(conn)?;
        let mut ids: Vec<i64> = rows.into_iter().filter_map(|r| r.id).collect();
        ids.sort_unstable();
        return Ok(ids);
    }
    let row: Id = diesel::sql_query(format!("SELECT MAX(id) AS id FROM {table}")).get_result(conn)?;
    let first = row.id.unwrap_or(0) + 1;
    Ok((first..first + n as i64).collect())
}

/// Statements buffered per table and sent as multi-row INSERTs.
struct Batch {
    table: &'static str,
    columns: &'static str,
    rows: Vec<String>,
}

impl Batch {
    const ROWS: usize = 1000;

    fn new(table: &'static str, columns: &'static str) -> Self {
        Self { table, columns, rows: Vec::new() }
    }

    fn push(&mut self, conn: &mut DbConn, values: String) -> QueryResult<()> {
        self.rows.push(values);
        if self.is_full() { self.flush(conn) } else { Ok(()) }
    }

    /// Buffers without flushing: the caller flushes parents before children.
    fn buffer(&mut self, values: String) {
        self.rows.push(values);
    }

    fn is_full(&self) -> bool {
        self.rows.len() >= Self::ROWS
    }

    fn flush(&mut self, conn: &mut DbConn) -> QueryResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let sql = format!("INSERT INTO {} ({}) VALUES ({})", self.table, self.columns, self.rows.join("),("));
        self.rows.clear();
        conn.batch_execute(&sql)
    }
}

struct Writers {
    dialogs: Batch,
    messages: Batch,
    responses: Batch,
    tags: Batch,
    ratings: Batch,
    /// Reserved ids, taken in order.
    dialog_ids: std::vec::IntoIter<i64>,
    message_ids: std::vec::IntoIter<i64>,
    /// What the inserted rows add to the statistics roll-ups.
    rollups: Pending,
}

impl Writers {
    /// Writers for `dialogs`, with ids reserved for them and their messages.
    fn new(conn: &mut DbConn, dialogs: &[SyntheticDialog]) -> QueryResult<Self> {
        let messages = dialogs.iter().map(|d| d.turns.len()).sum();
        Ok(Self {
            dialogs: Batch::new(
                "dialogs",
                "id, workspace_id, session_id, chat_id, visitor_id, channel, status, assignee_id, created_at, \
                 updated_at, last_activity_at, closed_at, closed_by, closed_by_operator_id, reopen_count, \
                 message_count, visitor_message_count, operator_message_count, note_count, last_message_id, \
                 last_visitor_message_at, last_operator_message_id, last_operator_message_at, \
                 first_operator_reply_at, visitor_last_read_id, visitor_last_read_at, operator_last_read_id, \
                 operator_last_read_at, started_at, waiting_since, first_response_ms, response_count, \
                 response_total_ms, response_max_ms",
            ),
            messages: Batch::new(
                "messages",
                "id, workspace_id, dialog_id, kind, author_type, author_id, channel, body, created_at",
            ),
            responses: Batch::new(
                "response_times",
                "workspace_id, dialog_id, chat_id, channel, operator_id, is_first, waited_from, answered_at, wait_ms",
            ),
            tags: Batch::new("dialog_tags", "dialog_id, tag_id, workspace_id, created_at"),
            ratings: Batch::new(
                "ratings",
                "workspace_id, dialog_id, chat_id, visitor_id, operator_id, scale, text, requested_at, due_at, \
                 score, review, rated_at",
            ),
            dialog_ids: reserve_ids(conn, "dialogs", dialogs.len())?.into_iter(),
            message_ids: reserve_ids(conn, "messages", messages)?.into_iter(),
            rollups: Pending::default(),
        })
    }

    fn flush(&mut self, conn: &mut DbConn) -> QueryResult<()> {
        self.dialogs.flush(conn)?;
        self.messages.flush(conn)?;
        self.responses.flush(conn)?;
        self.tags.flush(conn)?;
        self.ratings.flush(conn)
    }

    fn add(&mut self, conn: &mut DbConn, ws: i64, d: &SyntheticDialog) -> QueryResult<i64> {
        let id = self.dialog_ids.next().expect("an id reserved per dialog");
        let created_at = d.turns.first().map(|t| t.0).unwrap_or_else(now_ms);
        let mut row = empty_row(id, ws, d, created_at);
        let mut waits: Vec<(AnsweredWait, i64, i64)> = Vec::new();
        let mut message_values = Vec::with_capacity(d.turns.len());
        for (at, turn) in &d.turns {
            let message_id = self.message_ids.next().expect("an id reserved per message");
            row.message_count += 1;
            row.last_message_id = Some(message_id);
            row.last_activity_at = *at;
            match turn {
                Turn::Visitor(text) => {
                    row.visitor_message_count += 1;
                    row.last_visitor_message_at = Some(*at);
                    row.visitor_last_read_id = message_id;
                    row.visitor_last_read_at = Some(*at);
                    dialog_figures::visitor_wrote(&mut row, *at);
                    message_values.push(format!(
                        "{message_id}, {ws}, {id}, 'message', 'visitor', {}, '{}', {}, {at}",
                        d.visitor_id,
                        d.channel,
                        quote(text)
                    ));
                }
                Turn::Operator(op, text) => {
                    row.operator_message_count += 1;
                    row.last_operator_message_id = Some(message_id);
                    row.last_operator_message_at = Some(*at);
                    row.first_operator_reply_at = row.first_operator_reply_at.or(Some(*at));
                    row.operator_last_read_id = message_id;
                    row.operator_last_read_at = Some(*at);
                    if let Some(wait) = dialog_figures::operator_replied(&mut row, *at) {
                        waits.push((wait, *op, *at));
                    }
                    message_values.push(format!(
                        "{message_id}, {ws}, {id}, 'message', 'operator', {op}, '{}', {}, {at}",
                        d.channel,
                        quote(text)
                    ));
                }
            }
        }
        if d.visitor_read_all
            && let Some(last) = row.last_message_id
        {
            row.visitor_last_read_id = last;
            row.visitor_last_read_at = Some(row.last_activity_at);
        }
        if let Some(closed_at) = d.closed_at {
            row.status = "closed".into();
            row.closed_at = Some(closed_at);
            row.closed_by = Some("operator".into());
            row.closed_by_operator_id = d.assignee_id;
            row.waiting_since = None;
            row.last_activity_at = closed_at;
        }
        row.updated_at = row.last_activity_at;
        self.rollups.add_dialog(&row, 1);
        // Links are set when the roll-ups are written (`insert_dialogs`) or all at once (`run`).
        self.rollups.relink.insert((ws, d.visitor_id));
        self.dialogs.buffer(dialog_values(&row));
        for values in message_values {
            self.messages.buffer(values);
        }
        for (wait, op, at) in waits {
            self.rollups.add_wait(&row, Some(op), wait, at);
            let first = if wait.first { "TRUE" } else { "FALSE" };
            self.responses.buffer(format!(
                "{ws}, {id}, {}, '{}', {op}, {first}, {}, {at}, {}",
                d.chat_id, d.channel, wait.waited_from, wait.wait_ms
            ));
        }
        for tag in &d.tag_ids {
            self.tags.buffer(format!("{id}, {tag}, {ws}, {created_at}"));
        }
        if let (Some(closed_at), true) = (d.closed_at, d.rating_requested || d.rating.is_some()) {
            let (scale, score, review, rated_at) = match &d.rating {
                Some((scale, score, review)) => (
                    *scale,
                    score.to_string(),
                    review.as_deref().map_or("NULL".into(), quote),
                    (closed_at + MINUTE_MS).to_string(),
                ),
                None => (5, "NULL".into(), "NULL".into(), "NULL".into()),
            };
            self.rollups.add_rating(
                &RatingFacts {
                    workspace_id: ws,
                    chat_id: d.chat_id,
                    operator_id: d.assignee_id,
                    requested_at: closed_at,
                    scale,
                    score: d.rating.as_ref().map(|r| r.1),
                },
                1,
            );
            self.ratings.buffer(format!(
                    "{ws}, {id}, {}, {}, {}, {scale}, 'How did we do?', {closed_at}, {closed_at}, {score}, {review}, {rated_at}",
                d.chat_id,
                d.visitor_id,
                opt(d.assignee_id)
            ));
        }
        // Parents before children, for the foreign keys.
        if [&self.dialogs, &self.messages, &self.responses, &self.tags, &self.ratings].iter().any(|b| b.is_full()) {
            self.flush(conn)?;
        }
        Ok(id)
    }
}

fn empty_row(id: i64, ws: i64, d: &SyntheticDialog, created_at: i64) -> DialogRow {
    DialogRow {
        id,
        workspace_id: ws,
        session_id: uuid::Uuid::new_v4().to_string(),
        chat_id: d.chat_id,
        visitor_id: d.visitor_id,
        channel: d.channel.into(),
        status: if d.assignee_id.is_some() { "assigned" } else { "open" }.into(),
        assignee_id: d.assignee_id,
        created_at,
        updated_at: created_at,
        last_activity_at: created_at,
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

fn dialog_values(r: &DialogRow) -> String {
    format!(
        "{}, {}, '{}', {}, {}, '{}', '{}', {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}",
        r.id,
        r.workspace_id,
        r.session_id,
        r.chat_id,
        r.visitor_id,
        r.channel,
        r.status,
        opt(r.assignee_id),
        r.created_at,
        r.updated_at,
        r.last_activity_at,
        opt(r.closed_at),
        r.closed_by.as_deref().map_or("NULL".into(), quote),
        opt(r.closed_by_operator_id),
        r.reopen_count,
        r.message_count,
        r.visitor_message_count,
        r.operator_message_count,
        r.note_count,
        opt(r.last_message_id),
        opt(r.last_visitor_message_at),
        opt(r.last_operator_message_id),
        opt(r.last_operator_message_at),
        opt(r.first_operator_reply_at),
        r.visitor_last_read_id,
        opt(r.visitor_last_read_at),
        r.operator_last_read_id,
        opt(r.operator_last_read_at),
        opt(r.started_at),
        opt(r.waiting_since),
        opt(r.first_response_ms),
        r.response_count,
        r.response_total_ms,
        r.response_max_ms,
    )
}

/// Inserts dialogs with their messages, responses, tags and ratings in one transaction;
/// returns their ids.
pub fn insert_dialogs(conn: &mut DbConn, workspace_id: i64, dialogs: &[SyntheticDialog]) -> QueryResult<Vec<i64>> {
    write_tx(conn, |conn| {
        lock_workspace(conn, workspace_id)?;
        let (ids, rollups) = insert_rows(conn, workspace_id, dialogs)?;
        crate::store::rollups::flush(conn, &rollups)?;
        Ok(ids)
    })
}

/// Inserts the rows; returns their ids and what they add to the roll-ups.
fn insert_rows(conn: &mut DbConn, workspace_id: i64, dialogs: &[SyntheticDialog]) -> QueryResult<(Vec<i64>, Pending)> {
    let mut w = Writers::new(conn, dialogs)?;
    let mut ids = Vec::with_capacity(dialogs.len());
    for d in dialogs {
        ids.push(w.add(conn, workspace_id, d)?);
    }
    w.flush(conn)?;
    Ok((ids, w.rollups))
}

/// What `livedesk seed` creates.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub dialogs: u64,
    /// Days of history, ending now.
    pub days: u32,
    pub operators: u32,
    pub chats: u32,
    pub random_seed: u64,
}

pub struct SeedReport {
    pub workspace_id: i64,
    pub owner_email: String,
    pub dialogs: u64,
    pub messages: i64,
}

const VISITOR_PHRASES: &[&str] = &[
    "Hello, I need help with my order",
    "Where is my order?",
    "How do I get a refund?",
    "The payment did not go through",
    "Can I change my delivery address?",
    "Thanks!",
    "Do you ship to Germany?",
    "My account is locked",
    "How much is the premium plan?",
    "I can't log in",
];
const OPERATOR_PHRASES: &[&str] = &[
    "Hi! Let me check that for you.",
    "Could you send me the order number?",
    "Done, anything else?",
    "The refund is on its way.",
    "I have reset your password.",
];
const CHANNELS: &[&str] = &["web", "web", "web", "telegram", "whatsapp", "email"];

/// Dialogs per transaction.
const CHUNK: u64 = 20_000;

/// Connections writing chunks at once on PostgreSQL, where the server's per-row work (index
/// entries, foreign-key checks, the search index) dominates and runs in one backend per
/// connection. SQLite has one writer.
pub const MAX_WRITERS: u32 = 3;

/// What the synthetic dialogs are drawn from.
struct Generator {
    start: i64,
    end: i64,
    span: i64,
    total: u64,
    visitors: Vec<i64>,
    operators: Vec<i64>,
    chats: Vec<i64>,
    tags: Vec<i64>,
}

impl Generator {
    /// Dialogs `done..done + n` in time order, with more traffic in the (UTC) daytime.
    fn chunk(&self, rng: &mut StdRng, done: u64, n: u64) -> Vec<SyntheticDialog> {
        let (start, span) = (self.start, self.span);
        let mut batch = Vec::with_capacity(n as usize);
        for k in 0..n {
            let base = start + ((done + k) as i64 * span) / self.total as i64;
            let hour_shift = if rng.random_bool(0.3) { 0 } else { (rng.random_range(8..20) - 12) * MINUTE_MS * 6 };
            let t0 = (base + hour_shift).clamp(start, self.end - 10 * MINUTE_MS);
            // A visitor writes in their own chat (visitors are spread over the chats in turn).
            let visitor = rng.random_range(0..self.visitors.len());
            let visitor_id = self.visitors[visitor];
            let chat_id = self.chats[visitor % self.chats.len()];
            let channel = CHANNELS[rng.random_range(0..CHANNELS.len())];
            let answered = rng.random_bool(0.93);
            let assignee = answered.then(|| self.operators[rng.random_range(0..self.operators.len())]);
            let mut turns = Vec::new();
            let mut t = t0;
            let exchanges = rng.random_range(1..=3);
            for _ in 0..exchanges {
                turns.push((t, Turn::Visitor(VISITOR_PHRASES[rng.random_range(0..VISITOR_PHRASES.len())].into())));
                if let Some(op) = assignee {
                    t += rng.random_range(5..600) * SECOND_MS;
                    turns.push((
                        t,
                        Turn::Operator(op, OPERATOR_PHRASES[rng.random_range(0..OPERATOR_PHRASES.len())].into()),
                    ));
                }
                t += rng.random_range(10..300) * SECOND_MS;
            }
            let closed = rng.random_bool(0.85);
            let rated = closed && rng.random_bool(0.4);
            batch.push(SyntheticDialog {
                chat_id,
                visitor_id,
                channel,
                assignee_id: assignee,
                turns,
                visitor_read_all: rng.random_bool(0.9),
                closed_at: closed.then_some(t + MINUTE_MS),
                tag_ids: if rng.random_bool(0.2) {
                    vec![self.tags[rng.random_range(0..self.tags.len())]]
                } else {
                    Vec::new()
                },
                rating: rated.then(|| {
                    let score = rng.random_range(1..=5);
                    (5, score, rng.random_bool(0.3).then(|| "Quick and helpful".to_string()))
                }),
                rating_requested: closed,
            });
        }
        batch
    }
}

/// Generates every chunk here and writes each in its own transaction on one of `writers`
/// connections (ids come from the sequences, so writers never collide). Returns the number of
/// messages; links and roll-ups are built from the stored rows afterwards.
fn write_all(
    db: &Db,
    ws: i64,
    writers: usize,
    source: &Generator,
    rng: &mut StdRng,
    progress: &mut dyn FnMut(u64),
) -> Result<i64, String> {
    let mut conns = Vec::with_capacity(writers);
    for _ in 0..writers {
        conns.push(db.get_blocking()?);
    }
    let (chunk_tx, chunk_rx) = mpsc::sync_channel::<Vec<SyntheticDialog>>(writers);
    let chunk_rx = Mutex::new(chunk_rx);
    let (done_tx, done_rx) = mpsc::channel::<Result<u64, String>>();
    std::thread::scope(|scope| {
        // Owned here: an early return closes the queue, so the writers end before the join.
        let chunk_tx = chunk_tx;
        for mut conn in conns {
            let (chunk_rx, done_tx) = (&chunk_rx, done_tx.clone());
            scope.spawn(move || {
                while let Some(batch) = chunk_rx.lock().ok().and_then(|rx| rx.recv().ok()) {
                    let written = write_tx(&mut conn, |conn| insert_rows(conn, ws, &batch))
                        .map(|(ids, _)| ids.len() as u64)
                        .map_err(|e| e.to_string());
                    if written.is_err() {
                        // Report, then drain, so the generating side never blocks on a full queue.
                        let _ = done_tx.send(written);
                        while chunk_rx.lock().ok().and_then(|rx| rx.recv().ok()).is_some() {}
                        return;
                    }
                    if done_tx.send(written).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut messages = 0i64;
        let mut written = 0u64;
        let mut collect = |result: Result<u64, String>| {
            written += result?;
            progress(written);
            Ok::<_, String>(())
        };
        let mut sent = 0u64;
        while sent < source.total {
            let n = CHUNK.min(source.total - sent);
            let batch = source.chunk(rng, sent, n);
            messages += batch.iter().map(|d| d.turns.len() as i64).sum::<i64>();
            if chunk_tx.send(batch).is_err() {
                break;
            }
            sent += n;
            while let Ok(result) = done_rx.try_recv() {
                collect(result)?;
            }
        }
        drop(chunk_tx);
        for result in done_rx.iter() {
            collect(result)?;
        }
        if written == source.total { Ok(messages) } else { Err("a writer stopped early".to_string()) }
    })
}

/// Creates a workspace with operators, chats, tags and visitors, then `dialogs` dialogs spread
/// over the last `days` days with a daily rhythm. `password_hash` is the owner's.
pub fn run(
    db: &Db,
    options: &SeedOptions,
    password_hash: &str,
    progress: &mut dyn FnMut(u64),
) -> Result<SeedReport, String> {
    let err = |e: diesel::result::Error| e.to_string();
    let mut conn = db.get_blocking()?;
    let conn: &mut DbConn = &mut conn;
    let now = now_ms();
    let mut rng = StdRng::seed_from_u64(options.random_seed);
    let owner_email = format!("owner-{}@seed.test", rng.random::<u32>());
    let (workspace, owner) = write_tx(conn, |conn| {
        crate::domain::accounts::insert_workspace_with_owner(
            conn,
            "Seeded workspace",
            &owner_email,
            "Owner",
            password_hash,
            now,
        )
    })
    .map_err(|e| e.to_string())?;
    let ws = workspace.id;
    let (operators, chats, tags) = write_tx(conn, |conn| -> QueryResult<_> {
        let mut operators = vec![owner.id];
        for i in 1..options.operators.max(1) {
            let email = format!("operator{i}-{}@seed.test", ws);
            let row = crate::store::operators::insert(
                conn,
                &crate::store::operators::NewOperator {
                    workspace_id: ws,
                    email: &email,
                    email_normalized: &email,
                    display_name: &format!("Operator {i}"),
                    internal_name: None,
                    avatar_url: None,
                    role: "operator",
                    active: true,
                    password_hash: Some(password_hash),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            operators.push(row.id);
        }
        let mut chats = Vec::new();
        for i in 0..options.chats.max(1) {
            let settings = ChatSettings::default().to_stored();
            let key = format!("pk_seed_{}", uuid::Uuid::new_v4().simple());
            chats.push(crate::store::chats::insert(conn, ws, &format!("Site {}", i + 1), &key, &settings, now)?.id);
        }
        let mut tags = Vec::new();
        for name in ["refund", "delivery", "billing", "bug"] {
            tags.push(crate::store::tags::insert(conn, ws, name, "#1a73e8", now)?.id);
        }
        Ok((operators, chats, tags))
    })
    .map_err(err)?;
    // Visitors: about one per three dialogs, inserted in bulk.
    let visitor_count = (options.dialogs / 3).max(1) as usize;
    let visitors = write_tx(conn, |conn| {
        let ids = reserve_ids(conn, "visitors", visitor_count)?;
        let mut batch = Batch::new(
            "visitors",
            "id, workspace_id, chat_id, name, email, attributes, created_at, updated_at, last_seen_at",
        );
        for (i, id) in ids.iter().enumerate() {
            let chat = chats[i % chats.len()];
            batch.push(
                conn,
                format!("{id}, {ws}, {chat}, 'Visitor {id}', 'visitor{id}@example.test', '{{}}', {now}, {now}, {now}"),
            )?;
        }
        batch.flush(conn)?;
        Ok::<_, diesel::result::Error>(ids)
    })
    .map_err(err)?;

    let span = i64::from(options.days.max(1)) * DAY_MS;
    let source =
        Generator { start: now - span, end: now, span, total: options.dialogs, visitors, operators, chats, tags };
    let writers = if matches!(conn, DbConn::Postgres(_)) { MAX_WRITERS as usize } else { 1 };
    let messages = write_all(db, ws, writers, &source, &mut rng, progress)?;
    // The workspace is new: its visitor links and roll-ups are built from its rows at the end.
    write_tx(conn, |conn| {
        crate::store::visitor_links::set_all(conn, ws)?;
        let rollups = crate::store::rollups::compute_for_workspace(conn, ws)?;
        crate::store::rollups::insert_new(conn, &rollups)
    })
    .map_err(err)?;
    // Fresh planner statistics for the new volume.
    conn.batch_execute("ANALYZE").map_err(err)?;
    Ok(SeedReport { workspace_id: ws, owner_email, dialogs: options.dialogs, messages })
}
