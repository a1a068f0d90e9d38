//! (Interface stub; implementation pending.)

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at byte {offset}: {message}")]
pub struct PartialJsonError {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct PartialJson {}

impl PartialJson {
    pub fn new() -> Self {
        Self {}
    }

    pub fn push(&mut self, _chunk: &str) {
        todo!()
    }

    pub fn current(&self) -> Value {
        todo!()
    }

    pub fn error(&self) -> Option<&PartialJsonError> {
        todo!()
    }

    pub fn finish(self) -> Result<Value, PartialJsonError> {
        todo!()
    }
}
