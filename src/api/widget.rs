//! `/api/v1/widget/*`: the visitor side. A session for a chat's public key gives a visitor
//! token; with it the visitor edits their profile, records page views, writes, and reads their
//! own dialogs (never internal notes, never anyone else's dialogs).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dialogs::{OrderParam, ReadRequest, SendMessageResponse};
use super::optional_json::OptionalJson;
use super::visitors::UpdateVisitorRequest;
use crate::auth::visitor::{VisitorAuth, VisitorPrincipal};
use crate::domain::assignment;
use crate::domain::availability::Availability;
use crate::domain::channel::Channel;
use crate::domain::dialogs as dialog_rules;
use crate::domain::messages::{self, VisitorMessageInput};
use crate::domain::ratings::{self, RatingInput};
use crate::domain::visitors::{self, PageViewInput};
use crate::error::ApiResult;
use crate::http::client_addr::client_ip;
use crate::http::rate_limit::enforce;
use crate::model::chat::WidgetChatView;
use crate::model::dialog::DialogSummary;
use crate::model::message::MessageView;
use crate::model::rating::RatingRequestView;
use crate::model::visitor::{PageViewView, VisitorView};
use crate::pagination::{Page, PageParams};
use crate::rate_limit::Bucket;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct StartSessionRequest {
    /// The chat's public key, from its embed code.
    #[schema(example = "pk_9xQ2b3...", max_length = 100)]
    pub public_key: String,
    /// A token from an earlier session resumes that visitor.
    #[schema(max_length = 200)]
    pub visitor_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetSession {
    /// Send as `Authorization: Bearer <visitor_token>` on the widget API; keep it to resume.
    pub visitor_token: String,
    pub visitor: VisitorView,
    pub chat: WidgetChatView,
    /// The visitor's latest dialog in this chat, if any.
    pub dialog: Option<DialogSummary>,
    /// Whether an operator is online; the offline message when nobody is.
    pub availability: Availability,
}

/// Start (or resume) a visitor session for a chat.
#[utoipa::path(post, path = "/api/v1/widget/sessions", tag = "widget",
    request_body = StartSessionRequest,
    responses(
        (status = 201, description = "New visitor", body = WidgetSession),
        (status = 200, description = "Resumed visitor", body = WidgetSession),
        (status = 404, description = "No active chat has this public key (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sessions started from this address for this chat (`rate_limited`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(()))]
pub async fn start_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<StartSessionRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    // Keyed by chat too: a flood against one customer's widget leaves the others alone.
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let key = format!("{ip}:{}", b.public_key);
    enforce(&state, Bucket::VisitorSessions, &key, &state.config.limits.visitor_sessions).await?;
    let session = visitors::start_session(&state, b.public_key, b.visitor_token).await?;
    let mut res = if session.created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(res.json(WidgetSession {
        visitor_token: session.token,
        visitor: VisitorView::from(&session.visitor),
        chat: WidgetChatView::from(&session.chat),
        dialog: session.dialog,
        availability: session.availability,
    }))
}

/// Whether an operator can answer now; when nobody is online, the chat's offline message and
/// the contact to ask the visitor for (not asked when the visitor card has it).
#[utoipa::path(get, path = "/api/v1/widget/availability", tag = "widget",
    responses(
        (status = 200, description = "Availability of the visitor's chat", body = Availability),
        (status = 404, description = "The visitor's chat was archived (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("visitor" = [])))]
pub async fn get_availability(state: web::Data<AppState>, visitor: VisitorAuth) -> ApiResult<web::Json<Availability>> {
    Ok(web::Json(visitors::availability(&state, &visitor).await?))
}

/// The visitor's own profile.
#[utoipa::path(get, path = "/api/v1/widget/me", tag = "widget",
    responses((status = 200, description = "The visitor", body = VisitorView)),
    security(("visitor" = [])))]
pub async fn get_me(state: web::Data<AppState>, visitor: VisitorAuth) -> ApiResult<web::Json<VisitorView>> {
    Ok(web::Json(VisitorView::from(&visitors::get_own(&state, &visitor).await?)))
}

/// The visitor sets their name, email, phone or custom attributes.
#[utoipa::path(patch, path = "/api/v1/widget/me", tag = "widget",
    request_body = UpdateVisitorRequest,
    responses((status = 200, description = "The visitor", body = VisitorView)),
    security(("visitor" = [])))]
