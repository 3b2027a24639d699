//! Response shapes shared by several resources.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::store::operators::OperatorRow;
use crate::store::workspaces::WorkspaceRow;
use crate::time::to_datetime;

/// Whether an operator can work: invited (no password yet), active or deactivated.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OperatorStatus {
    Invited,
    Active,
    Deactivated,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorView {
    pub id: i64,
    pub email: String,
    /// Name visitors see.
    pub display_name: String,
    /// Name only colleagues see.
    pub internal_name: Option<String>,
    pub avatar_url: Option<String>,
    pub role: Role,
    pub active: bool,
    pub status: OperatorStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OperatorRow> for OperatorView {
    fn from(r: OperatorRow) -> Self {
        let status = if !r.active {
            OperatorStatus::Deactivated
        } else if r.password_hash.is_none() {
            OperatorStatus::Invited
        } else {
            OperatorStatus::Active
        };
        Self {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            internal_name: r.internal_name,
            avatar_url: r.avatar_url,
            role: Role::from_db(&r.role),
            active: r.active,
            status,
            created_at: to_datetime(r.created_at),
            updated_at: to_datetime(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceView {
    pub id: i64,
    pub name: String,
    /// Unique short name; used at login when one email belongs to several workspaces.
    pub slug: String,
    pub created_at: DateTime<Utc>,
}

impl From<WorkspaceRow> for WorkspaceView {
    fn from(w: WorkspaceRow) -> Self {
        Self { id: w.id, name: w.name, slug: w.slug, created_at: to_datetime(w.created_at) }
    }
}

/// For PATCH bodies: absent field = unchanged, `null` = cleared, value = set.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
