//! Folding a Messages stream into a message.
//!
//! - [`accumulator`]: [`crate::api::StreamEvent`]s in, the final [`crate::api::MessageResponse`]
//!   out, with a [`StreamUpdate`] for each visible change on the way.
//! - [`citations`]: footnote numbers for cited text and the answer's numbered sources.
//! - [`partial_json`]: an incremental, linear-time parser that gives the best current value
//!   of a tool input while its JSON is still arriving, and reports its tokens as they come.
//! - [`pretty_json`]: those tokens as pretty-printed lines, built in O(delta) per fragment,
//!   for live display of tool inputs.

pub mod accumulator;
pub mod citations;
pub mod partial_json;
pub mod pretty_json;

#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
mod test_support;

pub use accumulator::{Accumulator, StreamError, StreamUpdate};
pub use partial_json::{Container, JsonEvent, JsonSink, MAX_DEPTH, PartialJson, PartialJsonError};
pub use pretty_json::{PrettyJson, PrettyLine, Token};
