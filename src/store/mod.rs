//! Diesel queries, one module per area. Functions take a connection and return rows; they know
//! nothing about HTTP. Every query on workspace data is scoped by `workspace_id`.

pub mod api_keys;
pub mod operator_tokens;
pub mod operators;
pub mod sessions;
pub mod workspaces;
