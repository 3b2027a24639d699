//! Uploads, downloads and avatars. Uploads are `multipart/form-data` with one `file` part;
//! downloads stream from the file storage with the stored media type.

use actix_multipart::Multipart;
use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncReadExt;
use utoipa::{IntoResponses, ToSchema};

use crate::auth::Auth;
use crate::auth::visitor::VisitorAuth;
use crate::domain::chat_settings::ChatSettings;
use crate::domain::chats::{self, ChatUpdate};
use crate::domain::files;
use crate::domain::operators::{self, ProfileChanges};
use crate::domain::visitors;
use crate::error::{ApiError, ApiResult, Problem};
use crate::files::content::content_disposition;
use crate::files::storage::StoredFile;
use crate::files::upload;
use crate::model::chat::ChatView;
use crate::model::file::FileView;
use crate::model::message::AuthorType;
use crate::model::operator::OperatorView;
use crate::model::visitor::VisitorView;
use crate::state::AppState;
use crate::store::files::{FileRow, KIND_AVATAR};

/// A `multipart/form-data` body with the file to upload.
#[derive(ToSchema)]
pub struct UploadForm {
    /// The file. Its name (from the part's `filename`) is kept without any folder.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// The errors every attachment upload can answer.
#[derive(IntoResponses)]
pub enum UploadErrors {
    /// The file is larger than the attachment limit (`file_too_large`)
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not `multipart/form-data` (`unsupported_media_type`)
    #[response(status = 415, content_type = "application/problem+json")]
    NotMultipart(Problem),
    /// No `file` part, or an empty file (`validation_failed`)
    #[response(status = 422, content_type = "application/problem+json")]
    NoFile(Problem),
}

/// The errors every avatar upload can answer.
#[derive(IntoResponses)]
pub enum AvatarUploadErrors {
    /// The picture is larger than the avatar limit (`file_too_large`)
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Not JPEG or PNG (`unsupported_image_type`), or not `multipart/form-data` (`unsupported_media_type`)
    #[response(status = 415, content_type = "application/problem+json")]
    NotAnImage(Problem),
    /// No `file` part, or an empty file (`validation_failed`)
    #[response(status = 422, content_type = "application/problem+json")]
    NoFile(Problem),
}

/// Which picture of a chat's widget.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatAvatarKind {
    Chat,
    Bot,
    Operator,
    Visitor,
}

impl ChatAvatarKind {
    fn as_str(self) -> &'static str {
        match self {
            ChatAvatarKind::Chat => "chat",
            ChatAvatarKind::Bot => "bot",
            ChatAvatarKind::Operator => "operator",
            ChatAvatarKind::Visitor => "visitor",
        }
    }
}

/// File ids are 32 lower-case hex digits; anything else names no file.
fn file_id(raw: String) -> ApiResult<String> {
    if raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(raw)
    } else {
        Err(ApiError::not_found("file"))
    }
}

/// Upload an attachment (operators): any type, at most `LIVEDESK_ATTACHMENT_MAX_BYTES` (default
/// 2 MiB). Send it with a message or note by listing its id in `attachment_ids`.
#[utoipa::path(post, path = "/api/v1/files", tag = "files",
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "One `file` part; other parts are ignored"),
    responses(
        (status = 201, description = "Stored, not yet sent", body = FileView),
        UploadErrors,
    ),
    security(("bearer" = [])))]
pub async fn upload(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    let staged = upload::receive(&req, form, state.files.as_ref(), state.config.attachment_max_bytes).await?;
    let uploader = (AuthorType::Operator, auth.operator_id);
    let file = files::save_attachment(&state, auth.workspace_id, uploader, staged).await?;
    Ok(HttpResponse::Created().json(FileView::from(&file)))
}

