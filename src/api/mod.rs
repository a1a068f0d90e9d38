//! The wire: everything that speaks the Messages API over HTTP.
//!
//! - [`wire`]: serde types for requests, responses and content blocks.
//! - [`sse`]: bytes to server-sent-event frames, for any chunking of the byte stream.
//! - [`events`]: SSE frames to typed [`events::StreamEvent`]s.
//! - [`client`]: the reqwest client (auth, headers, timeouts), one attempt per call.
//! - [`retry`]: which failures to retry and how long to wait.
//! - [`error`]: typed failures.
//! - [`batches`]: the Message Batches API (create, poll, results, cancel).
//! - [`server_tools`]: web search and web fetch, run by the API: definitions, results, counts.
//! - [`catalog`]: model facts (windows, lines, capabilities) from `GET /v1/models`, cached
//!   on disk for a day, with built-in defaults offline.
//!
//! Retrying and falling back across models is the engine's job, because the engine has to
//! report each step to the user; this module only says what is retryable and for how long.

pub mod answered;
pub mod batches;
pub mod capabilities;
pub mod catalog;
pub mod client;
pub mod error;
pub mod events;
pub mod ratelimit;
pub mod retry;
pub mod server_tools;
pub mod sse;
mod usage_sum;
pub mod wire;

pub use client::{Auth, Client, ClientOptions, ModelListing, ResponseMeta};
pub use error::{ApiError, ErrorClass, TimeoutPhase};
pub use events::{Delta, StreamEvent};
pub use wire::*;
