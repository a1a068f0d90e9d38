//! Scripted replies for the mock server: what tests ask it to answer, step by step.
//!
//! A [`Reply`] is queued with [`super::MockServer::enqueue`] and answers exactly one
//! `POST /v1/messages`. A [`Script`] is written as real SSE when the request streams, and
//! folded into one JSON message when it does not; [`Chunking`] decides how the bytes are cut
//! into network writes, which is how tests reach the client's awkward-boundary code paths.
//! The builders here (`Script::text`, `Step::tool_use`, `Reply::error`, ...) are shorthands;
//! every field stays public so a test can write any shape, including broken ones.

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
    /// `message_start` with this usage, sent verbatim. When a script has none, the mock
    /// sends one first with usage from its prompt-cache simulation, and the final
    /// `message_delta` then repeats those input fields.
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
    /// Any block that arrives whole in its `content_block_start` and has no deltas (a
    /// `fallback` block, a server tool's result such as `web_search_tool_result`), sent
    /// verbatim.
    Block(serde_json::Value),
    /// The `stop_details` the next `Stop` sends (a refusal's category and explanation).
    StopDetails(serde_json::Value),
    /// A tool_use block whose input JSON streams as these fragments (may be empty).
    ToolUse {
        id: String,
        name: String,
        input_chunks: Vec<String>,
    },
    /// A server tool call (`server_tool_use`, id `srvtoolu_...`) whose input streams as
    /// these fragments, like a client tool's.
    ServerToolUse {
        id: String,
        name: String,
        input_chunks: Vec<String>,
    },
    /// A text block that cites: one `citations_delta` per citation first, then the text
    /// deltas (the order the API uses for cited text).
    CitedText {
        citations: Vec<serde_json::Value>,
        deltas: Vec<String>,
    },
    Ping,
    /// An event type the client does not know.
    Unknown {
        event: String,
        data: String,
    },
    /// An `error` event; the stream ends cleanly after it. In a non-streamed reply it
    /// becomes the matching HTTP error (`overloaded_error` → 529, ...).
    ErrorEvent {
        kind: String,
        message: String,
    },
    /// Wait this long before the next step (bytes already planned are written first).
    Stall(Duration),
    /// From here on, send each delta (text, thinking, tool input) this long after the
    /// previous one, instead of the request's random pace if it has one; zero stops
    /// pausing. A metronome: a timer that fires late is made up by the next beats, so the
    /// stream keeps its rate on average (a millisecond sleep alone takes one to two).
    /// Made for benchmarks that need a steady, reproducible stream.
    Pace(Duration),
    /// Close the connection abruptly (no `message_stop`): the body ends with an error, so
    /// the client sees a broken transfer, not a clean end. Later steps are not sent.
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
    /// Send nothing (not even headers) for this long, then answer 500 `api_error`. Made
    /// for timeout tests: a client with a shorter first-byte timeout never sees the 500.
    Hang(Duration),
}

/// Default `message_start` usage of [`Script::text`]: a small uncached prompt.
const DEFAULT_INPUT_TOKENS: u64 = 12;

impl Script {
    /// A script made of these steps, with [`Chunking::Events`] and no extra headers.
    /// A `Start` step is added at answer time if `steps` has none (see [`Step::Start`]).
    pub fn new(steps: Vec<Step>) -> Self {
        Self {
            steps,
            ..Self::default()
        }
    }

    /// A complete plain answer: `Start` with a small fixed usage (12 input tokens, 1 output
    /// token, no cache), one text block streamed as word-sized deltas (each delta is a word
    /// with the whitespace before it, so the deltas join back to `text` exactly), then
    /// `Stop` with `end_turn` and an output count of about one token per 4 characters.
    pub fn text(text: &str) -> Self {
        let usage = Usage {
            input_tokens: DEFAULT_INPUT_TOKENS,
            output_tokens: 1,
            ..Usage::default()
        };
        Self::new(vec![
            Step::Start { usage },
            Step::Text(split_words(text)),
            Step::end_turn(estimate_tokens(text)),
        ])
    }

    /// Cuts the output into network writes this way (default: one write per event).
    pub fn with_chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }

    /// Adds a response header (sent on the 200 answer, in addition to the usual ones).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl Step {
    /// `Stop` with `end_turn` and this cumulative output token count.
    pub fn end_turn(output_tokens: u64) -> Self {
        Self::stop(StopReason::EndTurn, output_tokens)
    }

    /// `Stop` with this reason and cumulative output token count (no input fields).
    pub fn stop(reason: StopReason, output_tokens: u64) -> Self {
        Self::Stop {
            reason,
            usage: DeltaUsage {
                output_tokens: Some(output_tokens),
                ..DeltaUsage::default()
            },
        }
    }

    /// A text block whose deltas are the words of `text` (see [`Script::text`]).
    pub fn text(text: &str) -> Self {
        Self::Text(split_words(text))
    }

    /// A tool call whose input JSON arrives in these fragments.
    pub fn tool_use(id: &str, name: &str, input_chunks: &[&str]) -> Self {
        Self::ToolUse {
            id: id.to_owned(),
            name: name.to_owned(),
            input_chunks: input_chunks.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    /// An `error` event of this kind, e.g. `Step::error_event("overloaded_error", "Overloaded")`.
    pub fn error_event(kind: &str, message: &str) -> Self {
        Self::ErrorEvent {
            kind: kind.to_owned(),
            message: message.to_owned(),
        }
    }
}

impl HttpError {
    /// An error reply: `status`, body `{"type":"error","error":{"type":kind,"message":message},
    /// "request_id":...}`.
    pub fn new(status: u16, kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            kind: kind.into(),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a response header, e.g. `retry-after` or `x-should-retry`.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl Reply {
    /// Shorthand for `Reply::Error(HttpError::new(status, kind, message))`.
    pub fn error(status: u16, kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Error(HttpError::new(status, kind, message))
    }

    /// Shorthand for `Reply::Script(Script::text(text))`.
    pub fn text(text: &str) -> Self {
        Self::Script(Script::text(text))
    }
}

impl From<Script> for Reply {
    fn from(script: Script) -> Self {
        Self::Script(script)
    }
}

impl From<HttpError> for Reply {
    fn from(error: HttpError) -> Self {
        Self::Error(error)
    }
}

/// Splits text into word-sized pieces that join back to it exactly: each piece is the
/// whitespace before a word plus the word, the way models tend to stream.
pub fn split_words(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    for c in text.chars() {
        if c.is_whitespace() && in_word {
            pieces.push(std::mem::take(&mut current));
            in_word = false;
        } else if !c.is_whitespace() {
            in_word = true;
        }
        current.push(c);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// The mock's deterministic token estimate: about one token per 4 characters, at least 1.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_join_back_exactly() {
        for text in ["Hello big  world\n\nbye ", "", "  lead", "één twee"] {
            assert_eq!(split_words(text).concat(), text);
        }
        assert_eq!(split_words("a bc  d"), vec!["a", " bc", "  d"]);
    }

    #[test]
    fn text_script_has_start_text_and_stop() {
        let s = Script::text("one two three");
        assert_eq!(s.steps.len(), 3);
        assert!(matches!(&s.steps[0], Step::Start { usage } if usage.input_tokens == 12));
        assert_eq!(
            s.steps[1],
            Step::Text(vec!["one".into(), " two".into(), " three".into()])
        );
        assert!(matches!(
            &s.steps[2],
            Step::Stop { reason: StopReason::EndTurn, usage } if usage.output_tokens == Some(4)
        ));
    }
}
