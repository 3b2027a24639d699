//! HTTP plumbing shared by every route: request ids and access logs, problem bodies for
//! unknown routes and methods, CORS, security headers, client addresses, rate limits and
//! metrics.

pub mod client_addr;
pub mod cors;
pub mod fallback;
pub mod metrics;
pub mod rate_limit;
pub mod request_id;
pub mod request_shape;
pub mod security_headers;
