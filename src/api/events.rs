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
    /// Why a refusal refused (`{type, category, explanation}`); kept in the message's
    /// `stop_details`.
    #[serde(default)]
    pub stop_details: Option<Value>,
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
struct BlockDeltaData<'a> {
    index: usize,
    #[serde(borrow)]
    delta: RawDelta<'a>,
}

/// A `delta` read as a flat struct, then turned into a [`Delta`]. Deriving through the
/// internally tagged enum makes serde buffer every field first, which made this event
/// (by far the most frequent) about 2.5x slower to parse.
#[derive(Deserialize)]
struct RawDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(default)]
    text: StringField,
    #[serde(default)]
    partial_json: StringField,
    #[serde(default)]
    thinking: StringField,
    #[serde(default)]
    signature: StringField,
    #[serde(default)]
    citation: Option<Value>,
}

impl RawDelta<'_> {
    fn into_delta(self) -> Result<Delta, String> {
        let field = |v: StringField, name: &str| {
            v.0.ok_or_else(|| format!("`{}` without a string `{name}`", self.kind))
        };
        Ok(match &*self.kind {
            "text_delta" => Delta::TextDelta {
                text: field(self.text, "text")?,
            },
            "input_json_delta" => Delta::InputJsonDelta {
                partial_json: field(self.partial_json, "partial_json")?,
            },
            "thinking_delta" => Delta::ThinkingDelta {
                thinking: field(self.thinking, "thinking")?,
            },
            "signature_delta" => Delta::SignatureDelta {
                signature: field(self.signature, "signature")?,
            },
            "citations_delta" => Delta::CitationsDelta {
                citation: self
                    .citation
                    .ok_or("`citations_delta` without a `citation`")?,
            },
            _ => Delta::Unknown,
        })
    }
}

/// A field kept only when it is a string: an unknown delta type may reuse a name with
/// another type, and unknown deltas must not fail to parse.
#[derive(Default)]
struct StringField(Option<String>);

impl<'de> Deserialize<'de> for StringField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Anything but a string is read as JSON and dropped.
        Ok(match Value::deserialize(d)? {
            Value::String(s) => StringField(Some(s)),
            _ => StringField(None),
        })
    }
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
    #[serde(default)]
    stop_details: Option<Value>,
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
                if let Some(event) = fast_text_delta(data) {
                    return Ok(event);
                }
                let d: BlockDeltaData = serde_json::from_str(data).map_err(err)?;
                let delta = d.delta.into_delta().map_err(|reason| EventParseError {
                    event: kind.to_owned(),
                    reason,
                })?;
                Self::ContentBlockDelta {
                    index: d.index,
                    delta,
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
                    stop_details: d.delta.stop_details,
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

/// The most frequent event by far, in the exact shape the API writes it:
/// `{"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"..."}}`.
/// Read without serde: one pass over the text, unescaping as it goes. Any other shape or
/// spacing, and any malformed string, returns `None` and takes the general path, so the
/// result is always what serde would give (a property test checks this).
fn fast_text_delta(data: &str) -> Option<StreamEvent> {
    const HEAD: &str = r#"{"type":"content_block_delta","index":"#;
    const MID: &str = r#","delta":{"type":"text_delta","text":""#;
    let rest = data.strip_prefix(HEAD)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let index: usize = rest[..digits].parse().ok()?;
    let (text, tail) = json_string_body(rest[digits..].strip_prefix(MID)?)?;
    (tail == "}}").then_some(StreamEvent::ContentBlockDelta {
        index,
        delta: Delta::TextDelta { text },
    })
}

/// Decodes a JSON string body up to its closing quote; returns it and what follows.
fn json_string_body(s: &str) -> Option<(String, &str)> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    loop {
        let at = i + memchr::memchr2(b'"', b'\\', &bytes[i..])?;
        let span = &s[i..at];
        // JSON strings may not hold raw control characters; serde reports those.
        if span.bytes().any(|b| b < 0x20) {
            return None;
        }
        out.push_str(span);
        if bytes[at] == b'"' {
            return Some((out, &s[at + 1..]));
        }
        i = at + 2;
        match *bytes.get(at + 1)? {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let (c, used) = unicode_escape(&s[at + 2..])?;
                out.push(c);
                i = at + 2 + used;
            }
            _ => return None,
        }
    }
}

