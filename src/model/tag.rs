use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::tags::TagRow;
use crate::time::to_datetime;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TagView {
    pub id: i64,
    pub name: String,
    pub color: String,
    pub created_at: DateTime<Utc>,
}

impl From<&TagRow> for TagView {
    fn from(r: &TagRow) -> Self {
        Self { id: r.id, name: r.name.clone(), color: r.color.clone(), created_at: to_datetime(r.created_at) }
    }
}
