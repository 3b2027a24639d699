//! `Auth`: the extractor every operator endpoint takes. It accepts a Bearer access token (JWT)
//! or an API key, and checks on each request that the session is live and the operator active,
//! so revocation and deactivation take effect at once.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::Role;
use super::secret;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store;
use crate::time::now_ms;

pub const API_KEY_PREFIX: &str = "ldk";

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Session(i64),
    ApiKey(i64),
}

/// An authenticated operator (or an API key acting as one).
#[derive(Debug, Clone)]
pub struct Principal {
    pub workspace_id: i64,
    pub operator_id: i64,
    /// The effective role: the operator's current role, capped by the API key's role.
    pub role: Role,
    pub credential: Credential,
}

impl Principal {
    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("this action needs the {} role", role.as_str())))
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        self.require(Role::Admin)
    }

    pub fn session_id(&self) -> Option<i64> {
        match self.credential {
            Credential::Session(id) => Some(id),
            Credential::ApiKey(_) => None,
        }
    }
}

/// Extractor wrapper around [`Principal`].
pub struct Auth(pub Principal);

impl std::ops::Deref for Auth {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &HttpRequest) -> ApiResult<String> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing_token", "send Authorization: Bearer <token>"))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("invalid_token", "the Authorization header is not readable"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("invalid_token", "expected Authorization: Bearer <token>"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized("invalid_token", "expected Authorization: Bearer <token>"));
    }
    Ok(token.trim().to_string())
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let principal = authenticate(&state, &token?).await?;
            // Counted per credential after authenticating, so junk tokens cannot use up
            // anyone's quota.
            let key = match principal.credential {
                Credential::Session(id) => format!("s{id}"),
                Credential::ApiKey(id) => format!("k{id}"),
            };
            let quota = &state.config.limits.operator_requests;
            crate::http::rate_limit::enforce(&state, crate::rate_limit::Bucket::OperatorRequests, &key, quota).await?;
            Ok(Auth(principal))
        })
    }
}

/// Resolves a bearer token (access JWT or API key) to a principal.
pub async fn authenticate(state: &AppState, token: &str) -> ApiResult<Principal> {
    if token.starts_with(&format!("{API_KEY_PREFIX}_")) {
        authenticate_api_key(state, token).await
    } else {
        authenticate_jwt(state, token).await
    }
}

async fn authenticate_jwt(state: &AppState, token: &str) -> ApiResult<Principal> {
    let claims = state.jwt.verify(token)?;
    let operator_id = claims.operator_id().unwrap_or_default();
    let found = state
        .db
        .run(move |conn| Ok(store::sessions::find_session_operator(conn, claims.sid, operator_id, claims.wid)?))
        .await?;
    let Some((revoked_at, operator)) = found else {
        return Err(ApiError::unauthorized("invalid_token", "the access token is not valid"));
    };
    if revoked_at.is_some() || !operator.active || operator.deleted_at.is_some() {
        return Err(ApiError::unauthorized("token_revoked", "this session has ended; sign in again"));
    }
    Ok(Principal {
        workspace_id: operator.workspace_id,
        operator_id: operator.id,
        role: Role::from_db(&operator.role),
        credential: Credential::Session(claims.sid),
    })
}

/// `last_used_at` is written at most this often per key, not on every request.
const API_KEY_TOUCH_INTERVAL_MS: i64 = 60_000;

async fn authenticate_api_key(state: &AppState, token: &str) -> ApiResult<Principal> {
    let hash = secret::hash(token);
    let now = now_ms();
    state
        .db
        .run(move |conn| {
            let Some((key, operator)) = store::api_keys::find_by_hash(conn, &hash)? else {
                return Err(ApiError::unauthorized("invalid_token", "the API key is not valid"));
            };
            if key.revoked_at.is_some() {
                return Err(ApiError::unauthorized("token_revoked", "the API key has been revoked"));
            }
            if key.expires_at.is_some_and(|at| at <= now) {
                return Err(ApiError::unauthorized("token_expired", "the API key has expired"));
            }
            if !operator.active || operator.deleted_at.is_some() {
                return Err(ApiError::unauthorized(
                    "token_revoked",
                    "the operator this API key acts as is deactivated",
                ));
            }
            if key.last_used_at.is_none_or(|at| now - at >= API_KEY_TOUCH_INTERVAL_MS) {
                store::api_keys::touch(conn, key.id, now)?;
            }
            Ok(Principal {
                workspace_id: key.workspace_id,
                operator_id: operator.id,
                role: Role::from_db(&key.role).min(Role::from_db(&operator.role)),
                credential: Credential::ApiKey(key.id),
            })
        })
        .await
}
