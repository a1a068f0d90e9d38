//! Folding the events of one Messages stream into the final message.
//!
//! The model: [`Accumulator`] owns the message being built. `message_start` gives the
//! message (id, model, usage); each `content_block_start` places a block skeleton at its
//! `index`; deltas grow the block in place; `content_block_stop` closes it (and parses a
//! tool input); `message_delta` sets the stop reason and usage; `message_stop` completes
//! it. Every visible change is also reported as a [`StreamUpdate`] for the UI.
//!
//! Rules (reference §2, as the official SDKs apply them):
//! - text and thinking deltas append, `signature_delta` sets, `citations_delta` pushes;
//! - `input_json_delta` fragments of `tool_use` blocks and of tool-like unknown blocks
//!   (`server_tool_use` and any other block with an `input`) feed a [`PartialJson`] per
//!   block, so each fragment costs O(fragment); at stop the input is the parsed value, `{}`
//!   when nothing was sent, and `{"INVALID_JSON": "<raw>"}` when the JSON is broken
//!   (possible with fine-grained tool streaming), reported by
//!   [`StreamUpdate::ToolInputInvalid`];
//! - `message_delta` usage is cumulative: it *replaces* via [`Usage::apply_delta`];
//! - `ping`, unknown events and unknown delta types are ignored, and so are deltas sent to
//!   blocks of a type this client does not know (the API may add some).
//!
//! Invariants: `message().content[i]` is the block the API sent at index `i`; blocks are
//! dense (a start must use the next index). A protocol violation (content before
//! `message_start`, a second `message_start`, a delta or stop for a block that is not
//! open, a delta whose type does not fit its block, anything but `ping` after
//! `message_stop`) is [`StreamError::Protocol`] and never a panic.

use serde_json::{Map, Value};

use super::partial_json::PartialJson;
use crate::api::events::MessageDelta;
use crate::api::{
    ContentBlock, Delta, ErrorObject, MessageResponse, Role, StopReason, StreamEvent, Usage,
};

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
    /// A tool input was not one valid JSON object at `content_block_stop`; the block keeps
    /// `{"INVALID_JSON": "<raw text>"}` as its input. Sent just before its `BlockFinished`.
    ToolInputInvalid {
        index: usize,
        id: String,
        error: String,
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

/// Why a stream cannot be folded into a message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamError {
    /// The API sent an `error` event.
    #[error("stream error {}: {}", .0.kind, .0.message)]
    Api(ErrorObject),
    /// The events break the protocol's order or shape.
    #[error("invalid stream: {0}")]
    Protocol(String),
}

fn protocol(message: String) -> StreamError {
    StreamError::Protocol(message)
}

/// The input of a tool-like block while it streams.
#[derive(Debug)]
struct ToolInput {
    id: String,
    /// The concatenated fragments, kept for the `INVALID_JSON` fallback.
    raw: String,
    parser: PartialJson,
}

/// Per-block bookkeeping, parallel to `message.content`.
#[derive(Debug)]
struct Slot {
    open: bool,
    /// Present from start to stop for tool-like blocks.
    input: Option<ToolInput>,
}

/// Folds [`StreamEvent`]s into a [`MessageResponse`]; see the module docs.
#[derive(Debug)]
pub struct Accumulator {
    message: MessageResponse,
    slots: Vec<Slot>,
    started: bool,
    saw_block: bool,
    /// Something a person could see arrived: text, thinking, tool input, or a whole block.
    saw_visible: bool,
    complete: bool,
}

impl Default for Accumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Accumulator {
    pub fn new() -> Self {
        Self {
            message: MessageResponse {
                id: String::new(),
                model: String::new(),
                role: Role::Assistant,
                content: Vec::new(),
                stop_reason: None,
                stop_sequence: None,
                usage: Usage::default(),
                extra: Map::new(),
            },
            slots: Vec::new(),
            started: false,
            saw_block: false,
            saw_visible: false,
            complete: false,
        }
    }

