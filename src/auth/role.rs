use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an operator may do. Ordered: each role includes the rights of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Answers dialogs; manages only their own profile.
    Operator,
    /// Manages operators, chats and settings; sees ratings and statistics.
    Admin,
    /// Everything, including super admins and billing.
    SuperAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Admin => "admin",
            Role::SuperAdmin => "super_admin",
        }
    }

    /// Reads the stored value; an unknown value is treated as the least privileged role.
    pub fn from_db(value: &str) -> Role {
        match value {
            "super_admin" => Role::SuperAdmin,
            "admin" => Role::Admin,
            _ => Role::Operator,
        }
    }

    pub fn is_admin(self) -> bool {
        self >= Role::Admin
    }
}