/// Upload an attachment (the visitor): any type, at most `LIVEDESK_ATTACHMENT_MAX_BYTES`
/// (default 2 MiB). Send it by listing its id in the message's `attachment_ids`. Uploads count
/// against the visitor's message rate limits.
#[utoipa::path(post, path = "/api/v1/widget/files", tag = "widget",
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "One `file` part; other parts are ignored"),
    responses(
        (status = 201, description = "Stored, not yet sent", body = FileView),
        UploadErrors,
        (status = 429, description = "Too many messages or uploads from this visitor or address (`rate_limited`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("visitor" = [])))]
pub async fn widget_upload(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    super::widget::limit_visitor_writes(&state, &req, &visitor).await?;
    let staged = upload::receive(&req, form, state.files.as_ref(), state.config.attachment_max_bytes).await?;
    let uploader = (AuthorType::Visitor, visitor.visitor_id);
    let file = files::save_attachment(&state, visitor.workspace_id, uploader, staged).await?;
    Ok(HttpResponse::Created().json(FileView::from(&file)))
}

/// Download a file of the workspace (operators), as an attachment.
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files",
    params(("id" = String, Path, description = "File id")),
    responses((status = 200, description = "The file, with the media type it was stored with", content_type = "*/*", body = Vec<u8>)),
    security(("bearer" = [])))]
pub async fn download(state: web::Data<AppState>, auth: Auth, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let file = files::for_operator(&state, &auth, file_id(id.into_inner())?).await?;
    let stored = files::open(&state, &file).await?;
    Ok(file_response(&file, stored, "attachment", "private, no-cache"))
}

/// Download an attachment (the visitor): one they uploaded, or one sent in a message of their
/// own dialogs. Files of internal notes and of deleted messages answer 404.
#[utoipa::path(get, path = "/api/v1/widget/files/{id}", tag = "widget",
    params(("id" = String, Path, description = "File id")),
    responses((status = 200, description = "The file, with the media type it was stored with", content_type = "*/*", body = Vec<u8>)),
    security(("visitor" = [])))]
pub async fn widget_download(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let file = files::for_visitor(&state, &visitor, file_id(id.into_inner())?).await?;
    let stored = files::open(&state, &file).await?;
    Ok(file_response(&file, stored, "attachment", "private, no-cache"))
}

/// An avatar picture. Public: anyone with its (unguessable) URL can load it, as widgets on
/// customers' sites must.
#[utoipa::path(get, path = "/api/v1/avatars/{id}", tag = "files",
    params(("id" = String, Path, description = "Avatar file id")),
    responses((status = 200, description = "The picture",
        content((Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg")))),
    security(()))]
pub async fn avatar(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let file = files::public_avatar(&state, file_id(id.into_inner())?).await?;
    let stored = files::open(&state, &file).await?;
    // An avatar id never changes content: caches may keep it for good.
    Ok(file_response(&file, stored, "inline", "public, max-age=31536000, immutable"))
}

const CHUNK: usize = 64 * 1024;

fn file_response(file: &FileRow, stored: StoredFile, disposition: &str, cache: &str) -> HttpResponse {
    let chunks = stream::unfold(Some(stored.reader), |reader| async move {
        let mut reader = reader?;
        let mut buf = vec![0u8; CHUNK];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(reader)))
            }
            Err(err) => Some((Err(err), None)),
        }
    });
    HttpResponse::Ok()
        .content_type(file.content_type.as_str())
        .insert_header((header::CONTENT_DISPOSITION, content_disposition(disposition, &file.name)))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, format!("\"{}\"", file.sha256)))
        .body(SizedStream::new(stored.len, chunks))
}

/// Reads an avatar upload (JPEG or PNG, at most `LIVEDESK_AVATAR_MAX_BYTES`) and keeps it.
async fn receive_avatar(
    state: &AppState,
    req: &HttpRequest,
    form: Multipart,
    ws: i64,
    uploader: (AuthorType, i64),
) -> ApiResult<FileRow> {
    let staged = upload::receive(req, form, state.files.as_ref(), state.config.avatar_max_bytes).await?;
    files::save_avatar(state, ws, uploader, staged).await
}

/// Applies a new avatar with `apply`; a failure removes the new file, success the replaced one.
async fn swap_avatar<T>(
    state: &AppState,
    new: Option<&FileRow>,
    ws: i64,
    old_url: Option<String>,
    apply: impl Future<Output = ApiResult<T>>,
) -> ApiResult<T> {
    match apply.await {
        Ok(done) => {
            files::discard_replaced_avatar(state, ws, old_url.as_deref()).await;
            Ok(done)
        }
        Err(err) => {
            if let Some(file) = new.filter(|f| f.kind == KIND_AVATAR) {
                let _ = files::discard(state, file).await;
            }
            Err(err)
        }
    }
}

