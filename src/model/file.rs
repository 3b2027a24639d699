use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::files::FileRow;
use crate::time::to_datetime;

/// An uploaded attachment. Download it with the `url` (operators) or `widget_url` (the
/// visitor); both are paths on this server.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct FileView {
    /// Random, unguessable id.
    #[schema(example = "3f9c2a7d0b5e4c1a8d6f0e2b4a6c8e1f")]
    pub id: String,
    /// The file name the uploader gave (without any folder).
    pub name: String,
    /// The media type it is served with.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    #[schema(example = "/api/v1/files/3f9c2a7d0b5e4c1a8d6f0e2b4a6c8e1f")]
    pub url: String,
    #[schema(example = "/api/v1/widget/files/3f9c2a7d0b5e4c1a8d6f0e2b4a6c8e1f")]
    pub widget_url: String,
    pub created_at: DateTime<Utc>,
}

impl From<&FileRow> for FileView {
    fn from(r: &FileRow) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            content_type: r.content_type.clone(),
            size: r.size,
            sha256: r.sha256.clone(),
            url: format!("/api/v1/files/{}", r.id),
            widget_url: format!("/api/v1/widget/files/{}", r.id),
            created_at: to_datetime(r.created_at),
        }
    }
}
