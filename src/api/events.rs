//! The typed events of a streamed Messages response, parsed from SSE frames.
//!
//! One SSE frame (`event:` name + `data:` JSON) becomes one [`StreamEvent`]. Dispatch is on
//! the event name, falling back to the JSON `type` when the name is missing. Per the API's
//! versioning policy, unknown event names and unknown delta types are not errors: they
//! become [`StreamEvent::Unknown`] / [`Delta::Unknown`] and are skipped by consumers.
//! A known event whose JSON is malformed *is* an error ([`EventParseError`]).

use serde::Deserialize;
use serde_json::Value;

use super::wire::{ContentBlock, DeltaUsage, ErrorObject, MessageResponse, StopReason};

/// One event of a Messages stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    MessageStart(MessageResponse),
    ContentBlockStart {
        index: usize,
        block: ContentBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: Delta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta(MessageDelta),
    MessageStop,
    Ping,
    /// An `error` event: the stream ends with this error.
    Error(ErrorObject),
    /// An event type this client does not know; ignored.
    Unknown(String),
}

/// A `content_block_delta` payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    SignatureDelta {
        signature: String,
    },
    CitationsDelta {
        citation: Value,
    },
    #[serde(other)]
    Unknown,
}

/// The top-level changes of a `message_delta` event.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct MessageDelta {
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    #[serde(default)]
    pub stop_sequence: Option<String>,
    #[serde(default)]
    pub usage: DeltaUsage,
}

/// A known event whose payload could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed `{event}` event: {reason}")]
pub struct EventParseError {
    pub event: String,
    pub reason: String,
}

#[derive(Deserialize)]
struct MessageStartData {
    message: MessageResponse,
}

#[derive(Deserialize)]
struct BlockStartData {
    index: usize,
    content_block: ContentBlock,
}

#[derive(Deserialize)]
struct BlockDeltaData {
    index: usize,
    delta: Delta,
}

#[derive(Deserialize)]
struct BlockStopData {
    index: usize,
}

#[derive(Deserialize)]
struct MessageDeltaData {
    #[serde(default)]
    delta: MessageDeltaBody,
    #[serde(default)]
    usage: DeltaUsage,
}

#[derive(Deserialize, Default)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<StopReason>,
    #[serde(default)]
    stop_sequence: Option<String>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    error: ErrorObject,
}

#[derive(Deserialize)]
struct TypeOnly<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

impl StreamEvent {
    /// Parses one SSE frame. `name` is the `event:` field (empty when absent).
    pub fn parse(name: &str, data: &str) -> Result<Self, EventParseError> {
        let owned_kind;
        let kind = if name.is_empty() || name == "message" {
            // No event name: fall back to the JSON's own `type` field.
            owned_kind = serde_json::from_str::<TypeOnly>(data)
                .ok()
                .and_then(|t| t.kind)
                .map(|k| k.into_owned())
                .unwrap_or_default();
            owned_kind.as_str()
        } else {
            name
        };
        let err = |e: serde_json::Error| EventParseError {
            event: kind.to_owned(),
            reason: e.to_string(),
        };
        Ok(match kind {
            "message_start" => {
                let d: MessageStartData = serde_json::from_str(data).map_err(err)?;
                Self::MessageStart(d.message)
            }
            "content_block_start" => {
                let d: BlockStartData = serde_json::from_str(data).map_err(err)?;
                Self::ContentBlockStart {
                    index: d.index,
                    block: d.content_block,
                }
            }
            "content_block_delta" => {
                let d: BlockDeltaData = serde_json::from_str(data).map_err(err)?;
                Self::ContentBlockDelta {
                    index: d.index,
                    delta: d.delta,
                }
            }
            "content_block_stop" => {
                let d: BlockStopData = serde_json::from_str(data).map_err(err)?;
                Self::ContentBlockStop { index: d.index }
            }
            "message_delta" => {
                let d: MessageDeltaData = serde_json::from_str(data).map_err(err)?;
                Self::MessageDelta(MessageDelta {
                    stop_reason: d.delta.stop_reason,
                    stop_sequence: d.delta.stop_sequence,
                    usage: d.usage,
                })
            }
            "message_stop" => Self::MessageStop,
            "ping" => Self::Ping,
            "error" => {
                let d: ErrorData = serde_json::from_str(data).map_err(err)?;
                Self::Error(d.error)
            }
            other => Self::Unknown(other.to_owned()),
        })
    }

    /// True for events that carry answer content; a failure after one of these means
    /// the answer was partially shown and must not be silently retried.
    pub fn is_content(&self) -> bool {
        matches!(
            self,
            Self::ContentBlockStart { .. } | Self::ContentBlockDelta { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_deltas_and_skips_unknowns() {
        let e = StreamEvent::parse(
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            StreamEvent::ContentBlockDelta {
                index: 1,
                delta: Delta::InputJsonDelta {
                    partial_json: "{\"a\"".into()
                }
            }
        );
        let e = StreamEvent::parse(
            "content_block_delta",
            r#"{"index":0,"delta":{"type":"hologram_delta","x":1}}"#,
        )
        .unwrap();
        assert!(matches!(
            e,
            StreamEvent::ContentBlockDelta {
                delta: Delta::Unknown,
                ..
            }
        ));
        assert_eq!(
            StreamEvent::parse("telemetry", "{}").unwrap(),
            StreamEvent::Unknown("telemetry".into())
        );
    }

    #[test]
    fn missing_event_name_uses_the_json_type() {
        let e = StreamEvent::parse("", r#"{"type":"message_stop"}"#).unwrap();
        assert_eq!(e, StreamEvent::MessageStop);
    }

    #[test]
    fn malformed_known_event_is_an_error() {
        let e = StreamEvent::parse("content_block_stop", "{\"index\":").unwrap_err();
        assert_eq!(e.event, "content_block_stop");
    }

    #[test]
    fn error_event_carries_the_api_error() {
        let e = StreamEvent::parse(
            "error",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            StreamEvent::Error(ErrorObject {
                kind: "overloaded_error".into(),
                message: "Overloaded".into()
            })
        );
    }
}