/// Sets an operator's avatar (self, or anyone for admins); `None` removes it.
async fn set_operator_avatar(
    state: &AppState,
    auth: &Auth,
    id: i64,
    upload: Option<(HttpRequest, Multipart)>,
) -> ApiResult<OperatorView> {
    let current = operators::get(state, auth, id).await?;
    if id != auth.operator_id && !auth.role.is_admin() {
        return Err(ApiError::forbidden("operators can change only their own profile"));
    }
    let ws = auth.workspace_id;
    let new = match upload {
        Some((req, form)) => {
            Some(receive_avatar(state, &req, form, ws, (AuthorType::Operator, auth.operator_id)).await?)
        }
        None => None,
    };
    let url = new.as_ref().map(|f| files::avatar_url(state, f));
    let changes = ProfileChanges { avatar_url: Some(url), ..Default::default() };
    let apply = operators::update(state, auth, id, changes, Default::default());
    let updated = swap_avatar(state, new.as_ref(), ws, current.avatar_url, apply).await?;
    Ok(updated.into())
}

/// Upload the caller's avatar: JPEG or PNG (judged by content, not by name or declared type),
/// at most `LIVEDESK_AVATAR_MAX_BYTES` (default 5 MiB). `avatar_url` becomes its public URL.
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "me",
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "One `file` part: a JPEG or PNG picture"),
    responses(
        (status = 200, description = "The profile with its new `avatar_url`", body = OperatorView),
        AvatarUploadErrors,
    ),
    security(("bearer" = [])))]
pub async fn put_my_avatar(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<web::Json<OperatorView>> {
    Ok(web::Json(set_operator_avatar(&state, &auth, auth.operator_id, Some((req, form))).await?))
}

/// Remove the caller's avatar.
#[utoipa::path(delete, path = "/api/v1/me/avatar", tag = "me",
    responses((status = 200, description = "The profile without `avatar_url`", body = OperatorView)),
    security(("bearer" = [])))]
pub async fn delete_my_avatar(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<OperatorView>> {
    Ok(web::Json(set_operator_avatar(&state, &auth, auth.operator_id, None).await?))
}

/// Upload an operator's avatar (admins; operators only their own): JPEG or PNG by content, at
/// most `LIVEDESK_AVATAR_MAX_BYTES` (default 5 MiB).
#[utoipa::path(put, path = "/api/v1/operators/{id}/avatar", tag = "operators",
    params(("id" = i64, Path, description = "Operator id")),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "One `file` part: a JPEG or PNG picture"),
    responses(
        (status = 200, description = "The operator with the new `avatar_url`", body = OperatorView),
        (status = 403, description = "Another operator's avatar, and not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
        AvatarUploadErrors,
    ),
    security(("bearer" = [])))]
pub async fn put_operator_avatar(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<web::Json<OperatorView>> {
    Ok(web::Json(set_operator_avatar(&state, &auth, id.into_inner(), Some((req, form))).await?))
}

/// Remove an operator's avatar (admins; operators only their own).
#[utoipa::path(delete, path = "/api/v1/operators/{id}/avatar", tag = "operators",
    params(("id" = i64, Path, description = "Operator id")),
    responses(
        (status = 200, description = "The operator without `avatar_url`", body = OperatorView),
        (status = 403, description = "Another operator's avatar, and not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete_operator_avatar(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> ApiResult<web::Json<OperatorView>> {
    Ok(web::Json(set_operator_avatar(&state, &auth, id.into_inner(), None).await?))
}

/// Sets one of a chat's widget pictures (`settings.avatars.<kind>`); `None` removes it.
async fn set_chat_avatar(
    state: &AppState,
    auth: &Auth,
    id: i64,
    kind: ChatAvatarKind,
    upload: Option<(HttpRequest, Multipart)>,
) -> ApiResult<ChatView> {
    auth.require_admin()?;
    let chat = chats::get(state, auth, id).await?;
    let avatars = ChatSettings::from_stored(&chat.settings).avatars;
    let current = match kind {
        ChatAvatarKind::Chat => avatars.chat,
        ChatAvatarKind::Bot => avatars.bot,
        ChatAvatarKind::Operator => avatars.operator,
        ChatAvatarKind::Visitor => avatars.visitor,
    };
    let ws = auth.workspace_id;
    let new = match upload {
        Some((req, form)) => {
            Some(receive_avatar(state, &req, form, ws, (AuthorType::Operator, auth.operator_id)).await?)
        }
        None => None,
    };
    let url = new.as_ref().map(|f| files::avatar_url(state, f));
    let update = ChatUpdate { name: None, settings: Some(json!({"avatars": {kind.as_str(): url}})), archived: None };
    let apply = chats::update(state, auth, id, update);
    let updated = swap_avatar(state, new.as_ref(), ws, current, apply).await?;
    Ok(updated.into())
}

/// Upload one of a chat's widget pictures (admins): the chat's, the bot's, the default
/// operator's or the default visitor's, as `settings.avatars` names them. JPEG or PNG by
/// content, at most `LIVEDESK_AVATAR_MAX_BYTES` (default 5 MiB).
#[utoipa::path(put, path = "/api/v1/chats/{id}/avatars/{kind}", tag = "chats",
    params(("id" = i64, Path, description = "Chat id"), ("kind" = ChatAvatarKind, Path, description = "Which picture")),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "One `file` part: a JPEG or PNG picture"),
    responses(
        (status = 200, description = "The chat with the new URL in `settings.avatars`", body = ChatView),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
        AvatarUploadErrors,
    ),
    security(("bearer" = [])))]