    /// Folds one event in and appends the visible changes to `out`.
    pub fn apply(
        &mut self,
        event: StreamEvent,
        out: &mut Vec<StreamUpdate>,
    ) -> Result<(), StreamError> {
        match event {
            StreamEvent::Ping | StreamEvent::Unknown(_) => return Ok(()),
            StreamEvent::Error(e) => return Err(StreamError::Api(e)),
            _ if self.complete => {
                return Err(protocol(format!("{} after message_stop", name(&event))));
            }
            StreamEvent::MessageStart(message) => return self.start(message, out),
            _ if !self.started => {
                return Err(protocol(format!("{} before message_start", name(&event))));
            }
            _ => {}
        }
        match event {
            StreamEvent::ContentBlockStart { index, block } => self.block_start(index, block, out),
            StreamEvent::ContentBlockDelta { index, delta } => self.block_delta(index, delta, out),
            StreamEvent::ContentBlockStop { index } => self.block_stop(index, out),
            StreamEvent::MessageDelta(delta) => {
                self.message_delta(delta, out);
                Ok(())
            }
            StreamEvent::MessageStop => {
                self.close_open_blocks(out);
                self.complete = true;
                out.push(StreamUpdate::Finished {
                    stop_reason: self.message.stop_reason.clone(),
                });
                Ok(())
            }
            // Handled above; listed so a new variant is a compile error here.
            StreamEvent::MessageStart(_)
            | StreamEvent::Ping
            | StreamEvent::Unknown(_)
            | StreamEvent::Error(_) => Ok(()),
        }
    }

    /// True once any `content_block_start` was seen: from then on a failure has shown
    /// part of an answer.
    pub fn has_content(&self) -> bool {
        self.saw_block
    }

    /// True once anything visible arrived: a non-empty text, thinking or tool-input delta,
    /// a block that closed, or a block that came whole (redacted thinking, server-tool
    /// results). An empty `content_block_start` alone shows nothing yet, so a failure
    /// before this is as safe to retry as one before the first byte.
    pub fn has_visible_content(&self) -> bool {
        self.saw_visible
    }

    /// The running usage once `message_start` arrived; `None` before (nothing was used
    /// that the stream reported).
    pub fn usage(&self) -> Option<&Usage> {
        self.started.then_some(&self.message.usage)
    }

    /// True once `message_stop` was seen.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The message so far: text and thinking as received; tool inputs are the
    /// placeholders until their block stops (see [`Self::tool_input_preview`]).
    pub fn message(&self) -> &MessageResponse {
        &self.message
    }

    /// The best current value of the tool input at `index`: the partial parse while the
    /// block streams, the final input once it stopped; `None` for other blocks.
    pub fn tool_input_preview(&self, index: usize) -> Option<Value> {
        if let Some(input) = &self.slots.get(index)?.input {
            return Some(input.parser.current());
        }
        match self.message.content.get(index)? {
            ContentBlock::ToolUse(b) => Some(b.input.clone()),
            _ => None,
        }
    }

    /// The final message. Blocks left open (only in a truncated stream) are closed as
    /// `content_block_stop` would close them.
    pub fn finish(mut self) -> MessageResponse {
        self.close_open_blocks(&mut Vec::new());
        self.message
    }

    /// The message of a stream that failed midway: completed blocks and the text of an
    /// unfinished text block are kept; unfinished tool, thinking and other blocks are
    /// dropped, because they cannot be resumed or sent back. No stop reason.
    pub fn into_partial(self) -> MessageResponse {
        let mut message = self.message;
        let content = std::mem::take(&mut message.content);
        message.content = content
            .into_iter()
            .zip(self.slots)
            .filter(|(block, slot)| !slot.open || matches!(block, ContentBlock::Text(_)))
            .map(|(block, _)| block)
            .collect();
        message.stop_reason = None;
        message.stop_sequence = None;
        message
    }

    /// What [`Self::into_partial`] would return now, without ending the fold: the
    /// streaming answer's checkpoint (the store saves it so a crash loses little).
    pub fn partial(&self) -> MessageResponse {
        let mut message = MessageResponse {
            content: Vec::new(),
            ..self.message.clone()
        };
        message.content = self
            .message
            .content
            .iter()
            .zip(&self.slots)
            .filter(|(block, slot)| !slot.open || matches!(block, ContentBlock::Text(_)))
            .map(|(block, _)| block.clone())
            .collect();
        message.stop_reason = None;
        message.stop_sequence = None;
        message
    }

    fn start(
        &mut self,
        message: MessageResponse,
        out: &mut Vec<StreamUpdate>,
    ) -> Result<(), StreamError> {
        if self.started {
            return Err(protocol("a second message_start".into()));
        }
        self.started = true;
        // The API sends empty content here; should it ever send blocks, they are complete.
        self.slots = message
            .content
            .iter()
            .map(|_| Slot {
                open: false,
                input: None,
            })
            .collect();
        self.message = message;
        out.push(StreamUpdate::Started {
            id: self.message.id.clone(),
            model: self.message.model.clone(),
        });
        out.push(StreamUpdate::Usage(self.message.usage.clone()));
        Ok(())
    }

