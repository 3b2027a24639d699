//! API keys for integrations: act as the operator who created them, with a role no higher than
//! that operator's; the secret is shown once and stored hashed.

use crate::auth::extract::API_KEY_PREFIX;
use crate::auth::{Principal, Role, secret};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::api_keys::{self, ApiKeyRow, NewApiKey};
use crate::time::now_ms;
use crate::validate::Validator;

pub struct NewKeyInput {
    pub name: String,
    pub role: Role,
    pub expires_at: Option<i64>,
}

pub async fn create(state: &AppState, principal: &Principal, input: NewKeyInput) -> ApiResult<(ApiKeyRow, String)> {
    principal.require_admin()?;
    if input.role > principal.role {
        return Err(ApiError::forbidden("an API key cannot have a higher role than its creator"));
    }
    let now = now_ms();
    let mut v = Validator::new();
    v.text("name", &input.name, 100);
    v.check(input.expires_at.is_none_or(|at| at > now), "expires_at", "in_past", "must be in the future");
    v.finish()?;
    let secret = secret::generate(API_KEY_PREFIX);
    let hash = secret::hash(&secret);
    let prefix: String = secret.chars().take(API_KEY_PREFIX.len() + 7).collect();
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    let row = state
        .db
        .write(move |conn| {
            Ok(api_keys::insert(
                conn,
                &NewApiKey {
                    workspace_id: ws,
                    operator_id: op,
                    name: input.name.trim(),
                    role: input.role.as_str(),
                    key_prefix: &prefix,
                    secret_hash: &hash,
                    created_at: now,
                    expires_at: input.expires_at,
                },
            )?)
        })
        .await?;
    Ok((row, secret))
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    include_revoked: bool,
    page: PageParams,
) -> ApiResult<Page<ApiKeyRow>> {
    principal.require_admin()?;
    let limit = page.limit()?;
    let after = page.cursor(1)?.map(|c| c[0]);
    let ws = principal.workspace_id;
    let rows = state.db.run(move |conn| Ok(api_keys::list(conn, ws, include_revoked, after, limit)?)).await?;
    Ok(Page::from_rows(rows, limit, |r| vec![r.id], |r| r))
}

pub async fn revoke(state: &AppState, principal: &Principal, id: i64) -> ApiResult<()> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    state
        .db
        .write(move |conn| {
            api_keys::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("API key"))?;
            api_keys::revoke(conn, ws, id, now_ms())?;
            Ok(())
        })
        .await
}
