//! The dialog UPDATE every message runs, written as a statement of fixed text so diesel keeps it
//! prepared: diesel prepares its own UPDATE statements anew on every call. [`SetCountersMany`]
//! does the same for many dialogs in one statement on SQLite (`UPDATE ... FROM (VALUES ...)`),
//! [`set_many_pg`] on PostgreSQL.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Integer, Nullable};
use diesel::{QueryResult, RunQueryDsl};

use super::dialogs::DialogRow;
use super::pg_arrays::ArraySql;

/// Sets a dialog's counters, message pointers, read markers and activity times from `row`.
#[derive(Debug, QueryId)]
pub struct SetCounters {
    id: i64,
    counts: [i32; 5],
    optional: [Option<i64>; 10],
    required: [i64; 6],
}

const COUNT_COLUMNS: [&str; 5] =
    ["message_count", "visitor_message_count", "operator_message_count", "note_count", "response_count"];
const OPTIONAL_COLUMNS: [&str; 10] = [
    "last_message_id",
    "last_visitor_message_at",
    "last_operator_message_id",
    "last_operator_message_at",
    "first_operator_reply_at",
    "visitor_last_read_at",
    "operator_last_read_at",
    "started_at",
    "waiting_since",
    "first_response_ms",
];
const REQUIRED_COLUMNS: [&str; 6] = [
    "visitor_last_read_id",
    "operator_last_read_id",
    "last_activity_at",
    "updated_at",
    "response_total_ms",
    "response_max_ms",
];

impl SetCounters {
    pub fn from_row(row: &DialogRow) -> Self {
        Self {
            id: row.id,
            counts: [
                row.message_count,
                row.visitor_message_count,
                row.operator_message_count,
                row.note_count,
                row.response_count,
            ],
            optional: [
                row.last_message_id,
                row.last_visitor_message_at,
                row.last_operator_message_id,
                row.last_operator_message_at,
                row.first_operator_reply_at,
                row.visitor_last_read_at,
                row.operator_last_read_at,
                row.started_at,
                row.waiting_since,
                row.first_response_ms,
            ],
            required: [
                row.visitor_last_read_id,
                row.operator_last_read_id,
                row.last_activity_at,
                row.updated_at,
                row.response_total_ms,
                row.response_max_ms,
            ],
        }
    }
}

impl<DB> QueryFragment<DB> for SetCounters
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Integer>,
    i64: ToSql<BigInt, DB>,
    i32: ToSql<Integer, DB>,
    Option<i64>: ToSql<Nullable<BigInt>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE dialogs SET ");
        let mut first = true;
        let mut column = |out: &mut AstPass<'_, 'b, DB>, name: &str| {
            out.push_sql(if first { "" } else { ", " });
            out.push_sql(name);
            out.push_sql(" = ");
            first = false;
        };
        for (name, value) in COUNT_COLUMNS.iter().zip(&self.counts) {
            column(&mut out, name);
            out.push_bind_param::<Integer, _>(value)?;
        }
        for (name, value) in OPTIONAL_COLUMNS.iter().zip(&self.optional) {
            column(&mut out, name);
            out.push_bind_param::<Nullable<BigInt>, _>(value)?;
        }
        for (name, value) in REQUIRED_COLUMNS.iter().zip(&self.required) {
            column(&mut out, name);
            out.push_bind_param::<BigInt, _>(value)?;
        }
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<BigInt, _>(&self.id)
    }
}

impl<Conn> RunQueryDsl<Conn> for SetCounters {}

/// Dialogs per [`SetCountersMany`]: 22 bound values each, well below both backends' limits.
pub const ROWS_PER_UPDATE: usize = 500;

/// [`SetCounters`] for several dialogs in one statement. Its text depends on the number of rows,
/// so it is not kept prepared; it runs once per batch.
#[derive(Debug)]
pub struct SetCountersMany {
    rows: Vec<SetCounters>,
}

impl SetCountersMany {
    pub fn from_rows(rows: &[DialogRow]) -> Self {
        Self { rows: rows.iter().map(SetCounters::from_row).collect() }
    }
}

impl QueryId for SetCountersMany {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// `VALUES` columns are named `column1`, `column2`, ... on both backends; every value is cast,
/// because PostgreSQL cannot tell a bound parameter's type inside `VALUES`.
impl<DB> QueryFragment<DB> for SetCountersMany
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Integer>,
    i64: ToSql<BigInt, DB>,
    i32: ToSql<Integer, DB>,
    Option<i64>: ToSql<Nullable<BigInt>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("UPDATE dialogs SET ");
        let names = COUNT_COLUMNS.iter().chain(&OPTIONAL_COLUMNS).chain(&REQUIRED_COLUMNS);
        for (i, name) in names.enumerate() {
            out.push_sql(if i == 0 { "" } else { ", " });
            out.push_sql(name);
            out.push_sql(&format!(" = v.column{}", i + 2));
        }
        out.push_sql(" FROM (VALUES ");
        for (i, row) in self.rows.iter().enumerate() {
            out.push_sql(if i == 0 { "(CAST(" } else { "), (CAST(" });
            out.push_bind_param::<BigInt, _>(&row.id)?;
            out.push_sql(" AS BIGINT)");
            for value in &row.counts {
                out.push_sql(", CAST(");
                out.push_bind_param::<Integer, _>(value)?;
                out.push_sql(" AS INTEGER)");
            }
            for value in &row.optional {
                out.push_sql(", CAST(");
                out.push_bind_param::<Nullable<BigInt>, _>(value)?;
                out.push_sql(" AS BIGINT)");
            }
            for value in &row.required {
                out.push_sql(", CAST(");
                out.push_bind_param::<BigInt, _>(value)?;
                out.push_sql(" AS BIGINT)");
            }
        }
        out.push_sql(")) AS v WHERE dialogs.id = v.column1");
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for SetCountersMany {}

/// [`SetCountersMany`] on PostgreSQL: one statement that stays prepared, with the rows as one
/// array per column (`UPDATE ... FROM unnest(...)`).
pub fn set_many_pg(conn: &mut diesel::PgConnection, rows: &[DialogRow]) -> QueryResult<usize> {
    let set: Vec<SetCounters> = rows.iter().map(SetCounters::from_row).collect();
    let names: Vec<&str> = COUNT_COLUMNS.iter().chain(&OPTIONAL_COLUMNS).chain(&REQUIRED_COLUMNS).copied().collect();
    let assignments: Vec<String> = names.iter().map(|n| format!("{n} = v.{n}")).collect();
    let mut statement = ArraySql::default()
        .sql(format!("UPDATE dialogs SET {} FROM unnest(", assignments.join(", ")))
        .bigints(set.iter().map(|s| s.id).collect());
    for i in 0..COUNT_COLUMNS.len() {
        statement = statement.integers(set.iter().map(|s| s.counts[i]).collect());
    }
    for i in 0..OPTIONAL_COLUMNS.len() {
        statement = statement.optional_bigints(set.iter().map(|s| s.optional[i]).collect());
    }
    for i in 0..REQUIRED_COLUMNS.len() {
        statement = statement.bigints(set.iter().map(|s| s.required[i]).collect());
    }
    statement.sql(format!(") AS v(id, {}) WHERE dialogs.id = v.id", names.join(", "))).execute(conn)
}
