//! Reads the `file` part of a `multipart/form-data` request into a staging file, hashing it on
//! the way and stopping at the size limit: an upload is never held in memory whole.

use std::path::PathBuf;

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::HttpRequest;
use actix_web::error::PayloadError;
use actix_web::http::{StatusCode, header};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::FileStorage;
use super::content::{SNIFF_LEN, clean_name};
use crate::error::{ApiError, ApiResult};

/// The form part that carries the file.
pub const FILE_PART: &str = "file";

/// Room for multipart headers, boundaries and small extra parts next to the file.
const FORM_OVERHEAD: u64 = 64 * 1024;

/// An upload written to a staging file. The staging file is removed when this is dropped;
/// after [`FileStorage::put`] moved it, nothing is left to remove.
pub struct Staged {
    pub path: PathBuf,
    /// Cleaned file name as the client sent it.
    pub name: String,
    /// The part's declared `Content-Type`, if any (trusted for nothing but display).
    pub declared_type: Option<String>,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// The first bytes, for content checks.
    pub head: Vec<u8>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        let path = std::mem::take(&mut self.path);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = tokio::fs::remove_file(path).await;
            });
        }
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", format!("the file is larger than {limit} bytes"))
}

fn form_error(err: MultipartError, limit: u64) -> ApiError {
    match err {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => unsupported_type(),
        MultipartError::Payload(PayloadError::Overflow) => too_large(limit),
        other => ApiError::bad_request("invalid_multipart", format!("the multipart body is malformed: {other}")),
    }
}

fn unsupported_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "the body must be multipart/form-data with a `file` part",
    )
}

fn storage_error(err: std::io::Error) -> ApiError {
    ApiError::internal(format!("file storage: {err}"))
}

/// Reads the request's `file` part (the first one; other parts are skipped) into staging,
/// refusing it with 413 `file_too_large` beyond `limit` bytes.
pub async fn receive(
    req: &HttpRequest,
    mut form: Multipart,
    storage: &dyn FileStorage,
    limit: u64,
) -> ApiResult<Staged> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"));
    if !is_form {
        return Err(unsupported_type());
    }
    let declared_len =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared_len.is_some_and(|len| len > limit + FORM_OVERHEAD) {
        return Err(too_large(limit));
    }
    let mut staged: Option<Staged> = None;
    let mut other_bytes = 0u64;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| form_error(e, limit))?;
        if staged.is_none() && field.name() == Some(FILE_PART) {
            match write_part(&mut field, storage, limit).await {
                Ok(file) => staged = Some(file),
                Err(PartError { error, unread: false }) => return Err(error),
                Err(PartError { error, unread: true }) => {
                    // Read what the client still sends (bounded by its declared length or the
                    // overhead), so it gets the answer rather than a reset connection. The form
                    // moves on only once the field is gone.
                    let budget = declared_len.unwrap_or(0).min(limit + FORM_OVERHEAD);
                    let mut left = drain(&mut field, budget).await;
                    drop(field);
                    while left > 0 {
                        let Some(Ok(mut next)) = form.next().await else { break };
                        left = drain(&mut next, left).await;
                    }
                    return Err(error);
                }
            }
        } else {
            while let Some(chunk) = field.next().await {
                other_bytes += chunk.map_err(|e| form_error(e, limit))?.len() as u64;
                if other_bytes > FORM_OVERHEAD {
                    return Err(too_large(limit));
                }
            }
        }
    }
    staged.ok_or_else(|| ApiError::invalid_field(FILE_PART, "required", "the form has no `file` part"))
}

/// Why a part was refused, and whether the field still has bytes to read (a finished field
/// must not be polled again).
struct PartError {
    error: ApiError,
    unread: bool,
}

fn unread(error: ApiError) -> PartError {
    PartError { error, unread: true }
}

fn finished(error: ApiError) -> PartError {
    PartError { error, unread: false }
}

async fn write_part(field: &mut Field, storage: &dyn FileStorage, limit: u64) -> Result<Staged, PartError> {
    let name = clean_name(field.content_disposition().and_then(|d| d.get_filename()));
    let declared_type = field.content_type().map(|m| m.essence_str().to_string());
    let path = storage.staging_path();
    let mut staged = Staged { path, name, declared_type, size: 0, sha256: String::new(), head: Vec::new() };
    let file = tokio::fs::File::create(&staged.path).await.map_err(|e| unread(storage_error(e)))?;
    let mut out = tokio::io::BufWriter::with_capacity(64 * 1024, file);
    let mut hasher = Sha256::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| finished(form_error(e, limit)))?;
        staged.size += chunk.len() as u64;
        if staged.size > limit {
            return Err(unread(too_large(limit)));
        }
        if staged.head.len() < SNIFF_LEN {
            let take = (SNIFF_LEN - staged.head.len()).min(chunk.len());
            staged.head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(|e| unread(storage_error(e)))?;
    }
    out.flush().await.map_err(|e| finished(storage_error(e)))?;
    if staged.size == 0 {
        return Err(finished(ApiError::invalid_field(FILE_PART, "empty", "the file is empty")));
    }
    staged.sha256 = hex::encode(hasher.finalize());
    Ok(staged)
}

/// Discards up to `budget` bytes of a field; returns what is left of the budget.
async fn drain(field: &mut Field, budget: u64) -> u64 {
    let mut left = budget;
    while let Some(Ok(chunk)) = field.next().await {
        left = left.saturating_sub(chunk.len() as u64);
        if left == 0 {
            break;
        }
    }
    left
}
