//! Who is calling: passwords, access tokens (JWT), opaque secrets (refresh tokens, API keys,
//! invite links) and the extractors that turn a request into a [`Principal`].

pub mod extract;
pub mod jwt;
pub mod password;
pub mod role;
pub mod secret;
pub mod visitor;
pub mod visitor_tokens;

pub use extract::{Auth, Principal};
pub use role::Role;
