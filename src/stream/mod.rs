//! Folding a Messages stream into a message.
//!
//! - [`accumulator`]: [`crate::api::StreamEvent`]s in, the final [`crate::api::MessageResponse`]
//!   out, with a [`StreamUpdate`] for each visible change on the way.
//! - [`partial_json`]: an incremental, linear-time parser that gives the best current value
//!   of a tool input while its JSON is still arriving.

pub mod accumulator;
pub mod partial_json;

#[cfg(test)]
mod pipeline_tests;

pub use accumulator::{Accumulator, StreamError, StreamUpdate};
pub use partial_json::{MAX_DEPTH, PartialJson, PartialJsonError};
