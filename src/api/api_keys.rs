//! `/api/v1/api-keys`: keys for integrations, usable wherever a Bearer access token is.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, Role};
use crate::domain::api_keys::{self, NewKeyInput};
use crate::error::ApiResult;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::api_keys::ApiKeyRow;
use crate::time::{opt_datetime, to_datetime};

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The first characters of the key, to recognise it.
    #[schema(example = "ldk_3fA9xQ2")]
    pub prefix: String,
    /// The operator the key acts as.
    pub operator_id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(r: ApiKeyRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            role: Role::from_db(&r.role),
            prefix: r.key_prefix,
            operator_id: r.operator_id,
            created_at: to_datetime(r.created_at),
            expires_at: opt_datetime(r.expires_at),
            last_used_at: opt_datetime(r.last_used_at),
            revoked_at: opt_datetime(r.revoked_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateApiKeyRequest {
    #[schema(example = "CRM sync", max_length = 100)]
    pub name: String,
    /// Default `operator`; at most the creator's role.
    pub role: Option<Role>,
    /// Optional expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub key: ApiKeyView,
    /// The secret, shown only now. Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyFilter {
    /// Include revoked keys (default false).
    pub include_revoked: Option<bool>,
}

/// List API keys (admins).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    params(ApiKeyFilter, PageParams),
    responses(
        (status = 200, description = "A page of keys", body = Page<ApiKeyView>),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<ApiKeyFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<ApiKeyView>>> {
    let page = api_keys::list(&state, &auth, filter.include_revoked.unwrap_or(false), page.into_inner()).await?;
    Ok(web::Json(Page { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// Create an API key (admins). The secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys",
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "Key created", body = CreatedApiKey),
        (status = 403, description = "Not an admin, or a role above the creator's", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<CreateApiKeyRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = NewKeyInput {
        name: b.name,
        role: b.role.unwrap_or(Role::Operator),
        expires_at: b.expires_at.map(|t| t.timestamp_millis()),
    };
    let (row, secret) = api_keys::create(&state, &auth, input).await?;
    Ok(HttpResponse::Created().json(CreatedApiKey { key: row.into(), secret }))
}

/// Revoke an API key (admins); it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = i64, Path, description = "API key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn revoke(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    api_keys::revoke(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
