//! `/api/v1/auth/*`: sign-up, login, refresh, logout, setting a password from a link.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::optional_json::OptionalJson;
use crate::auth::extract::{authenticate, bearer_token};
use crate::domain::accounts::{self, Grant, Login, Signup};
use crate::error::ApiResult;
use crate::http::client_addr::client_ip;
use crate::http::rate_limit::enforce;
use crate::model::operator::{OperatorView, WorkspaceView};
use crate::rate_limit::Bucket;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupRequest {
    #[schema(example = "Acme Support", max_length = 100)]
    pub workspace_name: String,
    #[schema(example = "owner@acme.test", max_length = 254)]
    pub email: String,
    /// At least 8 characters.
    #[schema(example = "correct horse battery", min_length = 8, max_length = 256)]
    pub password: String,
    /// Name visitors see.
    #[schema(example = "Alice", max_length = 100)]
    pub display_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(example = "owner@acme.test", max_length = 254)]
    pub email: String,
    #[schema(example = "correct horse battery", max_length = 256)]
    pub password: String,
    /// Workspace slug; needed only when the email belongs to several workspaces.
    #[schema(max_length = 100)]
    pub workspace: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    #[schema(max_length = 200)]
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LogoutRequest {
    /// Ends this token's session. Without it, the session of the Bearer access token ends.
    #[schema(max_length = 200)]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetPasswordRequest {
    /// The one-time token of an invite or password-reset link.
    #[schema(max_length = 200)]
    pub token: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
}

/// Tokens for a signed-in operator.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Short-lived JWT; send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Exchange at `/api/v1/auth/refresh` for new tokens; each one works once.
    pub refresh_token: String,
    pub operator: OperatorView,
    pub workspace: WorkspaceView,
}

impl From<Grant> for TokenResponse {
    fn from(g: Grant) -> Self {
        Self {
            access_token: g.access_token,
            token_type: "Bearer".into(),
            expires_in: g.expires_in_secs,
            refresh_token: g.refresh_token,
            operator: g.operator.into(),
            workspace: g.workspace.into(),
        }
    }
}

fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Tokens are far shorter than this; a longer one is refused as the spec says (`maxLength`).
const MAX_TOKEN_CHARS: usize = 200;

fn check_token_length(field: &str, token: &str) -> ApiResult<()> {
    let mut v = crate::validate::Validator::new();
    v.max_chars(field, token, MAX_TOKEN_CHARS);
    v.finish()
}

/// Counts one sign-up, sign-in or set-password attempt from the client's address.
async fn limit_address(state: &AppState, req: &HttpRequest) -> ApiResult<()> {
    let ip = client_ip(req, &state.config.trusted_proxies);
    enforce(state, Bucket::AuthAddress, &ip.to_string(), &state.config.limits.auth_address).await
}

/// Create a workspace and its first super admin.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Workspace created; the caller is signed in as its super admin", body = TokenResponse),
        (status = 403, description = "Sign-up is switched off (`signup_disabled`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (`rate_limited`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(()))]
pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SignupRequest>,
) -> ApiResult<HttpResponse> {
    limit_address(&state, &req).await?;
    let body = body.into_inner();
    let input = Signup {
        workspace_name: body.workspace_name,
        email: body.email,
        password: body.password,
        display_name: body.display_name,
    };
    let grant = accounts::signup(&state, input, user_agent(&req)).await?;
    Ok(HttpResponse::Created().json(TokenResponse::from(grant)))
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong email or password (`invalid_credentials`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is deactivated (`account_deactivated`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email belongs to several workspaces; send `workspace` (`workspace_required`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts for this account or from this address (`rate_limited`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(()))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    limit_address(&state, &req).await?;
    let account = body.email.trim().to_lowercase();
    enforce(&state, Bucket::LoginAccount, &account, &state.config.limits.login_account).await?;
    let body = body.into_inner();
    let input = Login { email: body.email, password: body.password, workspace: body.workspace };
    let grant = accounts::login(&state, input, user_agent(&req)).await?;
    Ok(HttpResponse::Ok().json(TokenResponse::from(grant)))
}

/// Exchange a refresh token for new tokens. Each refresh token works once; presenting a used
/// one again ends its whole session (`refresh_token_reused`).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "The refresh token is unknown, expired, or was used before (`invalid_token`, `token_expired`, `refresh_token_reused`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(()))]
pub async fn refresh(state: web::Data<AppState>, body: web::Json<RefreshRequest>) -> ApiResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    check_token_length("refresh_token", &token)?;
    let grant = accounts::refresh(&state, token).await?;
    Ok(HttpResponse::Ok().json(TokenResponse::from(grant)))
}

/// End a session: the one of the given refresh token, or else the one of the Bearer token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body(content = Option<LogoutRequest>, description = "Optional; without a body the Bearer token's session ends"),
    responses((status = 204, description = "Signed out")),
    security(("bearer" = []), ()))]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: OptionalJson<LogoutRequest>,
) -> ApiResult<HttpResponse> {
    if let Some(token) = body.into_inner().and_then(|b| b.refresh_token) {
        check_token_length("refresh_token", &token)?;
        accounts::logout_refresh_token(&state, token).await?;
        return Ok(HttpResponse::NoContent().finish());
    }
    let principal = authenticate(&state, &bearer_token(&req)?).await?;
    accounts::logout_session(&state, &principal).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a password with the token of an invite or password-reset link, and sign in.
/// Every other session of the operator ends.
#[utoipa::path(post, path = "/api/v1/auth/set-password", tag = "auth",
    request_body = SetPasswordRequest,
    responses(
        (status = 200, description = "Password set; signed in", body = TokenResponse),
        (status = 401, description = "The link token is unknown, expired or used (`invalid_token`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is deactivated (`account_deactivated`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (`rate_limited`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(()))]
pub async fn set_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SetPasswordRequest>,
) -> ApiResult<HttpResponse> {
    limit_address(&state, &req).await?;
    let body = body.into_inner();
    check_token_length("token", &body.token)?;
    let grant = accounts::set_password_with_token(&state, body.token, body.password, user_agent(&req)).await?;
    Ok(HttpResponse::Ok().json(TokenResponse::from(grant)))
}
