//! Ratings: when a dialog closes and its chat asks for feedback, the visitor gets a rating
//! request (shown by the widget once the chat's delay has passed). The visitor answers once per
//! request: a second answer is refused (`already_rated`), so a score an admin has seen never
//! changes under them. A dialog that reopens loses its unanswered request and asks again at its
//! next close. Only admins read ratings, through any endpoint, export or event.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::auth::visitor::VisitorPrincipal;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::model::operator::OperatorBrief;
use crate::model::rating::{RatingRequestView, RatingView, ReviewView, is_positive, normalized};
use crate::model::visitor::VisitorBrief;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::dialogs::{self, DialogRow};
use crate::store::events::EventRow;
use crate::store::ratings::{self, NewRatingRequest, RatingFilter, RatingRow};
use crate::store::{chats, operators, visitors};
use crate::time::{SECOND_MS, now_ms};
use crate::validate::Validator;

use super::chat_settings::ChatSettings;
use super::events::{self, Audience, RATING_CREATED, RATING_REQUESTED};
use super::messages::own_dialog;

pub const MAX_REVIEW_CHARS: usize = 2000;

/// Payload of `rating.requested` (the dialog's visitor and operators; no score).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingRequestedEvent {
    pub rating_request: RatingRequestView,
}

/// Payload of `rating.created` (admins only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingCreatedEvent {
    pub rating: RatingView,
}

/// Called when a dialog closes: asks for a rating if its chat wants one.
pub fn request_on_close(conn: &mut DbConn, dialog: &DialogRow, now: i64, out: &mut Vec<EventRow>) -> ApiResult<()> {
    let Some(chat) = chats::find(conn, dialog.workspace_id, dialog.chat_id)? else {
        return Ok(());
    };
    let settings = ChatSettings::from_stored(&chat.settings).rating;
    if !settings.enabled {
        return Ok(());
    }
    let row = ratings::insert_request(
        conn,
        &NewRatingRequest {
            workspace_id: dialog.workspace_id,
            dialog_id: dialog.id,
            chat_id: dialog.chat_id,
            visitor_id: dialog.visitor_id,
            operator_id: dialog.assignee_id,
            scale: settings.scale as i32,
            text: &settings.text,
            requested_at: now,
            due_at: now + settings.delay_secs * SECOND_MS,
        },
    )?;
    let payload = RatingRequestedEvent { rating_request: RatingRequestView::from(&row) };
    out.push(events::record(
        conn,
        dialog.workspace_id,
        RATING_REQUESTED,
        Audience::Visitor,
        Some(dialog.id),
        Some(dialog.visitor_id),
        &payload,
        now,
    )?);
    Ok(())
}

/// Called when a dialog reopens: an unanswered request no longer applies.
pub fn withdraw_unanswered(conn: &mut DbConn, dialog_id: i64) -> ApiResult<()> {
    ratings::delete_unanswered(conn, dialog_id)?;
    Ok(())
}

/// The request the widget may show for a dialog: the newest one, once due, while the dialog is
/// closed (or already answered).
fn current_request(conn: &mut DbConn, dialog: &DialogRow, now: i64) -> ApiResult<Option<RatingRow>> {
    let Some(row) = ratings::latest_for_dialog(conn, dialog.id)? else {
        return Ok(None);
    };
    let shown = row.rated_at.is_some() || (dialog.is_closed() && row.due_at <= now);
    Ok(shown.then_some(row))
}

/// The visitor's rating request for their dialog; 404 while there is none (or it is not due).
pub async fn request_for_visitor(
    state: &AppState,
    visitor: &VisitorPrincipal,
    dialog_id: i64,
) -> ApiResult<RatingRequestView> {
    let who = visitor.clone();
    state
        .db
        .run(move |conn| {
            let dialog = own_dialog(conn, &who, dialog_id)?;
            let row = current_request(conn, &dialog, now_ms())?.ok_or_else(|| ApiError::not_found("rating request"))?;
            Ok(RatingRequestView::from(&row))
        })
        .await
}

#[derive(Debug, Clone)]
pub struct RatingInput {
    pub score: i64,
    pub review: Option<String>,
}

