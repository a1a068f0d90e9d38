//! Serde types for the Messages API wire format: requests, responses and content blocks.
//!
//! The model: a conversation is a list of [`Message`]s whose content is a list of
//! [`ContentBlock`]s. Blocks chatterm understands are typed; everything else (server-tool
//! blocks, documents, block types added after this was written) is kept as the exact JSON
//! the API sent, in [`ContentBlock::Other`], so it round-trips unchanged.
//!
//! Invariants:
//! - Deserialisation never fails on unknown fields or unknown block types. Typed blocks keep
//!   unknown fields in `extra` and write them back, because assistant turns must be echoed to
//!   the API verbatim (thinking signatures, `caller` on tool_use, ...).
//! - `Message::content` is always serialised as an array; the string shorthand is accepted
//!   on input.
//! - Nothing here knows about HTTP, streaming or the terminal.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// A `cache_control` marker on a block, tool or system text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheControl {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

impl CacheControl {
    /// An ephemeral marker; `ttl` is "5m" (the API default, then omitted) or "1h".
    pub fn ephemeral(ttl: Option<&str>) -> Self {
        Self {
            kind: "ephemeral".into(),
            ttl: ttl.filter(|t| *t != "5m").map(str::to_owned),
        }
    }
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(deserialize_with = "content_from_string_or_blocks")]
    pub content: Vec<ContentBlock>,
}

impl Message {
    pub fn user_text(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: vec![ContentBlock::text(text)],
        }
    }

    /// The concatenated text of the message's text blocks.
    pub fn text(&self) -> String {
        joined_text(&self.content)
    }
}

fn joined_text(blocks: &[ContentBlock]) -> String {
    blocks.iter().filter_map(ContentBlock::as_text).collect()
}

fn content_from_string_or_blocks<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<ContentBlock>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Content {
        Text(String),
        Blocks(Vec<ContentBlock>),
    }
    Ok(match Content::deserialize(d)? {
        Content::Text(t) => vec![ContentBlock::text(t)],
        Content::Blocks(b) => b,
    })
}

