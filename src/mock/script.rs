//! Scripted replies for the mock server: what tests ask it to answer, step by step.

use std::time::Duration;

use crate::api::{DeltaUsage, StopReason, Usage};

/// How the mock cuts its output into network writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Chunking {
    /// One write per SSE event.
    #[default]
    Events,
    /// Writes of exactly this many bytes (the last may be shorter), ignoring event and
    /// UTF-8 character boundaries.
    Fixed(usize),
    /// Writes of random sizes in 1..=max bytes, reproducible from the seed.
    Random { seed: u64, max: usize },
}

/// One step of a scripted streamed answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `message_start` with this usage. Added automatically when a script has none.
    Start {
        usage: Usage,
    },
    /// A text block, streamed as these deltas.
    Text(Vec<String>),
    /// A thinking block streamed as these deltas, then its signature.
    Thinking {
        deltas: Vec<String>,
        signature: String,
    },
    /// A redacted thinking block (arrives whole).
    RedactedThinking(String),
    /// A tool_use block whose input JSON streams as these fragments (may be empty).
    ToolUse {
        id: String,
        name: String,
        input_chunks: Vec<String>,
    },
    Ping,
    /// An event type the client does not know.
    Unknown {
        event: String,
        data: String,
    },
    /// An `error` event; the stream ends after it.
    ErrorEvent {
        kind: String,
        message: String,
    },
    /// Wait this long before the next step.
    Stall(Duration),
    /// Close the connection abruptly (no `message_stop`).
    Drop,
    /// `message_delta` with this stop reason and usage, then `message_stop`.
    Stop {
        reason: StopReason,
        usage: DeltaUsage,
    },
    /// Literal bytes written as they are.
    Raw(String),
}

/// A scripted answer for one request to `/v1/messages`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Script {
    pub steps: Vec<Step>,
    pub chunking: Chunking,
    /// Extra response headers (e.g. rate-limit headers).
    pub headers: Vec<(String, String)>,
}

/// An HTTP error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub status: u16,
    /// The `error.type`, e.g. `overloaded_error`.
    pub kind: String,
    pub message: String,
    pub headers: Vec<(String, String)>,
}

/// What the mock answers to the next request to `/v1/messages`.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A 200 answer: streamed as SSE when the request asks for a stream, else as JSON.
    Script(Script),
    /// An HTTP error with a JSON error body.
    Error(HttpError),
    /// Send nothing (not even headers) for this long, then close the connection.
    Hang(Duration),
}
