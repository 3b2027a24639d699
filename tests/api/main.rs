//! Integration tests: each starts a real livedesk server on 127.0.0.1 with its own database and
//! talks to it over HTTP. SQLite by default; PostgreSQL when TEST_DATABASE_URL is set.

mod helpers;

mod api_keys;
mod auth;
mod chat_isolation;
mod chats;
mod cli;
mod dialogs;
mod errors;
mod exports;
mod isolation;
mod messages;
mod migrations;
mod openapi;
mod operations;
mod operators;
mod ratings;
mod saved_replies;
mod stats;
mod tags;
mod visitors;
mod widget;