/// A text block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TextBlock {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An image block; the source (base64, url or file) is kept as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageBlock {
    pub source: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A client tool call made by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolUseBlock {
    pub id: String,
    pub name: String,
    #[serde(default = "empty_object")]
    pub input: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// The answer to a tool call, sent in the next user message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResultBlock {
    pub tool_use_id: String,
    /// A string or an array of content blocks; kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A thinking block; the signature is opaque and must be echoed unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ThinkingBlock {
    pub thinking: String,
    #[serde(default)]
    pub signature: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Thinking hidden by safety systems: encrypted, never displayed, echoed unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedactedThinkingBlock {
    pub data: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One content block. See the module docs for how unknown blocks are kept.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentBlock {
    Text(TextBlock),
    Image(ImageBlock),
    ToolUse(ToolUseBlock),
    ToolResult(ToolResultBlock),
    Thinking(ThinkingBlock),
    RedactedThinking(RedactedThinkingBlock),
    /// Server-tool blocks, documents and unknown types: the exact JSON, `type` included.
    Other(Value),
}

impl ContentBlock {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(TextBlock {
            text: text.into(),
            ..TextBlock::default()
        })
    }

    /// The `type` tag this block serialises with.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text(_) => "text",
            Self::Image(_) => "image",
            Self::ToolUse(_) => "tool_use",
            Self::ToolResult(_) => "tool_result",
            Self::Thinking(_) => "thinking",
            Self::RedactedThinking(_) => "redacted_thinking",
            Self::Other(v) => v.get("type").and_then(Value::as_str).unwrap_or("unknown"),
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(&t.text),
            _ => None,
        }
    }

    /// The block's cache marker slot, for blocks that can carry one.
    pub fn cache_control_mut(&mut self) -> Option<&mut Option<CacheControl>> {
        match self {
            Self::Text(b) => Some(&mut b.cache_control),
            Self::Image(b) => Some(&mut b.cache_control),
            Self::ToolUse(b) => Some(&mut b.cache_control),
            Self::ToolResult(b) => Some(&mut b.cache_control),
            _ => None,
        }
    }
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn tagged<S: Serializer, T: Serialize>(
            s: S,
            tag: &str,
            body: &T,
        ) -> Result<S::Ok, S::Error> {
            let mut v = serde_json::to_value(body).map_err(serde::ser::Error::custom)?;
            if let Value::Object(map) = &mut v {
                // The tag goes first so the JSON reads like the API's own.
                let mut out = Map::with_capacity(map.len() + 1);
                out.insert("type".into(), Value::String(tag.into()));
                out.append(map);
                return out.serialize(s);
            }
            v.serialize(s)
        }
        match self {
            Self::Text(b) => tagged(s, "text", b),
            Self::Image(b) => tagged(s, "image", b),
            Self::ToolUse(b) => tagged(s, "tool_use", b),
            Self::ToolResult(b) => tagged(s, "tool_result", b),
            Self::Thinking(b) => tagged(s, "thinking", b),
            Self::RedactedThinking(b) => tagged(s, "redacted_thinking", b),
            Self::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let Some(kind) = value.get("type").and_then(Value::as_str) else {
            return Err(D::Error::custom("content block without a \"type\""));
        };
        let typed = match kind {
            "text" => from_body(&value).map(Self::Text),
            "image" => from_body(&value).map(Self::Image),
            "tool_use" => from_body(&value).map(Self::ToolUse),
            "tool_result" => from_body(&value).map(Self::ToolResult),
            "thinking" => from_body(&value).map(Self::Thinking),
            "redacted_thinking" => from_body(&value).map(Self::RedactedThinking),
            _ => None,
        };
        // A known type with an unexpected shape is still kept, untouched, rather than failing
        // the whole message: the API's shapes may grow.
        Ok(typed.unwrap_or(Self::Other(value)))
    }
}

fn from_body<T: serde::de::DeserializeOwned>(value: &Value) -> Option<T> {
    let mut map = value.as_object()?.clone();
    map.remove("type");
    serde_json::from_value(Value::Object(map)).ok()
}

/// The `system` field: a string or text blocks (which may carry cache markers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum System {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

/// A client tool definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Null for server tools (`web_search`, `web_fetch`), whose `type` names them instead
    /// (see [`crate::api::server_tools`]); they carry no schema.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub input_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eager_input_streaming: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `POST /v1/messages` body. Feature fields chatterm does not model yet go in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesRequest {
    pub model: String,
    pub max_tokens: u32,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessagesRequest {
    pub fn new(model: impl Into<String>, max_tokens: u32, messages: Vec<Message>) -> Self {
        Self {
            model: model.into(),
            max_tokens,
            messages,
            system: None,
            stream: false,
            tools: Vec::new(),
            tool_choice: None,
            thinking: None,
            output_config: None,
            stop_sequences: Vec::new(),
            metadata: None,
            extra: Map::new(),
        }
    }
}

/// Why the model stopped. Unknown reasons are kept by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    PauseTurn,
    Refusal,
    ModelContextWindowExceeded,
    Other(String),
}

impl From<String> for StopReason {
    fn from(s: String) -> Self {
        match s.as_str() {
            "end_turn" => Self::EndTurn,
            "max_tokens" => Self::MaxTokens,
            "stop_sequence" => Self::StopSequence,
            "tool_use" => Self::ToolUse,
            "pause_turn" => Self::PauseTurn,
            "refusal" => Self::Refusal,
            "model_context_window_exceeded" => Self::ModelContextWindowExceeded,
            _ => Self::Other(s),
        }
    }
}

impl From<StopReason> for String {
    fn from(r: StopReason) -> Self {
        r.as_str().to_owned()
    }
}

