//! Uploaded files: where their bytes live ([`storage`]), how an upload is read from a
//! multipart request ([`upload`]) and what its content is ([`content`]).

pub mod content;
pub mod storage;
pub mod upload;

pub use storage::{FileStorage, LocalDisk};
