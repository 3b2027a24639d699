//! Background workers; each runs until the process ends.

pub mod timers;
