//! `/api/v1/auto-replies`: the bot's scheduled answers to new dialogs (admins only).

use actix_web::{HttpResponse, web};

use crate::auth::Auth;
use crate::domain::auto_replies::{self, AutoReplyInput, AutoReplyView};
use crate::error::ApiResult;
use crate::state::AppState;

/// The workspace's auto-replies, oldest first (at most 100).
#[utoipa::path(get, path = "/api/v1/auto-replies", tag = "auto-replies",
    responses(
        (status = 200, description = "Every auto-reply", body = Vec<AutoReplyView>),
        (status = 403, description = "Admins only", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<AutoReplyView>>> {
    Ok(web::Json(auto_replies::list(&state, &auth).await?))
}

/// Create an auto-reply.
#[utoipa::path(post, path = "/api/v1/auto-replies", tag = "auto-replies",
    request_body = AutoReplyInput,
    responses(
        (status = 201, description = "Created", body = AutoReplyView),
        (status = 403, description = "Admins only", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The workspace has 100 auto-replies already (`too_many_auto_replies`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<AutoReplyInput>,
) -> ApiResult<HttpResponse> {
    let view = auto_replies::create(&state, &auth, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// One auto-reply.
#[utoipa::path(get, path = "/api/v1/auto-replies/{id}", tag = "auto-replies",
    params(("id" = i64, Path, description = "Auto-reply id")),
    responses(
        (status = 200, description = "The auto-reply", body = AutoReplyView),
        (status = 403, description = "Admins only", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<AutoReplyView>> {
    Ok(web::Json(auto_replies::get(&state, &auth, id.into_inner()).await?))
}

/// Replace an auto-reply (the whole definition).
#[utoipa::path(put, path = "/api/v1/auto-replies/{id}", tag = "auto-replies",
    params(("id" = i64, Path, description = "Auto-reply id")),
    request_body = AutoReplyInput,
    responses(
        (status = 200, description = "Replaced", body = AutoReplyView),
        (status = 403, description = "Admins only", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn replace(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<AutoReplyInput>,
) -> ApiResult<web::Json<AutoReplyView>> {
    Ok(web::Json(auto_replies::replace(&state, &auth, id.into_inner(), body.into_inner()).await?))
}

/// Delete an auto-reply; dialogs waiting for it get nothing.
#[utoipa::path(delete, path = "/api/v1/auto-replies/{id}", tag = "auto-replies",
    params(("id" = i64, Path, description = "Auto-reply id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Admins only", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    auto_replies::delete(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
