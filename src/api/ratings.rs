//! `/api/v1/ratings*`: rating analytics and reviews, admins only (operators get 403).

use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use super::stats::StatsParams;
use crate::auth::Auth;
use crate::domain::ratings::{self, RatingAnalytics};
use crate::error::ApiResult;
use crate::model::rating::ReviewView;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::ratings::RatingFilter;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatingParams {
    /// First local day of dialog closes (`YYYY-MM-DD`); default 29 days before `to`.
    pub from: Option<chrono::NaiveDate>,
    /// Last local day, inclusive; default today in `tz`.
    pub to: Option<chrono::NaiveDate>,
    /// IANA time zone of the days; default `UTC`.
    #[param(example = "Europe/Berlin", max_length = 64)]
    pub tz: Option<String>,
    pub chat_id: Option<i64>,
    /// The assignee when the dialog closed.
    pub operator_id: Option<i64>,
    /// Only ratings with this score.
    #[param(minimum = 1, maximum = 10)]
    pub score: Option<i32>,
}

impl RatingParams {
    fn filter(&self) -> ApiResult<RatingFilter> {
        let period = StatsParams {
            from: self.from,
            to: self.to,
            tz: self.tz.clone(),
            chat_id: None,
            operator_id: None,
            channel: None,
            tag_ids: None,
        }
        .period()?;
        let (from, to) = period.bounds();
        Ok(RatingFilter {
            from: Some(from),
            to: Some(to),
            chat_id: self.chat_id,
            operator_id: self.operator_id,
            score: self.score,
        })
    }
}

/// Rating analytics: count per score, closed dialogs without a rating, average score (as given
/// and on 0–100), positive share, response rate. The period counts dialog closes. Admins only.
#[utoipa::path(get, path = "/api/v1/ratings", tag = "ratings",
    params(RatingParams),
    responses(
        (status = 200, description = "Analytics for the period", body = RatingAnalytics),
        (status = 403, description = "Not an admin (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn analytics(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<RatingParams>,
) -> ApiResult<web::Json<RatingAnalytics>> {
    auth.require_admin().map_err(|_| crate::error::ApiError::forbidden("only admins can read ratings"))?;
    Ok(web::Json(ratings::analytics(&state, &auth, params.filter()?).await?))
}

/// Reviews (ratings with a text) with score, dialog, operator and visitor, newest first.
/// Admins only.
#[utoipa::path(get, path = "/api/v1/ratings/reviews", tag = "ratings",
    params(RatingParams, PageParams),
    responses(
        (status = 200, description = "A page of reviews", body = Page<ReviewView>),
        (status = 403, description = "Not an admin (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn reviews(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<RatingParams>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<ReviewView>>> {
    auth.require_admin().map_err(|_| crate::error::ApiError::forbidden("only admins can read ratings"))?;
    Ok(web::Json(ratings::reviews(&state, &auth, params.filter()?, page.into_inner()).await?))
}
