//! `/api/v1/me`: the signed-in operator's own profile and password.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::patch::double_option;
use crate::auth::Auth;
use crate::auth::extract::Credential;
use crate::domain::{accounts, operators};
use crate::error::{ApiError, ApiResult};
use crate::model::operator::{OperatorView, WorkspaceView};
use crate::state::AppState;
use crate::store;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub operator: OperatorView,
    pub workspace: WorkspaceView,
    /// How this request authenticated: `session` (access token) or `api_key`.
    #[schema(example = "session")]
    pub authenticated_with: String,
    /// The role in effect for this request (an API key may have less than its operator).
    pub effective_role: crate::auth::Role,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateProfileRequest {
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[schema(max_length = 100)]
    pub display_name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub internal_name: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2048)]
    pub avatar_url: Option<Option<String>>,
}

impl UpdateProfileRequest {
    pub fn into_changes(self) -> operators::ProfileChanges {
        operators::ProfileChanges {
            email: self.email,
            display_name: self.display_name,
            internal_name: self.internal_name,
            avatar_url: self.avatar_url,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    #[schema(max_length = 256)]
    pub current_password: String,
    #[schema(min_length = 8, max_length = 256)]
    pub new_password: String,
}

/// The signed-in operator and their workspace.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses((status = 200, description = "The caller", body = MeResponse)),
    security(("bearer" = [])))]
pub async fn get_me(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<MeResponse>> {
    let p = auth.0;
    let (ws, id) = (p.workspace_id, p.operator_id);
    let (operator, workspace) = state
        .db
        .run(move |conn| {
            let operator = store::operators::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("operator"))?;
            let workspace = store::workspaces::find(conn, ws)?.ok_or_else(|| ApiError::not_found("workspace"))?;
            Ok((operator, workspace))
        })
        .await?;
    Ok(web::Json(MeResponse {
        operator: operator.into(),
        workspace: workspace.into(),
        authenticated_with: match p.credential {
            Credential::Session(_) => "session".into(),
            Credential::ApiKey(_) => "api_key".into(),
        },
        effective_role: p.role,
    }))
}

/// Change the caller's own profile.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me",
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, description = "Updated profile", body = OperatorView),
        (status = 409, description = "Email already used in the workspace (`email_taken`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update_me(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<UpdateProfileRequest>,
) -> ApiResult<web::Json<OperatorView>> {
    let changes = body.into_inner().into_changes();
    let updated = operators::update(&state, &auth, auth.operator_id, changes, Default::default()).await?;
    Ok(web::Json(updated.into()))
}

/// Change the caller's password; every other session of theirs ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me",
    request_body = ChangePasswordRequest,
    responses((status = 204, description = "Password changed")),
    security(("bearer" = [])))]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    accounts::change_password(&state, &auth, body.current_password, body.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
