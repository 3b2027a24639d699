//! The public shapes of livedesk's data: what REST answers, socket frames and webhooks carry.

pub mod billing;
pub mod chat;
pub mod dialog;
pub mod file;
pub mod message;
pub mod operator;
pub mod rating;
pub mod saved_reply;
pub mod tag;
pub mod visitor;
