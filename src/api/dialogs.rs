//! `/api/v1/dialogs`: the dialog list with its filters, one dialog, its actions (assign, close,
//! reopen, read, tags) and its messages.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::optional_json::OptionalJson;
use crate::auth::{Auth, Principal};
use crate::domain::channel::Channel;
use crate::domain::dialogs::{self, ListQuery};
use crate::domain::messages::{self, MessageListQuery, Opener, OperatorMessageInput, OperatorMessageKind, Sent};
use crate::domain::tags;
use crate::error::{ApiError, ApiResult};
use crate::model::dialog::{DialogSummary, DialogView};
use crate::model::message::MessageView;
use crate::model::tag::TagView;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::store::dialogs::{AssigneeFilter, DialogFilter, DialogRow, Sort, StatusFilter, TextQuery};

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusParam {
    All,
    /// Not closed.
    Active,
    /// Not closed and unassigned.
    Open,
    Assigned,
    Closed,
    /// No operator has replied.
    NoOperatorResponse,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortParam {
    /// Most recent activity first (default).
    LastActivity,
    /// Newest first; pages never shift as dialogs get new messages.
    Created,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DialogListParams {
    /// Default `all`.
    pub status: Option<StatusParam>,
    /// `me`, `unassigned`, or an operator id.
    #[param(example = "me", max_length = 20)]
    pub assignee: Option<String>,
    /// Comma-separated tag ids: dialogs with any of them.
    #[param(example = "3,7", max_length = 200)]
    pub tag_ids: Option<String>,
    pub channel: Option<Channel>,
    pub chat_id: Option<i64>,
    pub visitor_id: Option<i64>,
    /// Created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before this time.
    pub created_to: Option<DateTime<Utc>>,
    /// Words to find in the messages (word prefixes, all required).
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub sort: Option<SortParam>,
}

impl DialogListParams {
    pub fn into_filter(self, principal: &Principal) -> ApiResult<DialogFilter> {
        crate::validate::query_max_chars("assignee", self.assignee.as_deref(), 20)?;
        crate::validate::query_max_chars("tag_ids", self.tag_ids.as_deref(), 200)?;
        crate::validate::query_max_chars("q", self.q.as_deref(), 200)?;
        let assignee = match self.assignee.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("me") => Some(AssigneeFilter::Operator(principal.operator_id)),
            Some("unassigned") => Some(AssigneeFilter::Unassigned),
            Some(id) => Some(AssigneeFilter::Operator(id.parse().map_err(|_| {
                ApiError::bad_request("invalid_query", "assignee must be `me`, `unassigned` or an operator id")
            })?)),
        };
        let tag_ids = match self.tag_ids.as_deref().filter(|s| !s.trim().is_empty()) {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .take(50)
                .map(|t| t.trim().parse::<i64>())
                .collect::<Result<_, _>>()
                .map_err(|_| ApiError::bad_request("invalid_query", "tag_ids must be comma-separated ids"))?,
        };
        if let Some(q) = &self.q
            && q.chars().count() > 200
        {
            return Err(ApiError::bad_request("invalid_query", "q must be at most 200 characters"));
        }
        Ok(DialogFilter {
            status: match self.status.unwrap_or(StatusParam::All) {
                StatusParam::All => StatusFilter::All,
                StatusParam::Active => StatusFilter::Active,
                StatusParam::Open => StatusFilter::Open,
                StatusParam::Assigned => StatusFilter::Assigned,
                StatusParam::Closed => StatusFilter::Closed,
                StatusParam::NoOperatorResponse => StatusFilter::NoOperatorResponse,
            },
            assignee,
            tag_ids,
            channel: self.channel.map(|c| c.as_str().to_string()),
            chat_id: self.chat_id,
            visitor_id: self.visitor_id,
            created_from: self.created_from.map(|t| t.timestamp_millis()),
            created_to: self.created_to.map(|t| t.timestamp_millis()),
            text: self.q.as_deref().and_then(TextQuery::parse),
            sort: match self.sort.unwrap_or(SortParam::LastActivity) {
                SortParam::LastActivity => Sort::LastActivity,
                SortParam::Created => Sort::Created,
            },
        })
    }
}

/// Full views of dialog rows.
pub async fn present_dialogs(
    state: &AppState,
    principal: &Principal,
    rows: Vec<DialogRow>,
) -> ApiResult<Vec<DialogView>> {
    let ws = principal.workspace_id;
    let role = principal.role;
    let config = state.config.clone();
    state.db.run(move |conn| dialogs::present(conn, &config, ws, role, &rows)).await
}

/// The answer to sending a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendMessageResponse {
    pub message: MessageView,
    pub dialog: DialogSummary,
}

impl SendMessageResponse {
    /// 201 for a new message, 200 when a retry returned the original.
    pub fn respond(sent: Sent) -> HttpResponse {
        let mut res = if sent.created { HttpResponse::Created() } else { HttpResponse::Ok() };
        res.json(SendMessageResponse { message: sent.message, dialog: sent.dialog })
    }
}