impl StopReason {
    pub fn as_str(&self) -> &str {
        match self {
            Self::EndTurn => "end_turn",
            Self::MaxTokens => "max_tokens",
            Self::StopSequence => "stop_sequence",
            Self::ToolUse => "tool_use",
            Self::PauseTurn => "pause_turn",
            Self::Refusal => "refusal",
            Self::ModelContextWindowExceeded => "model_context_window_exceeded",
            Self::Other(s) => s,
        }
    }
}

/// The TTL split of a cache write. Absent on `message_delta` usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CacheCreation {
    #[serde(default)]
    pub ephemeral_5m_input_tokens: u64,
    #[serde(default)]
    pub ephemeral_1h_input_tokens: u64,
}

/// Token usage of one response. `input_tokens` counts only tokens after the last cache
/// breakpoint; the whole prompt is input + cache writes + cache reads.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cache_creation_input_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cache_read_input_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation: Option<CacheCreation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn null_as_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(d)?.unwrap_or(0))
}

impl Usage {
    /// All prompt tokens of the request: uncached input, cache writes and cache reads.
    pub fn prompt_tokens(&self) -> u64 {
        self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens
    }

    /// Folds a `message_delta` usage in. Its counts are cumulative totals, so present
    /// fields *replace* the running values; adding them double counts.
    pub fn apply_delta(&mut self, delta: &DeltaUsage) {
        if let Some(v) = delta.output_tokens {
            self.output_tokens = v;
        }
        if let Some(v) = delta.input_tokens {
            self.input_tokens = v;
        }
        if let Some(v) = delta.cache_creation_input_tokens {
            self.cache_creation_input_tokens = v;
        }
        if let Some(v) = delta.cache_read_input_tokens {
            self.cache_read_input_tokens = v;
        }
        if let Some(v) = &delta.server_tool_use {
            self.server_tool_use = Some(v.clone());
        }
        // Newer fields (`output_tokens_details`, `iterations`, `fallback_credit`) are
        // cumulative too: the latest value replaces the earlier one.
        for (key, value) in &delta.extra {
            if !value.is_null() {
                self.extra.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Usage as sent on `message_delta`: cumulative totals, any field may be missing or null.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeltaUsage {
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub server_tool_use: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A complete assistant message (non-streaming response, or the folded stream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub model: String,
    #[serde(default = "assistant")]
    pub role: Role,
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    #[serde(default)]
    pub stop_sequence: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn assistant() -> Role {
    Role::Assistant
}

impl MessageResponse {
    /// The message as it goes back into the conversation: content verbatim.
    pub fn to_message(&self) -> Message {
        Message {
            role: Role::Assistant,
            content: self.content.clone(),
        }
    }

    /// The concatenated text of the answer's text blocks.
    pub fn text(&self) -> String {
        joined_text(&self.content)
    }

    /// The client tool calls in this answer, in order.
    pub fn tool_uses(&self) -> impl Iterator<Item = &ToolUseBlock> {
        self.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse(t) => Some(t),
            _ => None,
        })
    }
}

/// The `error` object of an error body or an `error` stream event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ErrorObject {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub message: String,
}

/// An HTTP error body: `{"type":"error","error":{...},"request_id":...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: ErrorObject,
    #[serde(default)]
    pub request_id: Option<String>,
}

/// One entry of `GET /v1/models`. Capabilities are kept as JSON; newer fields (`line`,
/// `lifecycle`) may be absent on older servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub max_input_tokens: Option<u64>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub line: Option<String>,
    #[serde(default)]
    pub lifecycle: Option<String>,
    #[serde(default)]
    pub capabilities: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelsPage {
    pub data: Vec<ModelInfo>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub first_id: Option<String>,
    #[serde(default)]
    pub last_id: Option<String>,
}

/// The answer of `POST /v1/messages/count_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCount {
    pub input_tokens: u64,
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
