//! (Interface stub; pending.) A local Anthropic-compatible server.

pub mod script;

pub use script::{Chunking, HttpError, Reply, Script, Step};
