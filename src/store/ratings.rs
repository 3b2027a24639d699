//! Rating requests and the visitors' answers: one row per close of a dialog whose chat asks
//! for feedback.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::ratings;

#[derive(Debug, Clone, Queryable)]
pub struct RatingRow {
    pub id: i64,
    pub workspace_id: i64,
    pub dialog_id: i64,
    pub chat_id: i64,
    pub visitor_id: i64,
    pub operator_id: Option<i64>,
    pub scale: i32,
    pub text: String,
    pub requested_at: i64,
    pub due_at: i64,
    pub score: Option<i32>,
    pub review: Option<String>,
    pub rated_at: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ratings)]
pub struct NewRatingRequest<'a> {
    pub workspace_id: i64,
    pub dialog_id: i64,
    pub chat_id: i64,
    pub visitor_id: i64,
    pub operator_id: Option<i64>,
    pub scale: i32,
    pub text: &'a str,
    pub requested_at: i64,
    pub due_at: i64,
}

pub fn insert_request(conn: &mut DbConn, new: &NewRatingRequest<'_>) -> QueryResult<RatingRow> {
    let row = crate::typed!(conn => {
        diesel::insert_into(ratings::table).values(new).returning(ratings::all_columns).get_result(conn)
    })?;
    super::rollups::rating_changed(conn, None, Some(&row))?;
    Ok(row)
}

/// The dialog's newest rating request.
pub fn latest_for_dialog(conn: &mut DbConn, dialog_id: i64) -> QueryResult<Option<RatingRow>> {
    crate::typed!(conn => {
        ratings::table.filter(ratings::dialog_id.eq(dialog_id)).order(ratings::id.desc()).first(conn).optional()
    })
}

/// Removes the dialog's unanswered requests (the dialog reopened: its next close asks again).
pub fn delete_unanswered(conn: &mut DbConn, dialog_id: i64) -> QueryResult<usize> {
    let removed: Vec<RatingRow> = crate::typed!(conn => {
        diesel::delete(ratings::table.filter(ratings::dialog_id.eq(dialog_id)).filter(ratings::rated_at.is_null()))
            .returning(ratings::all_columns)
            .get_results(conn)
    })?;
    for row in &removed {
        super::rollups::rating_changed(conn, Some(row), None)?;
    }
    Ok(removed.len())
}

/// Fills in the visitor's answer unless the request already has one; returns the row, or
/// `None` when it was already answered.
pub fn answer(
    conn: &mut DbConn,
    id: i64,
    score: i32,
    review: Option<&str>,
    now: i64,
) -> QueryResult<Option<RatingRow>> {
    let after: Option<RatingRow> = crate::typed!(conn => {
        diesel::update(ratings::table.find(id).filter(ratings::rated_at.is_null()))
            .set((ratings::score.eq(score), ratings::review.eq(review), ratings::rated_at.eq(now)))
            .returning(ratings::all_columns)
            .get_result(conn)
            .optional()
    })?;
    if let Some(after) = &after {
        // Only an unanswered request is answered: before, it had no score.
        let before = RatingRow { score: None, review: None, rated_at: None, ..after.clone() };
        super::rollups::rating_changed(conn, Some(&before), Some(after))?;
    }
    Ok(after)
}

/// Filters shared by rating analytics and the reviews list.
#[derive(Debug, Clone, Default)]
pub struct RatingFilter {
    /// Requests made (dialogs closed) at or after this time.
    pub from: Option<i64>,
    /// ... and before this time.
    pub to: Option<i64>,
    pub chat_id: Option<i64>,
    pub operator_id: Option<i64>,
    pub score: Option<i32>,
}

fn filtered<'a>(workspace_id: i64, f: &RatingFilter) -> ratings::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut q = ratings::table.filter(ratings::workspace_id.eq(workspace_id)).into_boxed();
    if let Some(from) = f.from {
        q = q.filter(ratings::requested_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(ratings::requested_at.lt(to));
    }
    if let Some(chat) = f.chat_id {
        q = q.filter(ratings::chat_id.eq(chat));
    }
    if let Some(op) = f.operator_id {
        q = q.filter(ratings::operator_id.eq(op));
    }
    if let Some(score) = f.score {
        q = q.filter(ratings::score.eq(score));
    }
    q
}

#[derive(QueryableByName)]
struct ScoreCountRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    scale: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    score: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Requests per (scale, score); unanswered requests have no score. Every filter value is an
/// integer, written into the SQL as such.
pub fn counts(conn: &mut DbConn, workspace_id: i64, f: &RatingFilter) -> QueryResult<Vec<(i32, Option<i32>, i64)>> {
    let mut sql = format!("SELECT scale, score, COUNT(*) AS n FROM ratings WHERE workspace_id = {workspace_id}");
    if let Some(from) = f.from {
        sql += &format!(" AND requested_at >= {from}");
    }
    if let Some(to) = f.to {
        sql += &format!(" AND requested_at < {to}");
    }
    if let Some(chat) = f.chat_id {
        sql += &format!(" AND chat_id = {chat}");
    }
    if let Some(op) = f.operator_id {
        sql += &format!(" AND operator_id = {op}");
    }
    if let Some(score) = f.score {
        sql += &format!(" AND score = {score}");
    }
    sql += " GROUP BY scale, score";
    let rows: Vec<ScoreCountRow> = crate::typed!(conn => diesel::sql_query(&sql).load(conn))?;
    Ok(rows.into_iter().map(|r| (r.scale, r.score, r.n)).collect())
}

/// Answered requests with a review, newest first, after the cursor id.
pub fn reviews(
    conn: &mut DbConn,
    workspace_id: i64,
    f: &RatingFilter,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<RatingRow>> {
    let mut q = filtered(workspace_id, f).filter(ratings::review.is_not_null());
    if let Some(id) = before_id {
        q = q.filter(ratings::id.lt(id));
    }
    q.order(ratings::id.desc()).limit(limit + 1).load(conn)
}

/// Answered requests of the given dialogs (exports).
pub fn answered_for_dialogs(conn: &mut DbConn, dialog_ids: &[i64]) -> QueryResult<Vec<RatingRow>> {
    if dialog_ids.is_empty() {
        return Ok(Vec::new());
    }
    ratings::table
        .filter(ratings::dialog_id.eq_any(dialog_ids))
        .filter(ratings::rated_at.is_not_null())
        .order(ratings::id.asc())
        .load(conn)
}