pub async fn update_me(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    body: web::Json<UpdateVisitorRequest>,
) -> ApiResult<web::Json<VisitorView>> {
    let (row, _events) = visitors::update_own(&state, &visitor, body.into_inner().into_update()).await?;
    Ok(web::Json(VisitorView::from(&row)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PageViewRequest {
    #[schema(example = "https://shop.example.com/pricing", max_length = 2048)]
    pub url: String,
    #[schema(max_length = 500)]
    pub title: Option<String>,
    #[schema(max_length = 2048)]
    pub referrer: Option<String>,
    /// When the page was viewed; default now. Within the last 30 days.
    pub viewed_at: Option<DateTime<Utc>>,
}

/// Record a page the visitor viewed.
#[utoipa::path(post, path = "/api/v1/widget/page-views", tag = "widget",
    request_body = PageViewRequest,
    responses((status = 201, description = "Recorded", body = PageViewView)),
    security(("visitor" = [])))]
pub async fn page_view(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    body: web::Json<PageViewRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = PageViewInput {
        url: b.url,
        title: b.title,
        referrer: b.referrer,
        viewed_at: b.viewed_at.map(|t| t.timestamp_millis()),
    };
    let row = visitors::record_page_view(&state, &visitor, input).await?;
    Ok(HttpResponse::Created().json(PageViewView::from(row)))
}

/// The visitor's own dialogs, newest first.
#[utoipa::path(get, path = "/api/v1/widget/dialogs", tag = "widget",
    params(PageParams),
    responses((status = 200, description = "A page of dialogs", body = Page<DialogSummary>)),
    security(("visitor" = [])))]
pub async fn list_dialogs(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<DialogSummary>>> {
    let page = visitors::dialogs_of(&state, visitor.workspace_id, visitor.visitor_id, page.into_inner()).await?;
    let (rows, ws) = (page.items, visitor.workspace_id);
    let items = state
        .db
        .run(move |conn| {
            let mut items = dialog_rules::summaries(conn, ws, &rows)?;
            // A visitor has one open dialog per chat, so few rows are ever queued.
            for (item, row) in items.iter_mut().zip(&rows) {
                item.queue_position = assignment::position(conn, row)?;
            }
            Ok(items)
        })
        .await?;
    Ok(web::Json(Page { items, next_cursor: page.next_cursor }))
}

/// One of the visitor's own dialogs.
#[utoipa::path(get, path = "/api/v1/widget/dialogs/{id}", tag = "widget",
    params(("id" = i64, Path, description = "Dialog id")),
    responses((status = 200, description = "The dialog", body = DialogSummary)),
    security(("visitor" = [])))]
pub async fn get_dialog(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    id: web::Path<i64>,
) -> ApiResult<web::Json<DialogSummary>> {
    let who = visitor.0.clone();
    let id = id.into_inner();
    let summary = state
        .db
        .run(move |conn| {
            let row = messages::own_dialog(conn, &who, id)?;
            dialog_rules::visitor_summary(conn, &row)
        })
        .await?;
    Ok(web::Json(summary))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WidgetMessageParams {
    pub order: Option<OrderParam>,
}

/// Messages of one of the visitor's dialogs (internal notes never appear).
#[utoipa::path(get, path = "/api/v1/widget/dialogs/{id}/messages", tag = "widget",
    params(("id" = i64, Path, description = "Dialog id"), WidgetMessageParams, PageParams),
    responses((status = 200, description = "A page of messages", body = Page<MessageView>)),
    security(("visitor" = [])))]
