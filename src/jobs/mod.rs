//! Background workers.

pub mod webhook_sender;
pub mod webhooks;
