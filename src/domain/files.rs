//! Uploaded files: storing an upload as an attachment or an avatar, who may download what, and
//! removing files. Attachments are linked to messages when sent (see `messages`).
//!
//! A visitor downloads an attachment they uploaded, or one sent in a message (never a note, never
//! a deleted message) of one of their own dialogs; operators download any file of their workspace;
//! avatars are public by their unguessable id.

use std::io;

use crate::auth::Principal;
use crate::auth::visitor::VisitorPrincipal;
use crate::error::{ApiError, ApiResult};
use crate::files::content::{attachment_type, image_type};
use crate::files::storage::StoredFile;
use crate::files::upload::Staged;
use crate::model::message::AuthorType;
use crate::state::AppState;
use crate::store::files::{self, FileRow, KIND_ATTACHMENT, KIND_AVATAR, NewFile};
use crate::store::{dialogs, messages};
use crate::time::now_ms;

/// Path of the public avatar route, before the file id.
pub const AVATAR_PATH: &str = "/api/v1/avatars/";

fn storage_error(err: io::Error) -> ApiError {
    ApiError::internal(format!("file storage: {err}"))
}

/// Keeps a staged upload as an attachment of `uploader`, with the media type it declared.
pub async fn save_attachment(
    state: &AppState,
    ws: i64,
    uploader: (AuthorType, i64),
    staged: Staged,
) -> ApiResult<FileRow> {
    let content_type = attachment_type(staged.declared_type.as_deref());
    save(state, ws, KIND_ATTACHMENT, &content_type, uploader, staged).await
}

/// Keeps a staged upload as an avatar: JPEG or PNG by its first bytes, else 415
/// `unsupported_image_type`, whatever its name or declared type says.
pub async fn save_avatar(state: &AppState, ws: i64, uploader: (AuthorType, i64), staged: Staged) -> ApiResult<FileRow> {
    let Some(content_type) = image_type(&staged.head) else {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_image_type",
            "avatars must be JPEG or PNG images",
        ));
    };
    save(state, ws, KIND_AVATAR, content_type, uploader, staged).await
}

async fn save(
    state: &AppState,
    ws: i64,
    kind: &'static str,
    content_type: &str,
    (uploader_type, uploader_id): (AuthorType, i64),
    staged: Staged,
) -> ApiResult<FileRow> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let key = format!("{ws}/{id}");
    state.files.put(&key, &staged.path).await.map_err(storage_error)?;
    let (name, content_type, sha256) = (staged.name.clone(), content_type.to_string(), staged.sha256.clone());
    let size = i64::try_from(staged.size).unwrap_or(i64::MAX);
    let stored_key = key.clone();
    let inserted = state
        .db
        .write(move |conn| {
            let new = NewFile {
                id: &id,
                workspace_id: ws,
                kind,
                storage_key: &stored_key,
                name: &name,
                content_type: &content_type,
                size,
                sha256: &sha256,
                uploader_type: uploader_type.as_str(),
                uploader_id,
                created_at: now_ms(),
            };
            Ok(files::insert(conn, &new)?)
        })
        .await;
    if inserted.is_err() {
        let _ = state.files.delete(&key).await;
    }
    inserted
}

/// Removes a file's row and its bytes.
pub async fn discard(state: &AppState, file: &FileRow) -> ApiResult<()> {
    let (ws, id) = (file.workspace_id, file.id.clone());
    state.db.write(move |conn| Ok(files::delete(conn, ws, &id)?)).await?;
    state.files.delete(&file.storage_key).await.map_err(storage_error)
}

/// The public URL of an avatar file.
pub fn avatar_url(state: &AppState, file: &FileRow) -> String {
    format!("{}{AVATAR_PATH}{}", state.config.public_url(), file.id)
}

/// Removes the avatar file an entity used before, when `old_url` names one of this workspace's.
pub async fn discard_replaced_avatar(state: &AppState, ws: i64, old_url: Option<&str>) {
    let prefix = format!("{}{AVATAR_PATH}", state.config.public_url());
    let Some(id) = old_url.and_then(|u| u.strip_prefix(&prefix)).map(str::to_string) else { return };
    let found = state.db.run(move |conn| Ok(files::find(conn, ws, &id)?)).await;
    if let Ok(Some(file)) = found
        && file.kind == KIND_AVATAR
        && let Err(err) = discard(state, &file).await
    {
        tracing::warn!(error = %err, file = %file.id, "could not remove a replaced avatar");
    }
}

/// A file of the operator's workspace.
pub async fn for_operator(state: &AppState, principal: &Principal, id: String) -> ApiResult<FileRow> {
    let ws = principal.workspace_id;
    state.db.run(move |conn| files::find(conn, ws, &id)?.ok_or_else(|| ApiError::not_found("file"))).await
}

/// An attachment the visitor may see (see the module comment); anything else is 404.
pub async fn for_visitor(state: &AppState, visitor: &VisitorPrincipal, id: String) -> ApiResult<FileRow> {
    let who = visitor.clone();
    state
        .db
        .run(move |conn| {
            let not_found = || ApiError::not_found("file");
            let file = files::find(conn, who.workspace_id, &id)?
                .filter(|f| f.kind == KIND_ATTACHMENT)
                .ok_or_else(not_found)?;
            if file.uploader_type == AuthorType::Visitor.as_str() && file.uploader_id == who.visitor_id {
                return Ok(file);
            }
            let message = match file.message_id {
                Some(message_id) => messages::find_many(conn, &[message_id])?.into_iter().next(),
                None => None,
            };
            let message =
                message.filter(|m| m.kind != messages::KIND_NOTE && m.deleted_at.is_none()).ok_or_else(not_found)?;
            let own_dialog = dialogs::find(conn, who.workspace_id, message.dialog_id)?
                .is_some_and(|d| d.visitor_id == who.visitor_id);
            if own_dialog { Ok(file) } else { Err(not_found()) }
        })
        .await
}

/// An avatar, for anyone who knows its id.
pub async fn public_avatar(state: &AppState, id: String) -> ApiResult<FileRow> {
    state.db.run(move |conn| files::find_avatar(conn, &id)?.ok_or_else(|| ApiError::not_found("file"))).await
}

/// The stored bytes of a file.
pub async fn open(state: &AppState, file: &FileRow) -> ApiResult<StoredFile> {
    match state.files.open(&file.storage_key).await {
        Ok(stored) => Ok(stored),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            tracing::error!(file = %file.id, "a file's bytes are missing from the storage");
            Err(ApiError::not_found("file"))
        }
        Err(err) => Err(storage_error(err)),
    }
}