    fn block_start(
        &mut self,
        index: usize,
        block: ContentBlock,
        out: &mut Vec<StreamUpdate>,
    ) -> Result<(), StreamError> {
        let next = self.message.content.len();
        if index != next {
            return Err(protocol(if index < next {
                format!("content_block_start for block {index}, which already started")
            } else {
                format!("content_block_start for block {index}, expected block {next}")
            }));
        }
        let input = tool_id(&block).map(|id| ToolInput {
            id,
            raw: String::new(),
            parser: PartialJson::new(),
        });
        self.saw_visible |= shows_on_start(&block);
        self.slots.push(Slot { open: true, input });
        self.saw_block = true;
        out.push(StreamUpdate::BlockStarted {
            index,
            block: block.clone(),
        });
        self.message.content.push(block);
        Ok(())
    }

    fn block_delta(
        &mut self,
        index: usize,
        delta: Delta,
        out: &mut Vec<StreamUpdate>,
    ) -> Result<(), StreamError> {
        if matches!(delta, Delta::Unknown) {
            return Ok(());
        }
        let slot = open_slot(&mut self.slots, index, "content_block_delta")?;
        self.saw_visible |= delta_shows(&delta);
        let block = self.message.content.get_mut(index);
        match (delta, block, &mut slot.input) {
            (Delta::TextDelta { text }, Some(ContentBlock::Text(b)), _) => {
                b.text.push_str(&text);
                out.push(StreamUpdate::TextDelta { index, text });
            }
            (Delta::ThinkingDelta { thinking }, Some(ContentBlock::Thinking(b)), _) => {
                b.thinking.push_str(&thinking);
                out.push(StreamUpdate::ThinkingDelta {
                    index,
                    text: thinking,
                });
            }
            (Delta::SignatureDelta { signature }, Some(ContentBlock::Thinking(b)), _) => {
                b.signature = signature;
            }
            (Delta::CitationsDelta { citation }, Some(ContentBlock::Text(b)), _) => {
                b.citations.get_or_insert_with(Vec::new).push(citation);
            }
            (Delta::InputJsonDelta { partial_json }, _, Some(input)) => {
                input.raw.push_str(&partial_json);
                input.parser.push(&partial_json);
                out.push(StreamUpdate::ToolInputDelta {
                    index,
                    id: input.id.clone(),
                    partial_json,
                });
            }
            // A block type this client does not know may have deltas it does not know.
            (_, Some(ContentBlock::Other(_)), _) => {}
            (delta, block, _) => {
                let kind = block.map_or("missing", |b| b.kind());
                return Err(protocol(format!(
                    "{} for block {index}, a `{kind}` block",
                    delta_name(&delta)
                )));
            }
        }
        Ok(())
    }

    fn block_stop(&mut self, index: usize, out: &mut Vec<StreamUpdate>) -> Result<(), StreamError> {
        let slot = open_slot(&mut self.slots, index, "content_block_stop")?;
        slot.open = false;
        self.saw_visible = true;
        let input = slot.input.take();
        let Some(block) = self.message.content.get_mut(index) else {
            return Err(protocol(format!(
                "content_block_stop for block {index}, which is missing"
            )));
        };
        if let Some(input) = input {
            let id = input.id.clone();
            let (value, error) = finish_input(input);
            set_input(block, value);
            if let Some(error) = error {
                out.push(StreamUpdate::ToolInputInvalid { index, id, error });
            }
        }
        out.push(StreamUpdate::BlockFinished {
            index,
            block: block.clone(),
        });
        Ok(())
    }

    fn close_open_blocks(&mut self, out: &mut Vec<StreamUpdate>) {
        for index in 0..self.slots.len() {
            if self.slots[index].open {
                // Cannot fail: the slot is open and its block exists.
                let _ = self.block_stop(index, out);
            }
        }
    }

