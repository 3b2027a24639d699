//! Operators and workspaces as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
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
    /// Most dialogs the automatic assignment policies give the operator at once.
    pub max_active_dialogs: i32,
    /// Whether an admin may download exports: a super admin can switch it off. Operators never
    /// export, super admins always can.
    pub exports_allowed: bool,
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
            max_active_dialogs: r.max_active_dialogs,
            exports_allowed: r.exports_allowed,
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

/// What visitors and colleagues see of an operator in a dialog.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct OperatorBrief {
    pub id: i64,
    pub display_name: String,
    pub avatar_url: Option<String>,
}

impl From<&OperatorRow> for OperatorBrief {
    fn from(r: &OperatorRow) -> Self {
        Self { id: r.id, display_name: r.display_name.clone(), avatar_url: r.avatar_url.clone() }
    }
}
