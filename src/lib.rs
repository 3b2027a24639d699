//! livedesk: a headless live-chat support backend (REST + WebSocket) on SQLite or PostgreSQL.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod export;
pub mod files;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod model;
pub mod pagination;
pub mod rate_limit;
pub mod realtime;
pub mod seed;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod validate;
