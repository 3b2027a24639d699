//! `/api/v1/chats`: chat widgets and their settings. Everyone reads; admins change.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::domain::chat_settings::ChatSettings;
use crate::domain::chats::{self, ChatUpdate};
use crate::error::ApiResult;
use crate::model::chat::ChatView;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatFilter {
    /// Case-insensitive part of the name.
    #[param(max_length = 100)]
    pub search: Option<String>,
    /// Include archived chats (default false).
    pub include_archived: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateChatRequest {
    #[schema(example = "Main website", max_length = 100)]
    pub name: String,
    /// Settings to change from their defaults (any subset).
    #[schema(value_type = Option<ChatSettings>)]
    pub settings: Option<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateChatRequest {
    #[schema(max_length = 100)]
    pub name: Option<String>,
    /// A JSON merge patch: named settings change, `null` resets one to its default.
    #[schema(value_type = Option<ChatSettings>)]
    pub settings: Option<Value>,
    /// `true` archives the chat, `false` restores it.
    pub archived: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmbedCode {
    pub public_key: String,
    /// The HTML snippet to paste before `</body>` on the site's pages.
    pub html: String,
    pub script_url: String,
}

/// List chats.
#[utoipa::path(get, path = "/api/v1/chats", tag = "chats",
    params(ChatFilter, PageParams),
    responses((status = 200, description = "A page of chats", body = Page<ChatView>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<ChatFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<ChatView>>> {
    let f = filter.into_inner();
    crate::validate::query_max_chars("search", f.search.as_deref(), 100)?;
    let search = f.search.filter(|s| !s.trim().is_empty());
    let page = chats::list(&state, &auth, search, f.include_archived.unwrap_or(false), page.into_inner()).await?;
    Ok(web::Json(page.map(ChatView::from)))
}

/// Create a chat (admins).
#[utoipa::path(post, path = "/api/v1/chats", tag = "chats",
    request_body = CreateChatRequest,
    responses(
        (status = 201, description = "Chat created, every setting filled in", body = ChatView),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<CreateChatRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let chat = chats::create(&state, &auth, b.name, b.settings).await?;
    Ok(HttpResponse::Created().json(ChatView::from(chat)))
}

/// One chat with all its settings.
#[utoipa::path(get, path = "/api/v1/chats/{id}", tag = "chats",
    params(("id" = i64, Path, description = "Chat id")),
    responses((status = 200, description = "The chat", body = ChatView)),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<ChatView>> {
    Ok(web::Json(chats::get(&state, &auth, id.into_inner()).await?.into()))
}

/// Change a chat (admins): its name, any settings, or archive/restore it.
#[utoipa::path(patch, path = "/api/v1/chats/{id}", tag = "chats",
    params(("id" = i64, Path, description = "Chat id")),
    request_body = UpdateChatRequest,
    responses(
        (status = 200, description = "Updated chat", body = ChatView),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<UpdateChatRequest>,
) -> ApiResult<web::Json<ChatView>> {
    let b = body.into_inner();
    let update = ChatUpdate { name: b.name, settings: b.settings, archived: b.archived };
    Ok(web::Json(chats::update(&state, &auth, id.into_inner(), update).await?.into()))
}

/// Delete a chat (admins). The chat is archived: it takes no new visitors or messages, all its
/// dialogs stay, and `PATCH {"archived": false}` restores it.
#[utoipa::path(delete, path = "/api/v1/chats/{id}", tag = "chats",
    params(("id" = i64, Path, description = "Chat id")),
    responses(
        (status = 204, description = "Archived"),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    chats::archive(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The frame code: the snippet a site owner pastes into their pages.
#[utoipa::path(get, path = "/api/v1/chats/{id}/embed", tag = "chats",
    params(("id" = i64, Path, description = "Chat id")),
    responses((status = 200, description = "Embed code", body = EmbedCode)),
    security(("bearer" = [])))]
pub async fn embed(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<EmbedCode>> {
    let chat = chats::get(&state, &auth, id.into_inner()).await?;
    let script_url = state.config.widget_script_url();
    let html = chats::embed_snippet(&state.config.public_url(), &script_url, &chat.public_key);
    Ok(web::Json(EmbedCode { public_key: chat.public_key, html, script_url }))
}
