//! Integration tests: each starts a real livedesk server on 127.0.0.1 with its own database and
//! talks to it over HTTP. SQLite by default; PostgreSQL when TEST_DATABASE_URL is set.

mod helpers;

mod api_keys;
mod auth;
mod cli;
mod errors;
mod isolation;
mod migrations;
mod openapi;
mod operations;
mod operators;
