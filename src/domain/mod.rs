//! The rules: who may do what and what each action means. REST handlers, WebSocket sessions
//! and background jobs all call these, so a rule lives in one place.

pub mod accounts;
pub mod api_keys;
pub mod assignment;
pub mod assignment_service;
pub mod auto_replies;
pub mod availability;
pub mod billing;
pub mod channel;
pub mod chat_settings;
pub mod chats;
pub mod currency;
pub mod dialog_figures;
pub mod dialog_timers;
pub mod dialogs;
pub mod events;
pub mod files;
pub mod local_time;
pub mod messages;
pub mod notifications;
pub mod operators;
pub mod presence;
pub mod ratings;
pub mod response_timing;
pub mod rollups;
pub mod saved_replies;
pub mod stats;
pub mod tags;
pub mod visitor_links;
pub mod visitor_sends;
pub mod visitors;
pub mod webhook_deliveries;
pub mod webhooks;
