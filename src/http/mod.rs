//! HTTP plumbing shared by every route: request ids and access logs, problem bodies for
//! unknown routes and methods, CORS.

pub mod cors;
pub mod fallback;
pub mod request_id;
