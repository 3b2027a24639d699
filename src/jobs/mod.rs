//! Background workers; each runs until the process ends.

pub mod assignment_offers;
pub mod search_index;
pub mod timers;
pub mod webhook_sender;
pub mod webhooks;
