//! Incremental, linear-time parsing of JSON that arrives in fragments (tool inputs).
//!
//! The model: [`PartialJson`] is a resumable push parser. It keeps a stack of the open
//! containers *as values being built* (an object's members so far and its pending key, an
//! array's elements so far) plus the scalar token in progress (see [`lexeme`]). Each
//! [`PartialJson::push`] continues exactly where the previous one stopped, so a fragment
//! costs O(fragment) and a whole input costs O(input), unlike re-parsing the growing text
//! on every delta (O(n²), the trap the official SDKs fell into).
//!
//! [`PartialJson::current`] materialises the best value so far by cloning the stack from
//! the innermost partial value outwards: O(size of the value), meant for display rate,
//! not for every delta. What it shows:
//! - containers with their complete members so far;
//! - a string as it grows, with complete characters only (a half escape is held back);
//! - a number as its longest complete prefix (`12.` shows 12, `-` shows nothing);
//! - literals only once complete; an object key only once its value has started.
//!
//! Invariants:
//! - The grammar is RFC 8259's, checked as bytes arrive; the first invalid byte stops
//!   parsing for good ([`PartialJson::error`]) and `current()` keeps the value up to it.
//! - A completed input gives exactly what `serde_json::from_str` gives: numbers go through
//!   serde_json's own parser, duplicate keys keep the last value, unpaired surrogates and
//!   control characters in strings are errors, and nesting is limited to [`MAX_DEPTH`],
//!   serde_json's own limit, so any value accepted here can be read back by serde_json.
//! - Nothing recurses on the input's nesting, so hostile input cannot overflow the stack.
//!
//! Events: [`PartialJson::push_with`] also reports each token as its bytes are accepted
//! ([`JsonEvent`]: containers opening and closing, strings growing by decoded characters,
//! numbers and literals growing by their bytes, colons and commas) to a [`JsonSink`]. That
//! is the O(delta) feed for displays that must not rebuild the value on every fragment
//! (see [`super::pretty_json`]). Only bytes the grammar accepted are reported, in input
//! order, whitespace left out; after an error nothing more is.

mod lexeme;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use lexeme::{LexError, LitLexer, NumLexer, StrLexer};

/// The deepest nesting of arrays and objects accepted (serde_json's recursion limit).
pub const MAX_DEPTH: usize = 127;

/// Why the input is not (or not yet) one JSON value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at byte {offset}: {message}")]
pub struct PartialJsonError {
    /// Byte offset in the concatenated input (the input's length for a truncated input).
    pub offset: usize,
    pub message: String,
}

/// Which kind of container a [`JsonEvent`] opens or closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Object,
    Array,
}