/// The character of a `\uXXXX` escape (without the `\u`), pairing surrogates; returns it
/// and the bytes consumed. Lone surrogates return `None`, as serde rejects them.
fn unicode_escape(s: &str) -> Option<(char, usize)> {
    let hex = |h: &str| {
        u32::from_str_radix(h, 16)
            .ok()
            .filter(|_| h.len() == 4 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let first = hex(s.get(..4)?)?;
    if !(0xD800..0xDC00).contains(&first) {
        return char::from_u32(first).map(|c| (c, 4));
    }
    let low = hex(s.get(4..10)?.strip_prefix("\\u")?)?;
    if !(0xDC00..0xE000).contains(&low) {
        return None;
    }
    char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)).map(|c| (c, 10))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The fast path gives exactly what the general path gives, or steps aside.
        #[test]
        fn fast_text_delta_agrees_with_serde(text in any::<String>(), index in 0usize..100_000) {
            let data = serde_json::json!({
                "type": "content_block_delta", "index": index,
                "delta": {"type": "text_delta", "text": text}
            }).to_string();
            let general: BlockDeltaData = serde_json::from_str(&data).unwrap();
            let general = StreamEvent::ContentBlockDelta {
                index: general.index,
                delta: general.delta.into_delta().unwrap(),
            };
            if let Some(fast) = fast_text_delta(&data) {
                prop_assert_eq!(fast, general.clone());
            }
            prop_assert_eq!(StreamEvent::parse("content_block_delta", &data).unwrap(), general);
        }
    }

    #[test]
    fn fast_text_delta_steps_aside_for_other_shapes() {
        for data in [
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\ud83d"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\x"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a	b"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ab"},"x":1}"#,
            r#"{"type": "content_block_delta","index":0,"delta":{"type":"text_delta","text":"ab"}}"#,
            r#"{"type":"content_block_delta","index":,"delta":{"type":"text_delta","text":"ab"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ab"#,
        ] {
            assert_eq!(fast_text_delta(data), None, "{data}");
        }
        let escaped = r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\"b\n\u00e9\ud83d\ude00\/"}}"#;
        assert!(matches!(
            fast_text_delta(escaped),
            Some(StreamEvent::ContentBlockDelta { delta: Delta::TextDelta { text }, .. }) if text == "a\"b\né😀/"
        ));
        assert_eq!(
            fast_text_delta(
                r#"{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"héllo 😀"}}"#
            ),
            Some(StreamEvent::ContentBlockDelta {
                index: 3,
                delta: Delta::TextDelta {
                    text: "héllo 😀".into()
                }
            })
        );
    }

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
    fn every_delta_type_parses_and_odd_fields_do_not_break_unknown_ones() {
        let parse = |d: &str| {
            StreamEvent::parse(
                "content_block_delta",
                &format!(r#"{{"index":0,"delta":{d}}}"#),
            )
        };
        let delta = |d: &str| match parse(d).unwrap() {
            StreamEvent::ContentBlockDelta { delta, .. } => delta,
            e => panic!("{e:?}"),
        };
        assert_eq!(
            delta(r#"{"type":"text_delta","text":"é"}"#),
            Delta::TextDelta { text: "é".into() }
        );
        assert_eq!(
            delta(r#"{"type":"thinking_delta","thinking":"\u00e9"}"#),
            Delta::ThinkingDelta {
                thinking: "é".into()
            }
        );
        assert_eq!(
            delta(r#"{"signature":"s","type":"signature_delta"}"#),
            Delta::SignatureDelta {
                signature: "s".into()
            }
        );
        assert_eq!(
            delta(r#"{"type":"citations_delta","citation":{"url":"u"}}"#),
            Delta::CitationsDelta {
                citation: serde_json::json!({"url":"u"})
            }
        );
        assert_eq!(
            delta(r#"{"type":"new_delta","text":{"rich":true}}"#),
            Delta::Unknown
        );
        assert!(parse(r#"{"type":"text_delta"}"#).is_err());
        assert!(parse(r#"{"type":"text_delta","text":3}"#).is_err());
        assert!(parse(r#"{"type":"citations_delta"}"#).is_err());
        assert!(parse(r#"{"text":"x"}"#).is_err());
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
