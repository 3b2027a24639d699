//! Rating requests as the visitor sees them, and ratings as admins see them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::operator::OperatorBrief;
use super::visitor::VisitorBrief;
use crate::store::ratings::RatingRow;
use crate::time::{opt_datetime, to_datetime};

/// Score on a 0–100 scale, so ratings on 2-, 5- and 10-point scales compare.
pub fn normalized(score: i32, scale: i32) -> f64 {
    if scale <= 1 { 100.0 } else { f64::from(score - 1) * 100.0 / f64::from(scale - 1) }
}

/// A positive rating is above the middle of its scale (2 of 2, 4–5 of 5, 6–10 of 10).
pub fn is_positive(score: i32, scale: i32) -> bool {
    normalized(score, scale) > 50.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RatingRequestStatus {
    /// Waiting for the visitor's answer.
    Pending,
    /// The visitor answered; it cannot be changed.
    Rated,
}

/// What the widget shows after a dialog closes: the question and the scale.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatingRequestView {
    pub dialog_id: i64,
    /// Points on the scale: 2, 5 or 10; a score is 1..=scale.
    #[schema(example = 5)]
    pub scale: i32,
    /// The chat's rating question.
    pub text: String,
    pub status: RatingRequestStatus,
    /// When the dialog closed.
    pub requested_at: DateTime<Utc>,
    /// From when the widget shows the request (close time plus the chat's delay).
    pub due_at: DateTime<Utc>,
    /// The visitor's own answer, once given.
    pub score: Option<i32>,
    pub review: Option<String>,
    pub rated_at: Option<DateTime<Utc>>,
}

impl From<&RatingRow> for RatingRequestView {
    fn from(r: &RatingRow) -> Self {
        Self {
            dialog_id: r.dialog_id,
            scale: r.scale,
            text: r.text.clone(),
            status: if r.rated_at.is_some() { RatingRequestStatus::Rated } else { RatingRequestStatus::Pending },
            requested_at: to_datetime(r.requested_at),
            due_at: to_datetime(r.due_at),
            score: r.score,
            review: r.review.clone(),
            rated_at: opt_datetime(r.rated_at),
        }
    }
}

/// A visitor's rating of a dialog (admins only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatingView {
    pub id: i64,
    pub dialog_id: i64,
    pub chat_id: i64,
    pub score: i32,
    pub scale: i32,
    /// The score on 0–100.
    pub normalized_score: f64,
    pub review: Option<String>,
    /// The assignee when the dialog closed.
    pub operator_id: Option<i64>,
    pub visitor_id: i64,
    pub requested_at: DateTime<Utc>,
    pub rated_at: DateTime<Utc>,
}

impl RatingView {
    /// `None` for a request without an answer.
    pub fn build(r: &RatingRow) -> Option<Self> {
        let (score, rated_at) = (r.score?, r.rated_at?);
        Some(Self {
            id: r.id,
            dialog_id: r.dialog_id,
            chat_id: r.chat_id,
            score,
            scale: r.scale,
            normalized_score: normalized(score, r.scale),
            review: r.review.clone(),
            operator_id: r.operator_id,
            visitor_id: r.visitor_id,
            requested_at: to_datetime(r.requested_at),
            rated_at: to_datetime(rated_at),
        })
    }
}

/// One review in the analytics list (admins only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub id: i64,
    pub score: i32,
    pub scale: i32,
    pub normalized_score: f64,
    pub review: String,
    pub dialog_id: i64,
    pub session_id: String,
    pub chat_id: i64,
    pub operator: Option<OperatorBrief>,
    pub visitor: VisitorBrief,
    pub requested_at: DateTime<Utc>,
    pub rated_at: DateTime<Utc>,
}
