//! `/api/v1/visitors`: visitor cards for operators, and contacts and messages for integrations.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::dialogs::{SendMessageResponse, present_dialogs};
use super::patch::double_option;
use crate::auth::Auth;
use crate::domain::channel::Channel;
use crate::domain::messages::{self, VisitorMessageInput};
use crate::domain::visitors::{self, NewContact, ProfileUpdate};
use crate::error::ApiResult;
use crate::model::dialog::DialogView;
use crate::model::visitor::{PageViewView, VisitorNoteView, VisitorView};
use crate::pagination::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitorFilter {
    /// Case-insensitive part of the name, email, phone or external id.
    #[param(max_length = 100)]
    pub search: Option<String>,
}

/// Profile changes: absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateVisitorRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 254)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub phone: Option<Option<String>>,
    /// Merged into the stored attributes; a `null` value removes that key. At most 50 keys of
    /// up to 64 characters; values are strings (up to 1000 characters), numbers or booleans.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
}

impl UpdateVisitorRequest {
    pub fn into_update(self) -> ProfileUpdate {
        ProfileUpdate { name: self.name, email: self.email, phone: self.phone, attributes: self.attributes }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateVisitorRequest {
    /// The chat the contact belongs to.
    pub chat_id: i64,
    /// The integration's own id; creating again with the same one returns the existing visitor.
    #[schema(max_length = 200)]
    pub external_id: Option<String>,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
}

/// Everything operators know about a visitor.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorCard {
    pub visitor: VisitorView,
    /// Notes by operators, newest first (up to 50).
    pub notes: Vec<VisitorNoteView>,
    /// The visitor's latest dialogs, newest first (up to 20; see `/visitors/{id}/dialogs`).
    pub dialogs: Vec<DialogView>,
    /// Latest pages viewed, newest first (up to 20; see `/visitors/{id}/page-views`).
    pub page_views: Vec<PageViewView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteRequest {
    #[schema(max_length = 5000)]
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VisitorMessageRequest {
    #[schema(max_length = 10000)]
    pub body: String,
    /// The sender's own id for the message: a retry with the same id returns the original.
    #[schema(max_length = 100)]
    pub client_id: Option<String>,
    /// Default `api`.
    pub channel: Option<Channel>,
}

/// List visitors, newest first.
#[utoipa::path(get, path = "/api/v1/visitors", tag = "visitors",
    params(VisitorFilter, PageParams),
    responses((status = 200, description = "A page of visitors", body = Page<VisitorView>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<VisitorFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<VisitorView>>> {
    let search = filter.into_inner().search;
    crate::validate::query_max_chars("search", search.as_deref(), 100)?;
    let search = search.filter(|s| !s.trim().is_empty());
    let page = visitors::list(&state, &auth, search, page.into_inner()).await?;
    Ok(web::Json(page.map(|v| VisitorView::from(&v))))
}

/// Create a contact for another channel (integrations). Idempotent with `external_id`.
#[utoipa::path(post, path = "/api/v1/visitors", tag = "visitors",
    request_body = CreateVisitorRequest,
    responses(
        (status = 201, description = "Visitor created", body = VisitorView),
        (status = 200, description = "A visitor with this external_id exists already", body = VisitorView),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<CreateVisitorRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let profile = ProfileUpdate {
        name: b.name.map(Some),
        email: b.email.map(Some),
        phone: b.phone.map(Some),
        attributes: b.attributes,
    };
    let (row, created) =
        visitors::create_contact(&state, &auth, NewContact { chat_id: b.chat_id, external_id: b.external_id, profile })
            .await?;
    let mut res = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(res.json(VisitorView::from(&row)))
}

/// The visitor card: profile, attributes, notes, dialogs and pages viewed.
#[utoipa::path(get, path = "/api/v1/visitors/{id}", tag = "visitors",
    params(("id" = i64, Path, description = "Visitor id")),
    responses((status = 200, description = "The visitor card", body = VisitorCard)),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<VisitorCard>> {
    let card = visitors::card(&state, &auth, id.into_inner()).await?;
    let dialogs = present_dialogs(&state, &auth, card.dialogs).await?;
    Ok(web::Json(VisitorCard {
        visitor: VisitorView::from(&card.visitor),
        notes: card.notes.into_iter().map(Into::into).collect(),
        dialogs,
        page_views: card.page_views.into_iter().map(Into::into).collect(),
    }))
}

/// Edit a visitor's profile and attributes.
#[utoipa::path(patch, path = "/api/v1/visitors/{id}", tag = "visitors",
    params(("id" = i64, Path, description = "Visitor id")),
    request_body = UpdateVisitorRequest,
    responses((status = 200, description = "Updated visitor", body = VisitorView)),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<UpdateVisitorRequest>,
) -> ApiResult<web::Json<VisitorView>> {
    let (row, _events) = visitors::update(&state, &auth, id.into_inner(), body.into_inner().into_update()).await?;
    Ok(web::Json(VisitorView::from(&row)))
}

/// Add a note to a visitor's card (never shown to the visitor).
#[utoipa::path(post, path = "/api/v1/visitors/{id}/notes", tag = "visitors",
    params(("id" = i64, Path, description = "Visitor id")),
    request_body = NoteRequest,
    responses((status = 201, description = "Note added", body = VisitorNoteView)),
    security(("bearer" = [])))]
pub async fn add_note(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<NoteRequest>,
) -> ApiResult<HttpResponse> {
    let note = visitors::add_note(&state, &auth, id.into_inner(), body.into_inner().body).await?;
    Ok(HttpResponse::Created().json(VisitorNoteView::from(note)))
}

/// Delete a note: its author or an admin.
#[utoipa::path(delete, path = "/api/v1/visitors/{id}/notes/{note_id}", tag = "visitors",
    params(("id" = i64, Path, description = "Visitor id"), ("note_id" = i64, Path, description = "Note id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Neither the author nor an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete_note(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (id, note_id) = path.into_inner();
    visitors::delete_note(&state, &auth, id, note_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pages the visitor viewed, newest first.
#[utoipa::path(get, path = "/api/v1/visitors/{id}/page-views", tag = "visitors",
    params(("id" = i64, Path, description = "Visitor id"), PageParams),
    responses((status = 200, description = "A page of page views", body = Page<PageViewView>)),
    security(("bearer" = [])))]
pub async fn page_views(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<PageViewView>>> {
    let page = visitors::page_views(&state, &auth, id.into_inner(), page.into_inner()).await?;
    Ok(web::Json(page.map(Into::into)))
}

/// All dialogs of the visitor, newest first.
#[utoipa::path(get, path = "/api/v1/visitors/{id}/dialogs", tag = "visitors",
    params(("id" = i64, Path, description = "Visitor id"), PageParams),
    responses((status = 200, description = "A page of dialogs", body = Page<DialogView>)),
    security(("bearer" = [])))]
pub async fn dialogs(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<DialogView>>> {
    let visitor = visitors::as_principal(&state, &auth, id.into_inner()).await?;
    let page = visitors::dialogs_of(&state, auth.workspace_id, visitor.visitor_id, page.into_inner()).await?;
    let items = present_dialogs(&state, &auth, page.items).await?;
    Ok(web::Json(Page { items, next_cursor: page.next_cursor }))
}

/// Post a message on the visitor's behalf (integrations bridging other channels). The same
/// rules as the widget apply: it joins the open dialog, reopens a recently closed one, or
/// starts a new one.
#[utoipa::path(post, path = "/api/v1/visitors/{id}/messages", tag = "visitors",
    params(("id" = i64, Path, description = "Visitor id")),
    request_body = VisitorMessageRequest,
    responses(
        (status = 201, description = "Message stored", body = SendMessageResponse),
        (status = 200, description = "Retry of an earlier message (same client_id): the original", body = SendMessageResponse),
    ),
    security(("bearer" = [])))]
pub async fn post_message(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<VisitorMessageRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let visitor = visitors::as_principal(&state, &auth, id.into_inner()).await?;
    let input = VisitorMessageInput {
        body: b.body,
        client_id: b.client_id,
        channel: b.channel.unwrap_or(Channel::Api),
        attachment_ids: Vec::new(),
    };
    let sent = messages::send_as_visitor(&state, &visitor, input).await?;
    Ok(SendMessageResponse::respond(sent))
}