/// The visitor rates their closed dialog, once per request.
pub async fn rate(
    state: &AppState,
    visitor: &VisitorPrincipal,
    dialog_id: i64,
    input: RatingInput,
) -> ApiResult<(RatingRequestView, Vec<EventRow>)> {
    let review = input.review.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    let mut v = Validator::new();
    if let Some(r) = &review {
        v.max_chars("review", r, MAX_REVIEW_CHARS);
    }
    v.finish()?;
    let who = visitor.clone();
    state
        .db
        .write_in(who.workspace_id, move |conn| {
            let now = now_ms();
            let dialog = own_dialog(conn, &who, dialog_id)?;
            let request = current_request(conn, &dialog, now)?.ok_or_else(|| {
                ApiError::conflict("rating_not_requested", "this dialog has no rating request to answer")
            })?;
            if request.rated_at.is_some() {
                return Err(ApiError::conflict("already_rated", "this dialog has already been rated"));
            }
            if input.score < 1 || input.score > i64::from(request.scale) {
                return Err(ApiError::invalid_field(
                    "score",
                    "out_of_range",
                    format!("must be between 1 and {} (the chat's scale)", request.scale),
                ));
            }
            let row = ratings::answer(conn, request.id, input.score as i32, review.as_deref(), now)?
                .ok_or_else(|| ApiError::conflict("already_rated", "this dialog has already been rated"))?;
            let rating = RatingView::build(&row).ok_or_else(|| ApiError::internal("answered rating without score"))?;
            let event = events::record(
                conn,
                who.workspace_id,
                RATING_CREATED,
                Audience::Admins,
                Some(dialog.id),
                None,
                &RatingCreatedEvent { rating },
                now,
            )?;
            Ok((RatingRequestView::from(&row), vec![event]))
        })
        .await
}

/// How many requests got one score on one scale.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ScoreCount {
    pub scale: i32,
    pub score: i32,
    pub count: i64,
}

/// Rating analytics for a period and filters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingAnalytics {
    /// Rating requests: dialogs closed (with feedback on) in the period.
    pub requested: i64,
    /// Requests the visitor answered.
    pub rated: i64,
    /// Closed dialogs that got no rating.
    pub closed_without_rating: i64,
    /// `rated / requested` (0–1); null without requests.
    pub response_rate: Option<f64>,
    /// Average score as given (mixes scales when chats differ).
    pub average_score: Option<f64>,
    /// Average score on 0–100, comparable across scales.
    pub average_normalized: Option<f64>,
    /// Share of ratings above the middle of their scale (0–1).
    pub positive_share: Option<f64>,
    /// Count per score, by scale then score.
    pub by_score: Vec<ScoreCount>,
}

fn require_admin(principal: &Principal) -> ApiResult<()> {
    principal.require_admin().map_err(|_| ApiError::forbidden("only admins can read ratings"))
}

pub async fn analytics(state: &AppState, principal: &Principal, filter: RatingFilter) -> ApiResult<RatingAnalytics> {
    require_admin(principal)?;
    let ws = principal.workspace_id;
    let counts = state.db.run(move |conn| Ok(counts(conn, ws, &filter)?)).await?;
    Ok(summarize(&counts))
}

/// Requests per (scale, score): whole UTC days from the roll-ups, the partial days at the ends
/// of the period from the requests themselves.
pub fn counts(
    conn: &mut DbConn,
    workspace_id: i64,
    filter: &RatingFilter,
) -> diesel::QueryResult<Vec<(i32, Option<i32>, i64)>> {
    let (Some(from), Some(to)) = (filter.from, filter.to) else {
        return ratings::counts(conn, workspace_id, filter);
    };
    let split = crate::domain::rollups::split(from, to);
    let mut sums: std::collections::BTreeMap<(i32, Option<i32>), i64> = Default::default();
    let mut add = |rows: Vec<(i32, Option<i32>, i64)>| {
        for (scale, score, n) in rows {
            *sums.entry((scale, score)).or_default() += n;
        }
    };
    if let Some(days) = split.days {
        add(crate::store::rollups::day_ratings(
            conn,
            workspace_id,
            filter.chat_id,
            filter.operator_id,
            filter.score,
            days,
        )?);
    }
    for (a, b) in split.edges {
        add(ratings::counts(conn, workspace_id, &RatingFilter { from: Some(a), to: Some(b), ..filter.clone() })?);
    }
    Ok(sums.into_iter().filter(|(_, n)| *n != 0).map(|((scale, score), n)| (scale, score, n)).collect())
}