/// The dialog list: filters, sorted by last activity (or creation), cursor-paginated.
#[utoipa::path(get, path = "/api/v1/dialogs", tag = "dialogs",
    params(DialogListParams, PageParams),
    responses((status = 200, description = "A page of dialogs", body = Page<DialogView>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<DialogListParams>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<DialogView>>> {
    let filter = params.into_inner().into_filter(&auth)?;
    Ok(web::Json(dialogs::list(&state, &auth, ListQuery { filter, page: page.into_inner() }).await?))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenerParam {
    /// An inbound conversation from another channel.
    Visitor,
    /// Proactive outreach by the calling operator, who becomes the assignee.
    Operator,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateDialogRequest {
    pub visitor_id: i64,
    /// Default `api`.
    pub channel: Option<Channel>,
    /// Who writes the first message; default `visitor`.
    pub from: Option<OpenerParam>,
    /// The first message.
    #[schema(max_length = 10000)]
    pub body: String,
    #[schema(max_length = 100)]
    pub client_id: Option<String>,
}

/// Start a dialog with its first message (integrations, proactive outreach).
#[utoipa::path(post, path = "/api/v1/dialogs", tag = "dialogs",
    request_body = CreateDialogRequest,
    responses(
        (status = 201, description = "Dialog started", body = SendMessageResponse),
        (status = 200, description = "Retry of an earlier request (same client_id)", body = SendMessageResponse),
        (status = 409, description = "The visitor has an open dialog in this chat (`dialog_exists`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<CreateDialogRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let opener = match b.from.unwrap_or(OpenerParam::Visitor) {
        OpenerParam::Visitor => Opener::Visitor,
        OpenerParam::Operator => Opener::Operator,
    };
    let sent = messages::start_dialog(
        &state,
        &auth,
        b.visitor_id,
        opener,
        b.channel.unwrap_or(Channel::Api),
        b.body,
        b.client_id,
    )
    .await?;
    Ok(SendMessageResponse::respond(sent))
}

/// One dialog.
#[utoipa::path(get, path = "/api/v1/dialogs/{id}", tag = "dialogs",
    params(("id" = i64, Path, description = "Dialog id")),
    responses((status = 200, description = "The dialog", body = DialogView)),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<DialogView>> {
    Ok(web::Json(dialogs::get(&state, &auth, id.into_inner()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRequest {
    /// The operator to assign; `null` unassigns.
    pub assignee_id: Option<i64>,
}

/// Assign, reassign or unassign a dialog.
#[utoipa::path(post, path = "/api/v1/dialogs/{id}/assign", tag = "dialogs",
    params(("id" = i64, Path, description = "Dialog id")),
    request_body = AssignRequest,
    responses(
        (status = 200, description = "The dialog", body = DialogView),
        (status = 409, description = "The dialog is closed (`dialog_closed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn assign(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<AssignRequest>,
) -> ApiResult<web::Json<DialogView>> {
    let (view, _events) = dialogs::assign(&state, &auth, id.into_inner(), body.assignee_id).await?;
    Ok(web::Json(view))
}

/// Close a dialog. Closing a closed dialog changes nothing.
#[utoipa::path(post, path = "/api/v1/dialogs/{id}/close", tag = "dialogs",
    params(("id" = i64, Path, description = "Dialog id")),
    responses((status = 200, description = "The dialog", body = DialogView)),
    security(("bearer" = [])))]
pub async fn close(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<DialogView>> {
    let (view, _events) = dialogs::close_by_operator(&state, &auth, id.into_inner()).await?;
    Ok(web::Json(view))
}

/// Reopen a closed dialog (it keeps its assignee).
#[utoipa::path(post, path = "/api/v1/dialogs/{id}/reopen", tag = "dialogs",
    params(("id" = i64, Path, description = "Dialog id")),
    responses((status = 200, description = "The dialog", body = DialogView)),
    security(("bearer" = [])))]
pub async fn reopen(state: web::Data<AppState>, auth: Auth, id: web::Path<i64>) -> ApiResult<web::Json<DialogView>> {
    let (view, _events) = dialogs::reopen_by_operator(&state, &auth, id.into_inner()).await?;
    Ok(web::Json(view))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReadRequest {
    /// Read up to this message; default the newest.
    pub message_id: Option<i64>,
}

/// Move the operators' read marker forward.
#[utoipa::path(post, path = "/api/v1/dialogs/{id}/read", tag = "dialogs",
    params(("id" = i64, Path, description = "Dialog id")),
    request_body(content = Option<ReadRequest>, description = "Optional; without it everything is read"),
    responses((status = 200, description = "The dialog", body = DialogView)),
    security(("bearer" = [])))]
pub async fn read(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: OptionalJson<ReadRequest>,
) -> ApiResult<web::Json<DialogView>> {
    let message_id = body.into_inner().and_then(|b| b.message_id);
    let (view, _events) = dialogs::mark_read_by_operators(&state, &auth, id.into_inner(), message_id).await?;
    Ok(web::Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AttachTagRequest {
    pub tag_id: i64,
}

/// Attach a tag to a dialog; returns the dialog's tags.
#[utoipa::path(post, path = "/api/v1/dialogs/{id}/tags", tag = "dialogs",
    params(("id" = i64, Path, description = "Dialog id")),
    request_body = AttachTagRequest,
    responses((status = 200, description = "The dialog's tags", body = Vec<TagView>)),
    security(("bearer" = [])))]
pub async fn attach_tag(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<AttachTagRequest>,
) -> ApiResult<web::Json<Vec<TagView>>> {
    let (tags, _events) = tags::set_on_dialog(&state, &auth, id.into_inner(), body.tag_id, true).await?;
    Ok(web::Json(tags))
}

/// Detach a tag from a dialog; returns the dialog's tags.
#[utoipa::path(delete, path = "/api/v1/dialogs/{id}/tags/{tag_id}", tag = "dialogs",
    params(("id" = i64, Path, description = "Dialog id"), ("tag_id" = i64, Path, description = "Tag id")),
    responses((status = 200, description = "The dialog's tags", body = Vec<TagView>)),
    security(("bearer" = [])))]
pub async fn detach_tag(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, i64)>,
) -> ApiResult<web::Json<Vec<TagView>>> {
    let (id, tag_id) = path.into_inner();
    let (tags, _events) = tags::set_on_dialog(&state, &auth, id, tag_id, false).await?;
    Ok(web::Json(tags))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderParam {
    /// Oldest first (default).
    Asc,
    /// Newest first, for loading history backwards.
    Desc,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageListParams {
    pub order: Option<OrderParam>,
    /// Include internal notes (default true).
    pub include_notes: Option<bool>,
}

/// The dialog's messages and notes.
#[utoipa::path(get, path = "/api/v1/dialogs/{id}/messages", tag = "messages",
    params(("id" = i64, Path, description = "Dialog id"), MessageListParams, PageParams),
    responses((status = 200, description = "A page of messages", body = Page<MessageView>)),
    security(("bearer" = [])))]
pub async fn list_messages(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    params: web::Query<MessageListParams>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<MessageView>>> {
    let query = MessageListQuery {
        include_notes: params.include_notes.unwrap_or(true),
        descending: matches!(params.order, Some(OrderParam::Desc)),
    };
    Ok(web::Json(messages::list_for_operator(&state, &auth, id.into_inner(), query, page.into_inner()).await?))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKindParam {
    /// A reply the visitor sees (default).
    Message,
    /// An internal note, never shown to the visitor.
    Note,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SendMessageRequest {
    /// The text; may be empty (or left out) when the message carries attachments.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub body: String,
    pub kind: Option<MessageKindParam>,
    /// The sender's own id for the message: a retry with the same id returns the original
    /// instead of sending twice.
    #[schema(max_length = 100)]
    pub client_id: Option<String>,
    /// Where the reply goes; default the channel the visitor last wrote from.
    pub channel: Option<Channel>,
    /// Ids of the caller's own uploads (`POST /api/v1/files`) not sent yet. With attachments
    /// the body may be empty.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub attachment_ids: Vec<String>,
}

/// Reply to the visitor or add an internal note. The first operator to reply to an unassigned
/// dialog becomes its assignee; a reply to a closed dialog reopens it.
#[utoipa::path(post, path = "/api/v1/dialogs/{id}/messages", tag = "messages",
    params(("id" = i64, Path, description = "Dialog id")),
    request_body = SendMessageRequest,
    responses(
        (status = 201, description = "Message stored", body = SendMessageResponse),
        (status = 200, description = "Retry of an earlier message (same client_id): the original", body = SendMessageResponse),
        (status = 409, description = "The client_id was used for another dialog (`client_id_reused`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn send_message(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: web::Json<SendMessageRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = OperatorMessageInput {
        kind: match b.kind.unwrap_or(MessageKindParam::Message) {
            MessageKindParam::Message => OperatorMessageKind::Message,
            MessageKindParam::Note => OperatorMessageKind::Note,
        },
        body: b.body,
        client_id: b.client_id,
        channel: b.channel,
        attachment_ids: b.attachment_ids,
    };
    let sent = messages::send_as_operator(&state, &auth, id.into_inner(), input).await?;
    Ok(SendMessageResponse::respond(sent))
}

/// Delete a message: operators their own, admins any. A tombstone (who, when) stays.
#[utoipa::path(delete, path = "/api/v1/dialogs/{id}/messages/{message_id}", tag = "messages",
    params(("id" = i64, Path, description = "Dialog id"), ("message_id" = i64, Path, description = "Message id")),
    responses(
        (status = 200, description = "The tombstone", body = MessageView),
        (status = 403, description = "Not the author nor an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete_message(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, i64)>,
) -> ApiResult<web::Json<MessageView>> {
    let (id, message_id) = path.into_inner();
    let (view, _events) = messages::delete(&state, &auth, id, message_id).await?;
    Ok(web::Json(view))
}