    fn message_delta(&mut self, delta: MessageDelta, out: &mut Vec<StreamUpdate>) {
        // Only a delta that names a stop reason changes it; a later usage-only delta must
        // not erase it.
        if delta.stop_reason.is_some() {
            self.message.stop_reason = delta.stop_reason;
            self.message.stop_sequence = delta.stop_sequence;
        } else if delta.stop_sequence.is_some() {
            self.message.stop_sequence = delta.stop_sequence;
        }
        if let Some(details) = delta.stop_details.filter(|d| !d.is_null()) {
            self.message.extra.insert("stop_details".into(), details);
        }
        self.message.usage.apply_delta(&delta.usage);
        out.push(StreamUpdate::Usage(self.message.usage.clone()));
    }
}

/// Whether a block shows something the moment it starts: text or thinking that came with
/// its start, or a block that arrives whole (redacted thinking, server-tool results).
/// Tool calls and other streaming blocks show nothing until their input does.
fn shows_on_start(block: &ContentBlock) -> bool {
    match block {
        ContentBlock::Text(b) => !b.text.is_empty(),
        ContentBlock::Thinking(b) => !b.thinking.is_empty(),
        ContentBlock::ToolUse(_) => false,
        ContentBlock::Other(_) => tool_id(block).is_none(),
        _ => true,
    }
}

/// Whether a delta adds something visible (a signature alone does not).
fn delta_shows(delta: &Delta) -> bool {
    match delta {
        Delta::TextDelta { text } => !text.is_empty(),
        Delta::ThinkingDelta { thinking } => !thinking.is_empty(),
        Delta::InputJsonDelta { partial_json } => !partial_json.is_empty(),
        Delta::CitationsDelta { .. } => true,
        Delta::SignatureDelta { .. } | Delta::Unknown => false,
    }
}

/// The id of a block whose input streams as `input_json_delta`: `tool_use`, and unknown
/// blocks that carry an `input` (`server_tool_use`, `mcp_tool_use`, future tools).
fn tool_id(block: &ContentBlock) -> Option<String> {
    match block {
        ContentBlock::ToolUse(b) => Some(b.id.clone()),
        ContentBlock::Other(v) if v.get("input").is_some() => Some(
            v.get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        ),
        _ => None,
    }
}

/// The final input of a tool block and, if it was not one JSON object, why.
fn finish_input(input: ToolInput) -> (Value, Option<String>) {
    let error = match input.parser.finish() {
        Ok(value @ Value::Object(_)) => return (value, None),
        Ok(_) => "the tool input is not a JSON object".to_owned(),
        Err(e) => e.to_string(),
    };
    // The API docs' suggestion: keep the raw text under INVALID_JSON so it can be sent
    // back in an error tool_result rather than lost.
    let mut map = Map::new();
    map.insert("INVALID_JSON".into(), Value::String(input.raw));
    (Value::Object(map), Some(error))
}

fn set_input(block: &mut ContentBlock, value: Value) {
    match block {
        ContentBlock::ToolUse(b) => b.input = value,
        ContentBlock::Other(Value::Object(map)) => {
            map.insert("input".into(), value);
        }
        _ => {}
    }
}

/// The slot of block `index` if it is open; `event` names the offender in the error.
fn open_slot<'a>(
    slots: &'a mut [Slot],
    index: usize,
    event: &str,
) -> Result<&'a mut Slot, StreamError> {
    match slots.get_mut(index) {
        Some(slot) if slot.open => Ok(slot),
        Some(_) => Err(protocol(format!(
            "{event} for block {index}, which already stopped"
        ))),
        None => Err(protocol(format!(
            "{event} for block {index}, which never started"
        ))),
    }
}

fn name(event: &StreamEvent) -> &'static str {
    match event {
        StreamEvent::MessageStart(_) => "message_start",
        StreamEvent::ContentBlockStart { .. } => "content_block_start",
        StreamEvent::ContentBlockDelta { .. } => "content_block_delta",
        StreamEvent::ContentBlockStop { .. } => "content_block_stop",
        StreamEvent::MessageDelta(_) => "message_delta",
        StreamEvent::MessageStop => "message_stop",
        StreamEvent::Ping => "ping",
        StreamEvent::Error(_) => "error",
        StreamEvent::Unknown(_) => "unknown event",
    }
}

fn delta_name(delta: &Delta) -> &'static str {
    match delta {
        Delta::TextDelta { .. } => "text_delta",
        Delta::InputJsonDelta { .. } => "input_json_delta",
        Delta::ThinkingDelta { .. } => "thinking_delta",
        Delta::SignatureDelta { .. } => "signature_delta",
        Delta::CitationsDelta { .. } => "citations_delta",
        Delta::Unknown => "unknown delta",
    }
}

#[cfg(test)]
mod tests;
