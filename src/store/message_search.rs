//! PostgreSQL's full-text entries, made behind the group-commit writer (migration
//! `2026-12-06-000001_search_behind_writer`). A message's insert only queues its id in
//! `message_search_pending`; [`index_pending`] moves queued messages into `message_search`.
//! Searches read both tables (`store::dialogs`), so a message is found from its commit on.
//! SQLite keeps its FTS5 index, written with each batch.

use diesel::sql_types::BigInt;
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use crate::db::DbConn;

/// A message's search terms, for SQL in which `messages` is aliased `m`: every run of
/// characters other than letters and digits separates words, and words are lower-cased. Both
/// steps use ICU's Unicode rules rather than the database's locale: under a `C` locale
/// `[:alnum:]` and `lower` know only ASCII, and Cyrillic or accented words would be dropped.
/// Queries are lower-cased in Rust (`TextQuery`), which follows the same Unicode rules. The
/// migration `2026-12-07-000003_search_terms_any_locale` uses the same expression.
pub const TERMS_OF_M: &str =
    "to_tsvector('simple', lower(regexp_replace(m.body COLLATE \"und-x-icu\", '[^[:alnum:]]+', ' ', 'g')))";

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = BigInt)]
    taken: i64,
}

/// Indexes up to `limit` queued messages in one statement and returns how many it took from the
/// queue (0 on SQLite). Several nodes index side by side: each skips the rows another holds.
pub fn index_pending(conn: &mut DbConn, limit: i64) -> QueryResult<usize> {
    let DbConn::Postgres(pg) = conn else {
        return Ok(0);
    };
    let sql = format!(
        "WITH taken AS ( \
             DELETE FROM message_search_pending WHERE message_id IN ( \
                 SELECT message_id FROM message_search_pending ORDER BY message_id LIMIT $1 \
                 FOR UPDATE SKIP LOCKED) \
             RETURNING message_id), \
         indexed AS ( \
             INSERT INTO message_search (message_id, workspace_id, dialog_id, terms) \
             SELECT m.id, m.workspace_id, m.dialog_id, {TERMS_OF_M} \
             FROM taken JOIN messages m ON m.id = taken.message_id \
             ON CONFLICT (message_id) DO NOTHING) \
         SELECT count(*) AS taken FROM taken"
    );
    let row: Taken = diesel::sql_query(sql).bind::<BigInt, _>(limit).get_result(pg)?;
    Ok(row.taken as usize)
}
