use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::store::visitors::{PageViewRow, VisitorNoteRow, VisitorRow};
use crate::time::to_datetime;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct VisitorView {
    pub id: i64,
    /// The chat the visitor first came through.
    pub chat_id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The integration's own id for this visitor, if an integration created it.
    pub external_id: Option<String>,
    /// Custom attributes: string keys, string/number/boolean values.
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The picture the visitor uploaded (`PUT /api/v1/widget/me/avatar`).
    pub avatar_url: Option<String>,
}

impl From<&VisitorRow> for VisitorView {
    fn from(r: &VisitorRow) -> Self {
        Self {
            id: r.id,
            chat_id: r.chat_id,
            name: r.name.clone(),
            email: r.email.clone(),
            phone: r.phone.clone(),
            external_id: r.external_id.clone(),
            attributes: serde_json::from_str(&r.attributes).unwrap_or_default(),
            created_at: to_datetime(r.created_at),
            updated_at: to_datetime(r.updated_at),
            last_seen_at: to_datetime(r.last_seen_at),
            avatar_url: r.avatar_url.clone(),
        }
    }
}

/// A visitor as shown inside a dialog.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct VisitorBrief {
    pub id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
}

impl From<&VisitorRow> for VisitorBrief {
    fn from(r: &VisitorRow) -> Self {
        Self { id: r.id, name: r.name.clone(), email: r.email.clone() }
    }
}

/// A note operators keep on a visitor; visitors never see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorNoteView {
    pub id: i64,
    pub operator_id: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<VisitorNoteRow> for VisitorNoteView {
    fn from(r: VisitorNoteRow) -> Self {
        Self { id: r.id, operator_id: r.operator_id, body: r.body, created_at: to_datetime(r.created_at) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageViewView {
    pub id: i64,
    pub url: String,
    pub title: Option<String>,
    pub referrer: Option<String>,
    /// The dialog that was active when the page was viewed.
    pub dialog_id: Option<i64>,
    pub viewed_at: DateTime<Utc>,
}

impl From<PageViewRow> for PageViewView {
    fn from(r: PageViewRow) -> Self {
        Self {
            id: r.id,
            url: r.url,
            title: r.title,
            referrer: r.referrer,
            dialog_id: r.dialog_id,
            viewed_at: to_datetime(r.viewed_at),
        }
    }
}