/// Analytics from counts per (scale, score); a missing score is an unanswered request.
pub fn summarize(counts: &[(i32, Option<i32>, i64)]) -> RatingAnalytics {
    let (mut requested, mut rated, mut positive) = (0i64, 0i64, 0i64);
    let (mut score_sum, mut normalized_sum) = (0f64, 0f64);
    let mut by_score = Vec::new();
    for &(scale, score, n) in counts {
        requested += n;
        let Some(score) = score else { continue };
        rated += n;
        score_sum += f64::from(score) * n as f64;
        normalized_sum += normalized(score, scale) * n as f64;
        if is_positive(score, scale) {
            positive += n;
        }
        by_score.push(ScoreCount { scale, score, count: n });
    }
    by_score.sort_by_key(|s| (s.scale, s.score));
    let per = |x: f64, n: i64| (n > 0).then(|| x / n as f64);
    RatingAnalytics {
        requested,
        rated,
        closed_without_rating: requested - rated,
        response_rate: per(rated as f64, requested),
        average_score: per(score_sum, rated),
        average_normalized: per(normalized_sum, rated),
        positive_share: per(positive as f64, rated),
        by_score,
    }
}

/// Reviews (ratings with a text), newest first.
pub async fn reviews(
    state: &AppState,
    principal: &Principal,
    filter: RatingFilter,
    page: PageParams,
) -> ApiResult<Page<ReviewView>> {
    require_admin(principal)?;
    let limit = page.limit()?;
    let before = page.cursor(1)?.map(|c| c[0]);
    let ws = principal.workspace_id;
    state
        .db
        .run(move |conn| {
            let rows = ratings::reviews(conn, ws, &filter, before, limit)?;
            let dialog_ids: Vec<i64> = rows.iter().map(|r| r.dialog_id).collect();
            let sessions: HashMap<i64, String> =
                dialogs::find_many(conn, ws, &dialog_ids)?.into_iter().map(|d| (d.id, d.session_id)).collect();
            let operator_ids: Vec<i64> = rows.iter().filter_map(|r| r.operator_id).collect();
            let operators: HashMap<i64, OperatorBrief> = operators::find_many_any(conn, ws, &operator_ids)?
                .iter()
                .map(|o| (o.id, OperatorBrief::from(o)))
                .collect();
            let visitor_ids: Vec<i64> = rows.iter().map(|r| r.visitor_id).collect();
            let visitors: HashMap<i64, VisitorBrief> =
                visitors::find_many(conn, ws, &visitor_ids)?.iter().map(|v| (v.id, VisitorBrief::from(v))).collect();
            Ok(Page::from_rows(
                rows,
                limit,
                |r| vec![r.id],
                |r| {
                    let score = r.score.unwrap_or_default();
                    ReviewView {
                        id: r.id,
                        score,
                        scale: r.scale,
                        normalized_score: normalized(score, r.scale),
                        review: r.review.clone().unwrap_or_default(),
                        dialog_id: r.dialog_id,
                        session_id: sessions.get(&r.dialog_id).cloned().unwrap_or_default(),
                        chat_id: r.chat_id,
                        operator: r.operator_id.and_then(|id| operators.get(&id).cloned()),
                        visitor: visitors.get(&r.visitor_id).cloned().unwrap_or(VisitorBrief {
                            id: r.visitor_id,
                            name: None,
                            email: None,
                        }),
                        requested_at: crate::time::to_datetime(r.requested_at),
                        rated_at: crate::time::to_datetime(r.rated_at.unwrap_or(r.requested_at)),
                    }
                },
            ))
        })
        .await
}
