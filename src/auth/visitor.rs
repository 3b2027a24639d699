//! `VisitorAuth`: the extractor of the widget API. A visitor token is an opaque secret handed
//! out when the widget starts a session; only its hash is stored.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};

use super::extract::bearer_token;
use super::secret;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::visitors;
use crate::time::now_ms;

pub const VISITOR_TOKEN_PREFIX: &str = "ldv";

/// An authenticated visitor.
#[derive(Debug, Clone)]
pub struct VisitorPrincipal {
    pub workspace_id: i64,
    pub visitor_id: i64,
    /// The chat whose widget the visitor uses.
    pub chat_id: i64,
}

pub struct VisitorAuth(pub VisitorPrincipal);

impl std::ops::Deref for VisitorAuth {
    type Target = VisitorPrincipal;
    fn deref(&self) -> &VisitorPrincipal {
        &self.0
    }
}

/// `last_seen_at` is written at most this often per visitor.
const TOUCH_INTERVAL_MS: i64 = 60_000;

impl FromRequest for VisitorAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            authenticate_visitor(&state, &token?).await.map(VisitorAuth)
        })
    }
}

pub async fn authenticate_visitor(state: &AppState, token: &str) -> ApiResult<VisitorPrincipal> {
    if !token.starts_with(&format!("{VISITOR_TOKEN_PREFIX}_")) {
        return Err(ApiError::unauthorized("invalid_token", "the visitor token is not valid"));
    }
    let hash = secret::hash(token);
    if let Some(principal) = state.visitor_tokens.fresh(&hash, now_ms(), TOUCH_INTERVAL_MS) {
        return Ok(principal);
    }
    let lookup = hash.clone();
    let (principal, last_seen_at) = state
        .db
        .run(move |conn| {
            let visitor = visitors::find_by_token_hash(conn, &lookup)?
                .ok_or_else(|| ApiError::unauthorized("invalid_token", "the visitor token is not valid"))?;
            let now = now_ms();
            let mut last_seen_at = visitor.last_seen_at;
            if now - last_seen_at >= TOUCH_INTERVAL_MS {
                visitors::touch(conn, visitor.id, now)?;
                last_seen_at = now;
            }
            let principal = VisitorPrincipal {
                workspace_id: visitor.workspace_id,
                visitor_id: visitor.id,
                chat_id: visitor.chat_id,
            };
            Ok((principal, last_seen_at))
        })
        .await?;
    state.visitor_tokens.remember(hash, principal.clone(), last_seen_at);
    Ok(principal)
}
