//! XLSX reports over the dialog list: the reference's report types, each taking the dialog
//! list's filters. Dialogs are read in keyset pages and written row by row, so a report of any
//! size uses bounded memory. Admins only (unless a super admin switched off an admin's export
//! right); the billing report is for super admins alone.

mod reports;
pub mod workbook;

use chrono_tz::Tz;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{Principal, Role};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::dialogs::{self, DialogFilter, DialogRow, Sort};

/// The report types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    /// One row per dialog; with `with_messages`, a second sheet with every message and its time.
    Sessions,
    /// Sessions limited to tagged dialogs, with their tags ("sessions with markers").
    TaggedSessions,
    /// One row per dialog with the operator and their response times.
    OperatorMetrics,
    /// One row per operator: dialogs, messages by visitors and operator, average and longest response.
    Productivity,
    /// One row per channel: dialogs, visitor and operator messages, dialogs handed to operators.
    Sources,
    /// Pages the visitor viewed during each dialog.
    WebPages,
    /// The most frequent visitor phrases.
    PopularPhrases,
    /// Every visitor message.
    VisitorPhrases,
    /// Billing format: one row per chat and channel with dialogs, paid messages, price and cost,
    /// and a total. Super admins only.
    Billing,
}

impl Report {
    pub const ALL: [Report; 9] = [
        Report::Sessions,
        Report::TaggedSessions,
        Report::OperatorMetrics,
        Report::Productivity,
        Report::Sources,
        Report::WebPages,
        Report::PopularPhrases,
        Report::VisitorPhrases,
        Report::Billing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Report::Sessions => "sessions",
            Report::TaggedSessions => "tagged_sessions",
            Report::OperatorMetrics => "operator_metrics",
            Report::Productivity => "productivity",
            Report::Sources => "sources",
            Report::WebPages => "web_pages",
            Report::PopularPhrases => "popular_phrases",
            Report::VisitorPhrases => "visitor_phrases",
            Report::Billing => "billing",
        }
    }

    pub fn parse(name: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub report: Report,
    pub filter: DialogFilter,
    pub tz: Tz,
    pub with_messages: bool,
}

/// Dialogs read per query.
const PAGE: i64 = 2000;

/// Calls `each` with consecutive pages of the dialogs matching `filter`, newest first.
pub fn for_each_page(
    conn: &mut DbConn,
    workspace_id: i64,
    filter: &DialogFilter,
    mut each: impl FnMut(&mut DbConn, &[DialogRow]) -> ApiResult<()>,
) -> ApiResult<()> {
    let mut filter = filter.clone();
    filter.sort = Sort::Created;
    let mut after: Option<(i64, i64)> = None;
    loop {
        let mut rows = dialogs::list(conn, workspace_id, &filter, after, PAGE)?;
        let more = rows.len() as i64 > PAGE;
        rows.truncate(PAGE as usize);
        if rows.is_empty() {
            return Ok(());
        }
        each(conn, &rows)?;
        if !more {
            return Ok(());
        }
        after = rows.last().map(|d| (d.created_at, d.id));
    }
}

/// Builds the report as an XLSX file.
pub async fn export(state: &AppState, principal: &Principal, request: ExportRequest) -> ApiResult<Vec<u8>> {
    principal.require_admin().map_err(|_| ApiError::forbidden("only admins can export reports"))?;
    if request.report == Report::Billing && !crate::domain::billing::may_see(principal.role) {
        return Err(ApiError::forbidden("billing is for super admins only"));
    }
    let ws = principal.workspace_id;
    let config = state.config.clone();
    let (operator_id, role) = (principal.operator_id, principal.role);
    state
        .db
        .run(move |conn| {
            // Read with the export, so a right taken away stops the next download.
            if role < Role::SuperAdmin {
                let allowed = crate::store::operators::find(conn, ws, operator_id)?.is_some_and(|o| o.exports_allowed);
                if !allowed {
                    return Err(ApiError::forbidden("a super admin has switched off this admin's exports"));
                }
            }
            reports::build(conn, &config, ws, &request)
        })
        .await
}

/// The same, on a connection the caller holds (benchmarks, CLI).
pub fn build(
    conn: &mut DbConn,
    config: &crate::config::Config,
    workspace_id: i64,
    request: &ExportRequest,
) -> ApiResult<Vec<u8>> {
    reports::build(conn, config, workspace_id, request)
}
