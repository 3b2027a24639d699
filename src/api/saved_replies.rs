//! `/api/v1/saved-replies`: canned answers, shared or personal.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::domain::saved_replies::{self, NewReply, ReplyChanges};
use crate::error::ApiResult;
use crate::model::saved_reply::{ReplyScope, SavedReplyView};
use crate::pagination::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplyFilter {
    /// Only shared or only personal replies (default both).
    pub scope: Option<ReplyScope>,
    /// Case-insensitive part of the shortcut, title or text.
    #[param(max_length = 100)]
    pub search: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateReplyRequest {
    #[schema(example = "refund", max_length = 32)]
    pub shortcut: String,
    #[schema(example = "Refund policy", max_length = 100)]
    pub title: String,
    #[schema(max_length = 10000)]
    pub body: String,
    /// Default `personal`; `shared` needs an admin.
    pub scope: Option<ReplyScope>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateReplyRequest {
    #[schema(max_length = 32)]
    pub shortcut: Option<String>,
    #[schema(max_length = 100)]
    pub title: Option<String>,
    #[schema(max_length = 10000)]
    pub body: Option<String>,
    pub scope: Option<ReplyScope>,
}

/// Saved replies the caller can use: shared ones and their own.
#[utoipa::path(get, path = "/api/v1/saved-replies", tag = "saved-replies",
    params(ReplyFilter, PageParams),
    responses((status = 200, description = "A page of saved replies", body = Page<SavedReplyView>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<ReplyFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<SavedReplyView>>> {
    let f = filter.into_inner();
    crate::validate::query_max_chars("search", f.search.as_deref(), 100)?;
    let search = f.search.filter(|s| !s.trim().is_empty());
    let page = saved_replies::list(&state, &auth, f.scope, search, page.into_inner()).await?;
    Ok(web::Json(page.map(SavedReplyView::from)))
}

/// Create a saved reply: personal for anyone, shared for admins.
#[utoipa::path(post, path = "/api/v1/saved-replies", tag = "saved-replies",
    request_body = CreateReplyRequest,
    responses(
        (status = 201, description = "Created", body = SavedReplyView),
        (status = 403, description = "Shared replies need an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<CreateReplyRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input =
        NewReply { shortcut: b.shortcut, title: b.title, body: b.body, scope: b.scope.unwrap_or(ReplyScope::Personal) };
    let row = saved_replies::create(&state, &auth, input).await?;
    Ok(HttpResponse::Created().json(SavedReplyView::from(row)))
}

/// One saved reply.
#[utoipa::path(get, path = "/api/v1/saved-replies/{id}", tag = "saved-replies",
    params(("id" = i64, Path, description = "Saved reply id")),
    responses((status = 200, description = "The saved reply", body = SavedReplyView)),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<SavedReplyView>> {
    Ok(web::Json(saved_replies::get(&state, &auth, id.into_inner()).await?.into()))
}

/// Change a saved reply: the owner for personal ones, admins for shared ones.
#[utoipa::path(patch, path = "/api/v1/saved-replies/{id}", tag = "saved-replies",
    params(("id" = i64, Path, description = "Saved reply id")),
    request_body = UpdateReplyRequest,
    responses(
        (status = 200, description = "Updated", body = SavedReplyView),
        (status = 403, description = "Shared replies need an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<UpdateReplyRequest>,
) -> ApiResult<web::Json<SavedReplyView>> {
    let b = body.into_inner();
    let changes = ReplyChanges { shortcut: b.shortcut, title: b.title, body: b.body, scope: b.scope };
    Ok(web::Json(saved_replies::update(&state, &auth, id.into_inner(), changes).await?.into()))
}

/// Delete a saved reply: the owner for personal ones, admins for shared ones.
#[utoipa::path(delete, path = "/api/v1/saved-replies/{id}", tag = "saved-replies",
    params(("id" = i64, Path, description = "Saved reply id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Shared replies need an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    saved_replies::delete(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
