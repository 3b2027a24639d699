//! `/api/v1/stats/*`: dialog statistics for admins (operators get 403).

use actix_web::web;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Auth;
use crate::domain::channel::Channel;
use crate::domain::local_time;
use crate::domain::stats::{self, DialogStats, Filters, OperatorStatsList, Period};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Period, zone and filters shared by statistics, rating analytics and exports.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// First local day (`YYYY-MM-DD`); default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last local day, inclusive; default today in `tz`. At most 400 days after `from`.
    pub to: Option<NaiveDate>,
    /// IANA time zone for days and hours, e.g. `Europe/Berlin`, `Asia/Kolkata`; default `UTC`.
    #[param(example = "Asia/Kolkata", max_length = 64)]
    pub tz: Option<String>,
    pub chat_id: Option<i64>,
    /// Dialogs assigned to this operator, responses written by them.
    pub operator_id: Option<i64>,
    pub channel: Option<Channel>,
    /// Comma-separated tag ids: dialogs with any of them.
    #[param(example = "3,7", max_length = 200)]
    pub tag_ids: Option<String>,
}

impl StatsParams {
    pub fn period(&self) -> ApiResult<Period> {
        let tz = local_time::parse_zone(self.tz.as_deref())?;
        let to = self.to.unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive());
        let from = self.from.unwrap_or(to - Duration::days(29));
        Period::new(from, to, tz)
    }

    pub fn filters(&self) -> ApiResult<Filters> {
        Ok(Filters {
            chat_id: self.chat_id,
            operator_id: self.operator_id,
            channel: self.channel.map(Channel::as_str),
            tag_ids: parse_ids(self.tag_ids.as_deref())?,
        })
    }
}

pub fn parse_ids(list: Option<&str>) -> ApiResult<Vec<i64>> {
    match list.filter(|s| !s.trim().is_empty()) {
        None => Ok(Vec::new()),
        Some(list) => list
            .split(',')
            .take(50)
            .map(|t| t.trim().parse::<i64>())
            .collect::<Result<_, _>>()
            .map_err(|_| ApiError::bad_request("invalid_query", "tag_ids must be comma-separated ids")),
    }
}

/// Team-wide dialog statistics: started and closed dialogs and distinct visitors (per local
/// day), load by local hour, first response and response times (average, median, 90th
/// percentile, SLA share), replies per dialog, unanswered and missed dialogs. Admins only.
#[utoipa::path(get, path = "/api/v1/stats/dialogs", tag = "stats",
    params(StatsParams),
    responses(
        (status = 200, description = "Statistics for the period", body = DialogStats),
        (status = 403, description = "Not an admin (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn dialogs(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<StatsParams>,
) -> ApiResult<web::Json<DialogStats>> {
    let p = params.into_inner();
    Ok(web::Json(stats::dialog_stats(&state, &auth, p.period()?, p.filters()?).await?))
}

/// Per-operator statistics: dialogs started and assigned to them, still active, closed,
/// unanswered and missed; their first response and response times. Admins only.
#[utoipa::path(get, path = "/api/v1/stats/operators", tag = "stats",
    params(StatsParams),
    responses(
        (status = 200, description = "One entry per operator", body = OperatorStatsList),
        (status = 403, description = "Not an admin (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn operators(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<StatsParams>,
) -> ApiResult<web::Json<OperatorStatsList>> {
    let p = params.into_inner();
    Ok(web::Json(stats::operator_stats(&state, &auth, p.period()?, p.filters()?).await?))
}