pub async fn list_messages(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    id: web::Path<i64>,
    params: web::Query<WidgetMessageParams>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<MessageView>>> {
    let descending = matches!(params.order, Some(OrderParam::Desc));
    Ok(web::Json(messages::list_for_visitor(&state, &visitor, id.into_inner(), descending, page.into_inner()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct WidgetMessageRequest {
    /// The text; may be empty (or left out) when the message carries attachments.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub body: String,
    /// The widget's own id for the message: a retry with the same id returns the original.
    #[schema(max_length = 100)]
    pub client_id: Option<String>,
    /// Ids of the visitor's own uploads (`POST /api/v1/widget/files`) not sent yet. With
    /// attachments the body may be empty.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub attachment_ids: Vec<String>,
}

/// The visitor writes. The message joins their open dialog, reopens one closed within the
/// chat's reopen timeout, or starts a new dialog.
#[utoipa::path(post, path = "/api/v1/widget/messages", tag = "widget",
    request_body = WidgetMessageRequest,
    responses(
        (status = 201, description = "Message stored", body = SendMessageResponse),
        (status = 200, description = "Retry of an earlier message (same client_id): the original", body = SendMessageResponse),
        (status = 404, description = "The visitor's chat was archived (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many messages from this visitor or address (`rate_limited`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("visitor" = [])))]
pub async fn send_message(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: VisitorAuth,
    body: web::Json<WidgetMessageRequest>,
) -> ApiResult<HttpResponse> {
    limit_visitor_writes(&state, &req, &visitor).await?;
    let b = body.into_inner();
    let input = VisitorMessageInput {
        body: b.body,
        client_id: b.client_id,
        channel: Channel::Web,
        attachment_ids: b.attachment_ids,
    };
    let sent = messages::send_as_visitor(&state, &visitor, input).await?;
    Ok(SendMessageResponse::respond(sent))
}

/// A visitor's messages and uploads share one budget, per visitor and per client address.
pub(super) async fn limit_visitor_writes(
    state: &AppState,
    req: &HttpRequest,
    visitor: &VisitorPrincipal,
) -> ApiResult<()> {
    let limits = &state.config.limits;
    enforce(state, Bucket::VisitorMessages, &visitor.visitor_id.to_string(), &limits.visitor_messages).await?;
    let ip = client_ip(req, &state.config.trusted_proxies);
    let key = format!("{ip}:{}", visitor.workspace_id);
    enforce(state, Bucket::VisitorMessagesAddress, &key, &limits.visitor_messages_address).await
}

/// Move the visitor's read marker forward.
#[utoipa::path(post, path = "/api/v1/widget/dialogs/{id}/read", tag = "widget",
    params(("id" = i64, Path, description = "Dialog id")),
    request_body(content = Option<ReadRequest>, description = "Optional; without it everything is read"),
    responses((status = 200, description = "The dialog", body = DialogSummary)),
    security(("visitor" = [])))]
pub async fn read(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    id: web::Path<i64>,
    body: OptionalJson<ReadRequest>,
) -> ApiResult<web::Json<DialogSummary>> {
    let message_id = body.into_inner().and_then(|b| b.message_id);
    let (summary, _events) = messages::mark_read_by_visitor(&state, &visitor, id.into_inner(), message_id).await?;
    Ok(web::Json(summary))
}

/// The visitor closes their dialog.
#[utoipa::path(post, path = "/api/v1/widget/dialogs/{id}/close", tag = "widget",
    params(("id" = i64, Path, description = "Dialog id")),
    responses((status = 200, description = "The dialog", body = DialogSummary)),
    security(("visitor" = [])))]
pub async fn close(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    id: web::Path<i64>,
) -> ApiResult<web::Json<DialogSummary>> {
    let (summary, _events) = messages::close_by_visitor(&state, &visitor, id.into_inner()).await?;
    Ok(web::Json(summary))
}

/// The rating request of the visitor's closed dialog, once the chat's delay has passed (404
/// before, or when the chat asks for no feedback). Shows the visitor's answer once given.
#[utoipa::path(get, path = "/api/v1/widget/dialogs/{id}/rating", tag = "widget",
    params(("id" = i64, Path, description = "Dialog id")),
    responses((status = 200, description = "The rating request", body = RatingRequestView)),
    security(("visitor" = [])))]
pub async fn get_rating(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    id: web::Path<i64>,
) -> ApiResult<web::Json<RatingRequestView>> {
    Ok(web::Json(ratings::request_for_visitor(&state, &visitor, id.into_inner()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RateRequest {
    /// 1 to the chat's scale (2, 5 or 10).
    #[schema(minimum = 1, maximum = 10, example = 5)]
    pub score: i64,
    /// Optional comment.
    #[schema(max_length = 2000)]
    pub review: Option<String>,
}

/// The visitor rates their closed dialog: once per rating request. A second answer is refused
/// (`already_rated`); a dialog that reopens and closes again asks anew.
#[utoipa::path(post, path = "/api/v1/widget/dialogs/{id}/rating", tag = "widget",
    params(("id" = i64, Path, description = "Dialog id")),
    request_body = RateRequest,
    responses(
        (status = 201, description = "Rated", body = RatingRequestView),
        (status = 409, description = "Already rated (`already_rated`), or no due rating request (`rating_not_requested`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("visitor" = [])))]
pub async fn rate(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    id: web::Path<i64>,
    body: web::Json<RateRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = RatingInput { score: b.score, review: b.review };
    let (view, _events) = ratings::rate(&state, &visitor, id.into_inner(), input).await?;
    Ok(HttpResponse::Created().json(view))
}
