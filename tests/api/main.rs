//! Integration tests: each starts a real livedesk server on 127.0.0.1 with its own database and
//! talks to it over HTTP. SQLite by default; PostgreSQL when TEST_DATABASE_URL is set.

mod helpers;

mod api_keys;
mod assignment;
mod assignment_service;
mod auth;
mod authorization;
mod auto_replies;
mod billing;
mod chat_isolation;
mod chats;
mod cli;
mod crash_safety;
mod dialogs;
mod errors;
mod exports;
mod files;
mod input_limits;
mod isolation;
mod messages;
mod metrics;
mod migrations;
mod openapi;
mod operations;
mod operators;
mod outage;
mod queue_scenario;
mod rate_limits;
mod ratings;
mod realtime;
mod saved_replies;
mod security_headers;
mod seed;
mod stats;
mod stats_rollups;
mod tags;
mod visitors;
mod webhook_receiver;
mod webhooks;
mod widget;
mod ws;
