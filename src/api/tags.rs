//! `/api/v1/tags`: tags for dialogs.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::domain::tags;
use crate::error::ApiResult;
use crate::model::tag::TagView;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagFilter {
    /// Case-insensitive part of the name.
    #[param(max_length = 50)]
    pub search: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTagRequest {
    #[schema(example = "billing", max_length = 50)]
    pub name: String,
    /// HEX, RGB(A) or HSL(A); default `#6b7280`.
    #[schema(example = "#e8710a", max_length = 64)]
    pub color: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateTagRequest {
    #[schema(max_length = 50)]
    pub name: Option<String>,
    #[schema(max_length = 64)]
    pub color: Option<String>,
}

/// List tags.
#[utoipa::path(get, path = "/api/v1/tags", tag = "tags",
    params(TagFilter, PageParams),
    responses((status = 200, description = "A page of tags", body = Page<TagView>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<TagFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<TagView>>> {
    let search = filter.into_inner().search;
    crate::validate::query_max_chars("search", search.as_deref(), 50)?;
    let search = search.filter(|s| !s.trim().is_empty());
    let page = tags::list(&state, &auth, search, page.into_inner()).await?;
    Ok(web::Json(page.map(|t| TagView::from(&t))))
}

/// Create a tag (any operator).
#[utoipa::path(post, path = "/api/v1/tags", tag = "tags",
    request_body = CreateTagRequest,
    responses(
        (status = 201, description = "Tag created", body = TagView),
        (status = 409, description = "The name is taken (`tag_exists`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<CreateTagRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let tag = tags::create(&state, &auth, b.name, b.color).await?;
    Ok(HttpResponse::Created().json(TagView::from(&tag)))
}

/// One tag.
#[utoipa::path(get, path = "/api/v1/tags/{id}", tag = "tags",
    params(("id" = i64, Path, description = "Tag id")),
    responses((status = 200, description = "The tag", body = TagView)),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<TagView>> {
    Ok(web::Json(TagView::from(&tags::get(&state, &auth, id.into_inner()).await?)))
}

/// Rename or recolour a tag (admins).
#[utoipa::path(patch, path = "/api/v1/tags/{id}", tag = "tags",
    params(("id" = i64, Path, description = "Tag id")),
    request_body = UpdateTagRequest,
    responses(
        (status = 200, description = "Updated tag", body = TagView),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken (`tag_exists`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<UpdateTagRequest>,
) -> ApiResult<web::Json<TagView>> {
    let b = body.into_inner();
    Ok(web::Json(TagView::from(&tags::update(&state, &auth, id.into_inner(), b.name, b.color).await?)))
}

/// Delete a tag (admins); it is removed from every dialog.
#[utoipa::path(delete, path = "/api/v1/tags/{id}", tag = "tags",
    params(("id" = i64, Path, description = "Tag id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    tags::delete(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
