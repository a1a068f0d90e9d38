//! (Interface stub; implementation pending.)

use serde_json::Value;

use crate::api::{ContentBlock, ErrorObject, MessageResponse, StopReason, StreamEvent, Usage};

/// A visible change caused by one stream event.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamUpdate {
    /// `message_start`: the message id and the model that is answering.
    Started {
        id: String,
        model: String,
    },
    /// A block opened; `block` is the skeleton the API sent (complete for blocks without
    /// deltas, such as redacted thinking or server-tool results).
    BlockStarted {
        index: usize,
        block: ContentBlock,
    },
    TextDelta {
        index: usize,
        text: String,
    },
    ThinkingDelta {
        index: usize,
        text: String,
    },
    /// A raw fragment of a tool input's JSON.
    ToolInputDelta {
        index: usize,
        id: String,
        partial_json: String,
    },
    /// A block closed; tool inputs are parsed (empty means `{}`).
    BlockFinished {
        index: usize,
        block: ContentBlock,
    },
    /// The running usage totals after `message_start` or a `message_delta`.
    Usage(Usage),
    /// `message_stop`: the message is complete.
    Finished {
        stop_reason: Option<StopReason>,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamError {
    #[error("stream error {}: {}", .0.kind, .0.message)]
    Api(ErrorObject),
    #[error("invalid stream: {0}")]
    Protocol(String),
}

#[derive(Debug, Default)]
pub struct Accumulator {}

impl Accumulator {
    pub fn new() -> Self {
        Self {}
    }

    pub fn apply(
        &mut self,
        _event: StreamEvent,
        _out: &mut Vec<StreamUpdate>,
    ) -> Result<(), StreamError> {
        todo!()
    }

    pub fn has_content(&self) -> bool {
        todo!()
    }

    pub fn is_complete(&self) -> bool {
        todo!()
    }

    pub fn message(&self) -> &MessageResponse {
        todo!()
    }

    pub fn tool_input_preview(&self, _index: usize) -> Option<Value> {
        todo!()
    }

    pub fn finish(self) -> MessageResponse {
        todo!()
    }

    pub fn into_partial(self) -> MessageResponse {
        todo!()
    }
}
