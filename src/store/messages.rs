use std::collections::HashSet;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::messages;
use crate::store::pg_arrays::ArraySql;

#[derive(Debug, Clone, Queryable, QueryableByName)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: i64,
    pub workspace_id: i64,
    pub dialog_id: i64,
    pub kind: String,
    pub author_type: String,
    pub author_id: Option<i64>,
    pub channel: String,
    pub body: String,
    pub client_id: Option<String>,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
    pub deleted_by: Option<i64>,
}

pub const KIND_MESSAGE: &str = "message";
pub const KIND_NOTE: &str = "note";
pub const KIND_SYSTEM: &str = "system";

#[derive(Debug)]
pub struct NewMessage<'a> {
    pub workspace_id: i64,
    pub dialog_id: i64,
    pub kind: &'a str,
    pub author_type: &'a str,
    pub author_id: Option<i64>,
    pub channel: &'a str,
    pub body: &'a str,
    pub client_id: Option<&'a str>,
    pub created_at: i64,
}

/// Inserted as a tuple of values rather than an `Insertable` struct: with optional fields diesel
/// would prepare the statement anew each time; this way it stays cached. On SQLite the message
/// is also added to the search index: at once, or with its group commit.
pub fn insert(conn: &mut DbConn, new: &NewMessage<'_>) -> QueryResult<MessageRow> {
    let row = insert_row(conn, new)?;
    if let DbConn::Sqlite(sqlite) = conn
        && !super::batch::defer_search_index(row.id)
    {
        index_for_search(sqlite, row.id, row.id)?;
    }
    Ok(row)
}

/// Rows per multi-row insert: 9 bound values each, well below both backends' limits.
const ROWS_PER_INSERT: usize = 500;