pub async fn put_chat_avatar(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, ChatAvatarKind)>,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<web::Json<ChatView>> {
    let (id, kind) = path.into_inner();
    Ok(web::Json(set_chat_avatar(&state, &auth, id, kind, Some((req, form))).await?))
}

/// Remove one of a chat's widget pictures (admins).
#[utoipa::path(delete, path = "/api/v1/chats/{id}/avatars/{kind}", tag = "chats",
    params(("id" = i64, Path, description = "Chat id"), ("kind" = ChatAvatarKind, Path, description = "Which picture")),
    responses(
        (status = 200, description = "The chat without that picture", body = ChatView),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn delete_chat_avatar(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, ChatAvatarKind)>,
) -> ApiResult<web::Json<ChatView>> {
    let (id, kind) = path.into_inner();
    Ok(web::Json(set_chat_avatar(&state, &auth, id, kind, None).await?))
}

/// Sets or removes the visitor's own picture; operators get `visitor.updated`.
async fn set_visitor_avatar(
    state: &AppState,
    visitor: &VisitorAuth,
    upload: Option<(HttpRequest, Multipart)>,
) -> ApiResult<VisitorView> {
    let current = visitors::get_own(state, visitor).await?;
    let (ws, id) = (visitor.workspace_id, visitor.visitor_id);
    let new = match upload {
        Some((req, form)) => Some(receive_avatar(state, &req, form, ws, (AuthorType::Visitor, id)).await?),
        None => None,
    };
    let url = new.as_ref().map(|f| files::avatar_url(state, f));
    let apply = state.db.write_in(ws, move |conn| visitors::set_avatar_in_tx(conn, ws, id, url, &mut Vec::new()));
    let row = swap_avatar(state, new.as_ref(), ws, current.avatar_url, apply).await?;
    Ok(VisitorView::from(&row))
}

/// Upload the visitor's picture: JPEG or PNG (by content), at most `LIVEDESK_AVATAR_MAX_BYTES`
/// (default 5 MiB).
#[utoipa::path(put, path = "/api/v1/widget/me/avatar", tag = "widget",
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "One `file` part: a JPEG or PNG picture"),
    responses(
        (status = 200, description = "The visitor with the new `avatar_url`", body = VisitorView),
        AvatarUploadErrors,
    ),
    security(("visitor" = [])))]
pub async fn put_widget_avatar(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<web::Json<VisitorView>> {
    Ok(web::Json(set_visitor_avatar(&state, &visitor, Some((req, form))).await?))
}

/// Remove the visitor's picture.
#[utoipa::path(delete, path = "/api/v1/widget/me/avatar", tag = "widget",
    responses((status = 200, description = "The visitor without `avatar_url`", body = VisitorView)),
    security(("visitor" = [])))]
pub async fn delete_widget_avatar(
    state: web::Data<AppState>,
    visitor: VisitorAuth,
) -> ApiResult<web::Json<VisitorView>> {
    Ok(web::Json(set_visitor_avatar(&state, &visitor, None).await?))
}
