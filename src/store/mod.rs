//! Diesel queries, one module per area. Functions take a connection and return rows; they know
//! nothing about HTTP. Every query on workspace data is scoped by `workspace_id`.

pub mod api_keys;
pub mod auto_replies;
pub mod batch;
pub mod billing;
pub mod chats;
mod dialog_counters;
pub mod dialogs;
pub mod events;
pub mod files;
pub mod message_search;
pub mod messages;
pub mod notification_prefs;
pub mod operator_tokens;
pub mod operators;
mod pg_arrays;
pub mod presence;
pub mod queue;
pub mod ratings;
pub mod response_times;
pub mod rollups;
pub mod saved_replies;
pub mod sessions;
pub mod stats;
pub mod tags;
pub mod visitor_links;
pub mod visitors;
pub mod webhooks;
pub mod workspaces;