/// [`insert`] for several messages: one statement on PostgreSQL, one per 500 rows on SQLite. The
/// rows come back in no promised order (RETURNING does not promise one).
pub fn insert_many(conn: &mut DbConn, new: &[NewMessage<'_>]) -> QueryResult<Vec<MessageRow>> {
    if let DbConn::Postgres(pg) = conn {
        return insert_many_pg(pg, new);
    }
    let mut rows = Vec::with_capacity(new.len());
    for chunk in new.chunks(ROWS_PER_INSERT) {
        let values: Vec<_> = chunk
            .iter()
            .map(|m| {
                (
                    messages::workspace_id.eq(m.workspace_id),
                    messages::dialog_id.eq(m.dialog_id),
                    messages::kind.eq(m.kind),
                    messages::author_type.eq(m.author_type),
                    messages::author_id.eq(m.author_id),
                    messages::channel.eq(m.channel),
                    messages::body.eq(m.body),
                    messages::client_id.eq(m.client_id),
                    messages::created_at.eq(m.created_at),
                )
            })
            .collect();
        let inserted: Vec<MessageRow> = crate::typed!(conn => {
            diesel::insert_into(messages::table).values(&values).returning(messages::all_columns).get_results(conn)
        })?;
        rows.extend(inserted);
    }
    if let DbConn::Sqlite(sqlite) = conn {
        for row in &rows {
            if !super::batch::defer_search_index(row.id) {
                index_for_search(sqlite, row.id, row.id)?;
            }
        }
    }
    Ok(rows)
}

/// [`insert_many`] on PostgreSQL, with one statement that stays prepared.
fn insert_many_pg(conn: &mut diesel::PgConnection, new: &[NewMessage<'_>]) -> QueryResult<Vec<MessageRow>> {
    ArraySql::default()
        .sql(
            "INSERT INTO messages (workspace_id, dialog_id, kind, author_type, author_id, channel, body, \
             client_id, created_at) SELECT * FROM unnest(",
        )
        .bigints(new.iter().map(|m| m.workspace_id).collect())
        .bigints(new.iter().map(|m| m.dialog_id).collect())
        .texts(new.iter().map(|m| m.kind).collect())
        .texts(new.iter().map(|m| m.author_type).collect())
        .optional_bigints(new.iter().map(|m| m.author_id).collect())
        .texts(new.iter().map(|m| m.channel).collect())
        .texts(new.iter().map(|m| m.body).collect())
        .optional_texts(new.iter().map(|m| m.client_id).collect())
        .bigints(new.iter().map(|m| m.created_at).collect())
        .sql(") RETURNING *")
        .load(conn)
}

/// Adds messages `first..=last` to SQLite's search index.
pub fn index_for_search(conn: &mut diesel::SqliteConnection, first: i64, last: i64) -> QueryResult<()> {
    use diesel::sql_types::BigInt;
    diesel::sql_query("INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages WHERE id BETWEEN ? AND ?")
        .bind::<BigInt, _>(first)
        .bind::<BigInt, _>(last)
        .execute(conn)
        .map(|_| ())
}

fn insert_row(conn: &mut DbConn, new: &NewMessage<'_>) -> QueryResult<MessageRow> {
    crate::typed!(conn => {
        diesel::insert_into(messages::table)
            .values((
                messages::workspace_id.eq(new.workspace_id),
                messages::dialog_id.eq(new.dialog_id),
                messages::kind.eq(new.kind),
                messages::author_type.eq(new.author_type),
                messages::author_id.eq(new.author_id),
                messages::channel.eq(new.channel),
                messages::body.eq(new.body),
                messages::client_id.eq(new.client_id),
                messages::created_at.eq(new.created_at),
            ))
            .returning(messages::all_columns)
            .get_result(conn)
    })
}

/// The message an author already sent with this client id, if any.
pub fn find_by_client_id(
    conn: &mut DbConn,
    workspace_id: i64,
    author_type: &str,
    author_id: i64,
    client_id: &str,
) -> QueryResult<Option<MessageRow>> {
    crate::typed!(conn => {
        messages::table
            .filter(messages::workspace_id.eq(workspace_id))
            .filter(messages::author_type.eq(author_type))
            .filter(messages::author_id.eq(author_id))
            .filter(messages::client_id.eq(client_id))
            .first(conn)
            .optional()
    })
}

/// The visitors among `sends` (visitor id, client id) who already sent a message with that
/// client id. Each pair is looked up on its own in the client-id index (the LIMIT keeps the
/// planner from hashing all of the workspace's visitor messages when its statistics are stale).
pub fn visitors_with_used_client_ids(
    conn: &mut DbConn,
    workspace_id: i64,
    sends: &[(i64, &str)],
) -> QueryResult<HashSet<i64>> {
    if sends.is_empty() {
        return Ok(HashSet::new());
    }
    match conn {
        DbConn::Postgres(conn) => {
            #[derive(QueryableByName)]
            struct Author {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                author_id: i64,
            }
            let authors: Vec<Author> = ArraySql::default()
                .sql("SELECT sent.author_id FROM unnest(")
                .bigints(sends.iter().map(|s| s.0).collect())
                .texts(sends.iter().map(|s| s.1).collect())
                .sql(
                    ") AS sent(author_id, client_id) CROSS JOIN LATERAL (SELECT 1 FROM messages m \
                     WHERE m.workspace_id = ",
                )
                .bigint(workspace_id)
                .sql(
                    " AND m.author_type = 'visitor' AND m.author_id = sent.author_id \
                     AND m.client_id = sent.client_id LIMIT 1) AS used",
                )
                .load(conn)?;
            Ok(authors.into_iter().map(|a| a.author_id).collect())
        }
        // No round trips on SQLite: one indexed lookup per pair.
        DbConn::Sqlite(_) => {
            let mut used = HashSet::new();
            for &(visitor_id, client_id) in sends {
                if find_by_client_id(conn, workspace_id, "visitor", visitor_id, client_id)?.is_some() {
                    used.insert(visitor_id);
                }
            }
            Ok(used)
        }
    }
}

pub fn find(conn: &mut DbConn, workspace_id: i64, dialog_id: i64, id: i64) -> QueryResult<Option<MessageRow>> {
    crate::typed!(conn => {
        messages::table
            .filter(messages::id.eq(id))
            .filter(messages::dialog_id.eq(dialog_id))
            .filter(messages::workspace_id.eq(workspace_id))
            .first(conn)
            .optional()
    })
}

pub fn find_many(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<MessageRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    messages::table.filter(messages::id.eq_any(ids)).load(conn)
}

/// A page of a dialog's messages, by id in either direction; notes only when asked for.
pub fn list(
    conn: &mut DbConn,
    dialog_id: i64,
    include_notes: bool,
    after: Option<i64>,
    descending: bool,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    let mut query = messages::table.filter(messages::dialog_id.eq(dialog_id)).into_boxed();
    if !include_notes {
        query = query.filter(messages::kind.ne(KIND_NOTE));
    }
    query = match (after, descending) {
        (Some(id), false) => query.filter(messages::id.gt(id)).order(messages::id.asc()),
        (Some(id), true) => query.filter(messages::id.lt(id)).order(messages::id.desc()),
        (None, false) => query.order(messages::id.asc()),
        (None, true) => query.order(messages::id.desc()),
    };
    query.limit(limit + 1).load(conn)
}

/// Keeps a tombstone: the text is wiped, who and when are kept.
pub fn tombstone(conn: &mut DbConn, id: i64, by: i64, now: i64) -> QueryResult<MessageRow> {
    diesel::update(messages::table.find(id))
        .set((messages::body.eq(""), messages::deleted_at.eq(now), messages::deleted_by.eq(by)))
        .returning(messages::all_columns)
        .get_result(conn)
}

/// The newest message id of the dialog that the given side can see (for read markers).
pub fn latest_id(conn: &mut DbConn, dialog_id: i64, include_notes: bool) -> QueryResult<Option<i64>> {
    crate::typed!(conn => {
        let mut query = messages::table.filter(messages::dialog_id.eq(dialog_id)).into_boxed();
        if !include_notes {
            query = query.filter(messages::kind.ne(KIND_NOTE));
        }
        query.select(diesel::dsl::max(messages::id)).first(conn)
    })
}

/// The channel the visitor last wrote from in this dialog.
pub fn last_visitor_channel(conn: &mut DbConn, dialog_id: i64) -> QueryResult<Option<String>> {
    crate::typed!(conn => {
        messages::table
            .filter(messages::dialog_id.eq(dialog_id))
            .filter(messages::author_type.eq("visitor"))
            .order(messages::id.desc())
            .select(messages::channel)
            .first(conn)
            .optional()
    })
}

/// Visible messages (no notes, no deleted ones) of several dialogs, by dialog then id;
/// only the visitors' when `visitor_only`. For exports.
pub fn for_dialogs(conn: &mut DbConn, dialog_ids: &[i64], visitor_only: bool) -> QueryResult<Vec<MessageRow>> {
    if dialog_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = messages::table
        .filter(messages::dialog_id.eq_any(dialog_ids))
        .filter(messages::kind.ne(KIND_NOTE))
        .filter(messages::deleted_at.is_null())
        .into_boxed();
    if visitor_only {
        query = query.filter(messages::author_type.eq("visitor")).filter(messages::kind.eq(KIND_MESSAGE));
    }
    query.order((messages::dialog_id.asc(), messages::id.asc())).load(conn)
}
