//! `/api/v1/exports/{report}`: XLSX reports over the dialog list, admins only.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dialogs::DialogListParams;
use crate::auth::Auth;
use crate::domain::local_time;
use crate::error::{ApiError, ApiResult};
use crate::export::{self, ExportRequest, Report};
use crate::state::AppState;

pub const XLSX_CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// IANA time zone for every time in the file; default `UTC`.
    #[param(example = "Europe/Berlin", max_length = 64)]
    pub tz: Option<String>,
    /// Sessions reports: add a sheet with every message and its time.
    pub with_messages: Option<bool>,
}

/// Download a report as XLSX. `report` is one of `sessions`, `tagged_sessions` (sessions with
/// markers: tagged dialogs with their tags), `operator_metrics`, `productivity`, `sources`,
/// `web_pages`, `popular_phrases`, `visitor_phrases`, `billing` (billing format: per chat and
/// channel the dialogs, paid messages, price, cost and currency, then a total). The dialog
/// list's filters choose the dialogs. Admins only; operators get 403, and `billing` is for
/// super admins alone (admins get 403).
#[utoipa::path(get, path = "/api/v1/exports/{report}", tag = "exports",
    params(
        ("report" = Report, Path, description = "Report type"),
        ExportParams,
        DialogListParams,
    ),
    responses(
        (status = 200, description = "The XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, description = "Not an admin, an admin whose export right a super admin switched off, or `billing` without being a super admin (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn download(
    state: web::Data<AppState>,
    auth: Auth,
    report: web::Path<String>,
    params: web::Query<ExportParams>,
    list: web::Query<DialogListParams>,
) -> ApiResult<HttpResponse> {
    auth.require_admin().map_err(|_| ApiError::forbidden("only admins can export reports"))?;
    let report = Report::parse(&report).ok_or_else(|| ApiError::not_found("report"))?;
    let params = params.into_inner();
    let request = ExportRequest {
        report,
        filter: list.into_inner().into_filter(&auth)?,
        tz: local_time::parse_zone(params.tz.as_deref())?,
        with_messages: params.with_messages.unwrap_or(false),
    };
    let bytes = export::export(&state, &auth, request).await?;
    Ok(HttpResponse::Ok()
        .content_type(XLSX_CONTENT_TYPE)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.xlsx\"", report.as_str())))
        .body(bytes))
}
