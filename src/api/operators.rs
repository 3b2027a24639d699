//! `/api/v1/operators`: the team. Everyone can read it; admins manage it.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::me::UpdateProfileRequest;
use super::patch::double_option;
use crate::auth::{Auth, Role};
use crate::domain::operators::{self, AdminChanges, LinkToken, NewOperatorInput};
use crate::error::ApiResult;
use crate::model::operator::OperatorView;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::operators::ListFilter;
use crate::time::to_datetime;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OperatorFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Case-insensitive part of the email, display name or internal name.
    #[param(max_length = 100)]
    pub search: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteOperatorRequest {
    #[schema(example = "bob@acme.test", max_length = 254)]
    pub email: String,
    #[schema(example = "Bob", max_length = 100)]
    pub display_name: String,
    #[schema(max_length = 100)]
    pub internal_name: Option<String>,
    #[schema(max_length = 2048)]
    pub avatar_url: Option<String>,
    /// Default `operator`. Only a super admin may invite a super admin.
    pub role: Option<Role>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateOperatorRequest {
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[schema(max_length = 100)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub internal_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2048)]
    pub avatar_url: Option<Option<String>>,
    /// Admins only; only a super admin may grant or take away `super_admin`.
    pub role: Option<Role>,
    /// Admins only; `false` deactivates: sign-in is refused and sessions end.
    pub active: Option<bool>,
    /// Admins only; most dialogs the automatic assignment policies give the operator at once
    /// (0: none). Raising it hands queued dialogs to the operator at once.
    #[schema(minimum = 0, maximum = 1000)]
    pub max_active_dialogs: Option<i32>,
    /// Super admins only; `false` takes away an admin's right to download exports.
    pub exports_allowed: Option<bool>,
}

/// A one-time token to send to the operator (shown only once).
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordLink {
    /// `invite` (no password yet) or `password_reset`.
    #[schema(example = "invite")]
    pub purpose: String,
    /// Pass to `POST /api/v1/auth/set-password` with the new password.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl From<LinkToken> for PasswordLink {
    fn from(l: LinkToken) -> Self {
        Self { purpose: l.purpose.into(), token: l.token, expires_at: to_datetime(l.expires_at) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitedOperator {
    pub operator: OperatorView,
    pub invite: PasswordLink,
}

/// List operators of the workspace.
#[utoipa::path(get, path = "/api/v1/operators", tag = "operators",
    params(OperatorFilter, PageParams),
    responses((status = 200, description = "A page of operators", body = Page<OperatorView>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<OperatorFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<OperatorView>>> {
    let f = filter.into_inner();
    crate::validate::query_max_chars("search", f.search.as_deref(), 100)?;
    let filter = ListFilter {
        role: f.role.map(|r| r.as_str().to_string()),
        active: f.active,
        search: f.search.filter(|s| !s.trim().is_empty()).map(|s| s.trim().chars().take(100).collect()),
    };
    let page = operators::list(&state, &auth, filter, page.into_inner()).await?;
    Ok(web::Json(Page { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// Invite an operator (admins). The answer carries the one-time invite token.
#[utoipa::path(post, path = "/api/v1/operators", tag = "operators",
    request_body = InviteOperatorRequest,
    responses(
        (status = 201, description = "Operator invited", body = InvitedOperator),
        (status = 403, description = "Not an admin, or an admin inviting a super admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email already used in the workspace (`email_taken`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn invite(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<InviteOperatorRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = NewOperatorInput {
        email: b.email,
        display_name: b.display_name,
        internal_name: b.internal_name,
        avatar_url: b.avatar_url,
        role: b.role.unwrap_or(Role::Operator),
    };
    let (operator, link) = operators::invite(&state, &auth, input).await?;
    Ok(HttpResponse::Created().json(InvitedOperator { operator: operator.into(), invite: link.into() }))
}

/// One operator.
#[utoipa::path(get, path = "/api/v1/operators/{id}", tag = "operators",
    params(("id" = i64, Path, description = "Operator id")),
    responses((status = 200, description = "The operator", body = OperatorView)),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<OperatorView>> {
    Ok(web::Json(operators::get(&state, &auth, id.into_inner()).await?.into()))
}

/// Change an operator. Operators may change only their own profile fields; admins may change
/// others, their role and whether they are active.
#[utoipa::path(patch, path = "/api/v1/operators/{id}", tag = "operators",
    params(("id" = i64, Path, description = "Operator id")),
    request_body = UpdateOperatorRequest,
    responses(
        (status = 200, description = "Updated operator", body = OperatorView),
        (status = 403, description = "The role rules forbid this change", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`, or `last_super_admin` when the last super admin would be demoted or deactivated", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<UpdateOperatorRequest>,
) -> ApiResult<web::Json<OperatorView>> {
    let b = body.into_inner();
    let admin = AdminChanges {
        role: b.role,
        active: b.active,
        max_active_dialogs: b.max_active_dialogs,
        exports_allowed: b.exports_allowed,
    };
    let profile = UpdateProfileRequest {
        email: b.email,
        display_name: b.display_name,
        internal_name: b.internal_name,
        avatar_url: b.avatar_url,
    }
    .into_changes();
    let updated = operators::update(&state, &auth, id.into_inner(), profile, admin).await?;
    Ok(web::Json(updated.into()))
}

/// Remove an operator (admins). Their dialogs and messages stay; sessions and API keys end.
#[utoipa::path(delete, path = "/api/v1/operators/{id}", tag = "operators",
    params(("id" = i64, Path, description = "Operator id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not an admin, or an admin removing a super admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last super admin cannot be removed (`last_super_admin`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn remove(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    operators::remove(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue a new one-time link (admins): an invite while the operator has no password, else a
/// password reset. Earlier unused links stop working.
#[utoipa::path(post, path = "/api/v1/operators/{id}/password-link", tag = "operators",
    params(("id" = i64, Path, description = "Operator id")),
    responses(
        (status = 201, description = "A new link token", body = PasswordLink),
        (status = 403, description = "Not an admin, or an admin acting on a super admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The operator is deactivated (`operator_deactivated`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn password_link(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    let link = operators::issue_password_link(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Created().json(PasswordLink::from(link)))
}
