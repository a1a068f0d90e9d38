//! Server-sent events: bytes in, frames out. (Interface stub; implementation pending.)

/// The default cap on one event's size.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event: the `event:` name (empty when absent) and the joined `data:` lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseFrame {
    pub event: String,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an event exceeded the {limit}-byte limit")]
    TooLarge { limit: usize },
    #[error("invalid UTF-8 in the event stream")]
    InvalidUtf8,
}

#[derive(Debug, Default)]
pub struct SseDecoder {}

impl SseDecoder {
    pub fn new() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    pub fn with_max_event_bytes(_limit: usize) -> Self {
        Self {}
    }

    pub fn push(&mut self, _chunk: &[u8], _out: &mut Vec<SseFrame>) -> Result<(), SseError> {
        todo!()
    }

    pub fn finish(&mut self, _out: &mut Vec<SseFrame>) -> Result<(), SseError> {
        todo!()
    }
}