/// One step of the input's tokens, reported as its bytes arrive (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonEvent<'a> {
    /// `{` or `[`.
    Open(Container),
    /// `}` or `]`.
    Close(Container),
    /// A string's opening quote: an object key or a value.
    StringStart {
        key: bool,
    },
    /// More characters of the open string, escapes decoded (a partial escape is held back
    /// until it is complete).
    StringText(&'a str),
    /// The open string's closing quote.
    StringEnd,
    /// More bytes of a number, as written (the first piece starts the number).
    Number(&'a str),
    /// More bytes of `true`, `false` or `null`, as written.
    Literal(&'a str),
    Colon,
    Comma,
}

/// Receives [`JsonEvent`]s from [`PartialJson::push_with`].
pub trait JsonSink {
    fn event(&mut self, event: JsonEvent<'_>);
}

/// No sink: what [`PartialJson::push`] uses.
impl JsonSink for () {
    fn event(&mut self, _: JsonEvent<'_>) {}
}

/// An open container, as a value being built.
#[derive(Debug)]
enum Frame {
    /// `key` is the member whose value comes next (set once its key string is complete).
    Object {
        map: Map<String, Value>,
        key: Option<String>,
    },
    Array(Vec<Value>),
}

/// What the grammar allows at the next non-whitespace byte, between tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value: at the start, after `:`, or after `,` in an array.
    Value,
    /// A value or `]`: right after `[`.
    ValueOrClose,
    /// A key or `}`: right after `{`.
    KeyOrClose,
    /// A key: after `,` in an object.
    Key,
    Colon,
    CommaOrClose,
    /// Only whitespace may follow the top-level value.
    End,
}

/// The scalar token in progress, if any.
#[derive(Debug)]
enum Token {
    None,
    Str { lexer: StrLexer, is_key: bool },
    Num(NumLexer),
    Lit(LitLexer),
}

/// An incremental JSON parser; see the module docs.
#[derive(Debug)]
pub struct PartialJson {
    stack: Vec<Frame>,
    expect: Expect,
    token: Token,
    /// The completed top-level value.
    root: Option<Value>,
    /// Bytes consumed by earlier pushes: turns chunk positions into input offsets.
    offset: usize,
    error: Option<PartialJsonError>,
}

impl Default for PartialJson {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialJson {
    pub fn new() -> Self {
        Self {
            stack: Vec::new(),
            expect: Expect::Value,
            token: Token::None,
            root: None,
            offset: 0,
            error: None,
        }
    }

    /// Consumes the next fragment. Does nothing once an error has been found.
    pub fn push(&mut self, chunk: &str) {
        self.push_with(chunk, &mut ());
    }

    /// [`push`](Self::push), reporting the fragment's tokens to `sink` as they are
    /// accepted (see the module docs).
    pub fn push_with<S: JsonSink + ?Sized>(&mut self, chunk: &str, sink: &mut S) {
        if self.error.is_some() {
            return;
        }
        let mut pos = 0;
        while pos < chunk.len() {
            let step = match self.token {
                Token::None => self.structural(chunk.as_bytes(), pos, sink),
                _ => self.continue_token(chunk, pos, sink),
            };
            match step {
                Ok(next) => pos = next,
                Err((at, message)) => {
                    self.error = Some(PartialJsonError {
                        offset: self.offset + at,
                        message: message.to_owned(),
                    });
                    return;
                }
            }
        }
        self.offset += chunk.len();
    }

    /// The first error found, if any; parsing stopped there.
    pub fn error(&self) -> Option<&PartialJsonError> {
        self.error.as_ref()
    }

    /// The best value so far (see the module docs). Empty or whitespace-only input shows
    /// as `{}`, as it finishes; a top-level scalar with nothing showable yet is `null`.
    pub fn current(&self) -> Value {
        if let Some(root) = &self.root {
            return root.clone();
        }
        let mut child = self.token_preview();
        for frame in self.stack.iter().rev() {
            child = Some(match frame {
                Frame::Array(items) => {
                    let mut items = items.clone();
                    items.extend(child);
                    Value::Array(items)
                }
                Frame::Object { map, key } => {
                    let mut map = map.clone();
                    if let (Some(k), Some(v)) = (key, child) {
                        map.insert(k.clone(), v);
                    }
                    Value::Object(map)
                }
            });
        }
        match child {
            Some(v) => v,
            None if matches!(self.token, Token::None) => Value::Object(Map::new()),
            None => Value::Null,
        }
    }

    /// The complete value. Empty or whitespace-only input is `{}` (a tool called without
    /// arguments); truncated or invalid input is an error.
    pub fn finish(mut self) -> Result<Value, PartialJsonError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        // A top-level number has no closing byte: the end of input completes it.
        if let Token::Num(num) = &self.token {
            let value = num.finish().map_err(|m| self.eof_error(m))?;
            self.token = Token::None;
            self.complete_value(value);
        }
        if let Some(root) = self.root {
            return Ok(root);
        }
        if self.stack.is_empty() && matches!(self.token, Token::None) {
            return Ok(Value::Object(Map::new()));
        }
        let inside = match (&self.token, self.stack.last()) {
            (Token::Str { .. }, _) => "unterminated string",
            (Token::Lit(_), _) => "incomplete literal",
            (_, Some(Frame::Object { .. })) => "unterminated object",
            _ => "unterminated array",
        };
        Err(self.eof_error(inside))
    }

    fn eof_error(&self, message: &str) -> PartialJsonError {
        PartialJsonError {
            offset: self.offset,
            message: format!("unexpected end of input: {message}"),
        }
    }

    fn token_preview(&self) -> Option<Value> {
        match &self.token {
            Token::Str {
                lexer,
                is_key: false,
            } => Some(Value::String(lexer.text().to_owned())),
            Token::Num(num) => num.preview(),
            Token::None | Token::Str { is_key: true, .. } | Token::Lit(_) => None,
        }
    }

    /// Handles the byte at `pos` between tokens; returns where to continue.
    fn structural<S: JsonSink + ?Sized>(
        &mut self,
        bytes: &[u8],
        pos: usize,
        sink: &mut S,
    ) -> Result<usize, LexError> {
        let b = bytes[pos];
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            let run = bytes[pos..]
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                .count();
            return Ok(pos + run);
        }
        let in_object = matches!(self.stack.last(), Some(Frame::Object { .. }));
        match (self.expect, b) {
            (Expect::ValueOrClose, b']') | (Expect::KeyOrClose, b'}') => self.close(sink),
            (Expect::CommaOrClose, b']') if !in_object => self.close(sink),
            (Expect::CommaOrClose, b'}') if in_object => self.close(sink),
            (Expect::Value | Expect::ValueOrClose, _) => return self.start_value(b, pos, sink),
            (Expect::KeyOrClose | Expect::Key, b'"') => {
                self.token = Token::Str {
                    lexer: StrLexer::new(),
                    is_key: true,
                };
                sink.event(JsonEvent::StringStart { key: true });
            }
            (Expect::Colon, b':') => {
                self.expect = Expect::Value;
                sink.event(JsonEvent::Colon);
            }
            (Expect::CommaOrClose, b',') => {
                self.expect = if in_object {
                    Expect::Key
                } else {
                    Expect::Value
                };
                sink.event(JsonEvent::Comma);
            }
            (Expect::KeyOrClose, _) => return Err((pos, "expected a string key or '}'")),
            (Expect::Key, _) => return Err((pos, "expected a string key")),
            (Expect::Colon, _) => return Err((pos, "expected ':'")),
            (Expect::CommaOrClose, _) if in_object => return Err((pos, "expected ',' or '}'")),
            (Expect::CommaOrClose, _) => return Err((pos, "expected ',' or ']'")),
            (Expect::End, _) => return Err((pos, "trailing characters after the JSON value")),
        }
        Ok(pos + 1)
    }

    fn start_value<S: JsonSink + ?Sized>(
        &mut self,
        b: u8,
        pos: usize,
        sink: &mut S,
    ) -> Result<usize, LexError> {
        let frame = match b {
            b'{' => Frame::Object {
                map: Map::new(),
                key: None,
            },
            b'[' => Frame::Array(Vec::new()),
            b'"' => {
                self.token = Token::Str {
                    lexer: StrLexer::new(),
                    is_key: false,
                };
                sink.event(JsonEvent::StringStart { key: false });
                return Ok(pos + 1);
            }
            _ => {
                // Either lexer accepts only ASCII bytes, so `first` is that one character.
                let byte = [b];
                let first = std::str::from_utf8(&byte).unwrap_or_default();
                match (NumLexer::start(b), LitLexer::start(b)) {
                    (Some(num), _) => {
                        self.token = Token::Num(num);
                        sink.event(JsonEvent::Number(first));
                    }
                    (None, Some(lit)) => {
                        self.token = Token::Lit(lit);
                        sink.event(JsonEvent::Literal(first));
                    }
                    (None, None) => return Err((pos, "expected a JSON value")),
                }
                return Ok(pos + 1);
            }
        };
        if self.stack.len() >= MAX_DEPTH {
            return Err((pos, "nesting too deep"));
        }
        let (expect, container) = match frame {
            Frame::Object { .. } => (Expect::KeyOrClose, Container::Object),
            Frame::Array(_) => (Expect::ValueOrClose, Container::Array),
        };
        self.expect = expect;
        self.stack.push(frame);
        sink.event(JsonEvent::Open(container));
        Ok(pos + 1)
    }

    /// Continues the token in progress from `chunk[pos..]`.
    fn continue_token<S: JsonSink + ?Sized>(
        &mut self,
        chunk: &str,
        pos: usize,
        sink: &mut S,
    ) -> Result<usize, LexError> {
        match &mut self.token {
            Token::None => Ok(pos),
            Token::Str { lexer, .. } => {
                let before = lexer.text().len();
                let fed = lexer.feed(chunk, pos);
                let text = lexer.text().get(before..).unwrap_or_default();
                if !text.is_empty() {
                    sink.event(JsonEvent::StringText(text));
                }
                let (next, done) = fed?;
                if done {
                    sink.event(JsonEvent::StringEnd);
                    self.end_string();
                }
                Ok(next)
            }
            Token::Num(num) => {
                let next = num.feed(chunk, pos);
                if next > pos {
                    sink.event(JsonEvent::Number(chunk.get(pos..next).unwrap_or_default()));
                }
                if next < chunk.len() {
                    // A byte that cannot extend the number ends it; it is not consumed.
                    let value = num.finish().map_err(|m| (next, m))?;
                    self.token = Token::None;
                    self.complete_value(value);
                }
                Ok(next)
            }
            Token::Lit(lit) => {
                let (next, value) = lit.feed(chunk.as_bytes(), pos)?;
                if next > pos {
                    sink.event(JsonEvent::Literal(chunk.get(pos..next).unwrap_or_default()));
                }
                if let Some(value) = value {
                    self.token = Token::None;
                    self.complete_value(value);
                }
                Ok(next)
            }
        }
    }

    fn end_string(&mut self) {
        let Token::Str { lexer, is_key } = std::mem::replace(&mut self.token, Token::None) else {
            return;
        };
        let text = lexer.into_text();
        if !is_key {
            self.complete_value(Value::String(text));
            return;
        }
        if let Some(Frame::Object { key, .. }) = self.stack.last_mut() {
            *key = Some(text);
        }
        self.expect = Expect::Colon;
    }

    fn close<S: JsonSink + ?Sized>(&mut self, sink: &mut S) {
        let value = match self.stack.pop() {
            Some(Frame::Object { map, .. }) => {
                sink.event(JsonEvent::Close(Container::Object));
                Value::Object(map)
            }
            Some(Frame::Array(items)) => {
                sink.event(JsonEvent::Close(Container::Array));
                Value::Array(items)
            }
            None => return,
        };
        self.complete_value(value);
    }

    /// Places a finished value in its parent (or as the root).
    fn complete_value(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
                self.expect = Expect::End;
                return;
            }
            Some(Frame::Array(items)) => items.push(value),
            Some(Frame::Object { map, key }) => {
                // The grammar guarantees a key here; `if let` keeps a bug from panicking.
                if let Some(k) = key.take() {
                    map.insert(k, value);
                }
            }
        }
        self.expect = Expect::CommaOrClose;
    }
}
