//! The resumable lexers for the scalar tokens of [`super::PartialJson`]: strings (with
//! escapes that may be split anywhere, surrogate pairs included), numbers (checked against
//! the JSON grammar byte by byte, converted by serde_json once complete) and the literals
//! `true`, `false` and `null`.
//!
//! Each lexer holds only the token in progress, so feeding it the next fragment costs
//! O(fragment) no matter how much came before.

use serde_json::{Number, Value};

/// A lexing failure: the byte index in the current chunk and what was wrong there.
pub(super) type LexError = (usize, &'static str);

/// What is held back from a string because it is not a complete character yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    /// After `\`.
    Backslash,
    /// Inside `\uXXXX`: `digits` hex digits read so far, following a high surrogate if
    /// `high` is set.
    Hex {
        high: Option<u16>,
        digits: u8,
        value: u16,
    },
    /// A complete high surrogate escape; its low half must follow as `\uXXXX`.
    AfterHigh(u16),
    AfterHighBackslash(u16),
}

/// A string in progress; `text` holds every complete character decoded so far.
#[derive(Debug, Clone)]
pub(super) struct StrLexer {
    text: String,
    esc: Escape,
}

impl StrLexer {
    pub(super) fn new() -> Self {
        Self {
            text: String::new(),
            esc: Escape::None,
        }
    }

    /// The complete characters so far (a partial escape is held back).
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    pub(super) fn into_text(self) -> String {
        self.text
    }

    /// Consumes `chunk[pos..]` up to and including the closing quote. Returns where to
    /// continue and whether the string is complete.
    pub(super) fn feed(&mut self, chunk: &str, mut pos: usize) -> Result<(usize, bool), LexError> {
        let bytes = chunk.as_bytes();
        while pos < bytes.len() {
            if self.esc != Escape::None {
                self.escape_byte(bytes[pos]).map_err(|m| (pos, m))?;
                pos += 1;
                continue;
            }
            // Copy the run of plain characters in one go. It ends at an ASCII byte or at
            // the end of the chunk, so both ends are character boundaries.
            let end = bytes[pos..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .map_or(bytes.len(), |n| pos + n);
            let run = chunk
                .get(pos..end)
                .ok_or((pos, "split inside a character"))?;
            self.text.push_str(run);
            pos = end;
            match bytes.get(pos) {
                None => break,
                Some(b'"') => return Ok((pos + 1, true)),
                Some(b'\\') => {
                    self.esc = Escape::Backslash;
                    pos += 1;
                }
                Some(_) => return Err((pos, "control character inside a string")),
            }
        }
        Ok((pos, false))
    }

    fn escape_byte(&mut self, b: u8) -> Result<(), &'static str> {
        self.esc = match self.esc {
            Escape::None => return Err("no escape in progress"),
            Escape::Backslash => {
                let c = match b {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'u' => {
                        self.esc = Escape::Hex {
                            high: None,
                            digits: 0,
                            value: 0,
                        };
                        return Ok(());
                    }
                    _ => return Err("invalid escape"),
                };
                self.text.push(c);
                Escape::None
            }
            Escape::Hex {
                high,
                digits,
                value,
            } => {
                let digit = (b as char).to_digit(16).ok_or("invalid \\u escape")?;
                // Four hex digits fit a u16 exactly; `digit` is below 16.
                let value = (value << 4) | digit as u16;
                if digits < 3 {
                    Escape::Hex {
                        high,
                        digits: digits + 1,
                        value,
                    }
                } else {
                    self.code_unit(high, value)?
                }
            }
            Escape::AfterHigh(h) if b == b'\\' => Escape::AfterHighBackslash(h),
            Escape::AfterHighBackslash(h) if b == b'u' => Escape::Hex {
                high: Some(h),
                digits: 0,
                value: 0,
            },
            Escape::AfterHigh(_) | Escape::AfterHighBackslash(_) => {
                return Err("lone leading surrogate in \\u escape");
            }
        };
        Ok(())
    }

    /// Resolves one complete `\uXXXX`; serde_json rejects unpaired surrogates, and so
    /// does this, so both parsers accept the same strings.
    fn code_unit(&mut self, high: Option<u16>, unit: u16) -> Result<Escape, &'static str> {
        let code = match high {
            Some(h) if (0xDC00..=0xDFFF).contains(&unit) => {
                0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(unit) - 0xDC00)
            }
            Some(_) => return Err("lone leading surrogate in \\u escape"),
            None if (0xD800..=0xDBFF).contains(&unit) => return Ok(Escape::AfterHigh(unit)),
            None if (0xDC00..=0xDFFF).contains(&unit) => {
                return Err("lone trailing surrogate in \\u escape");
            }
            None => u32::from(unit),
        };
        self.text
            .push(char::from_u32(code).ok_or("invalid \\u escape")?);
        Ok(Escape::None)
    }
}

/// Where a number is in the JSON number grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumState {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpInt,
}

impl NumState {
    fn is_complete(self) -> bool {
        matches!(self, Self::Zero | Self::Int | Self::Frac | Self::ExpInt)
    }

    fn next(self, b: u8) -> Option<Self> {
        use NumState::*;
        Some(match (self, b) {
            (Minus, b'0') => Zero,
            (Minus | Int, b'0'..=b'9') => Int,
            (Zero | Int, b'.') => Dot,
            (Dot | Frac, b'0'..=b'9') => Frac,
            (Zero | Int | Frac, b'e' | b'E') => Exp,
            (Exp, b'+' | b'-') => ExpSign,
            (Exp | ExpSign | ExpInt, b'0'..=b'9') => ExpInt,
            _ => return None,
        })
    }
}

/// A number in progress: its lexeme so far, checked against the grammar as it grows.
#[derive(Debug, Clone)]
pub(super) struct NumLexer {
    text: String,
    state: NumState,
    /// Length of the longest prefix that is a complete number (for previews).
    complete_len: usize,
}

impl NumLexer {
    /// Starts a number at its first byte, or `None` if `b` cannot start one.
    pub(super) fn start(b: u8) -> Option<Self> {
        let state = match b {
            b'-' => NumState::Minus,
            b'0' => NumState::Zero,
            b'1'..=b'9' => NumState::Int,
            _ => return None,
        };
        Some(Self {
            text: char::from(b).to_string(),
            state,
            complete_len: usize::from(state.is_complete()),
        })
    }

    /// Consumes the bytes of `chunk[pos..]` that extend the number. Returns where the
    /// number stopped (the chunk's length if it may still continue).
    pub(super) fn feed(&mut self, chunk: &str, mut pos: usize) -> usize {
        let bytes = chunk.as_bytes();
        let start = pos;
        while let Some(next) = bytes.get(pos).and_then(|&b| self.state.next(b)) {
            self.state = next;
            pos += 1;
            if next.is_complete() {
                self.complete_len = self.text.len() + (pos - start);
            }
        }
        // Every byte a number accepts is ASCII, so this slice is on character boundaries.
        self.text
            .push_str(chunk.get(start..pos).unwrap_or_default());
        pos
    }

    /// The finished number, once a byte that cannot extend it (or the end) is reached.
    pub(super) fn finish(&self) -> Result<Value, &'static str> {
        if !self.state.is_complete() {
            return Err("invalid number");
        }
        to_number(&self.text).ok_or("number out of range")
    }

    /// The longest complete prefix as a number, if there is one.
    pub(super) fn preview(&self) -> Option<Value> {
        to_number(self.text.get(..self.complete_len)?)
    }
}

/// Converts a complete lexeme with serde_json's own number parser, so precision and
/// range match `serde_json::from_str` exactly.
fn to_number(lexeme: &str) -> Option<Value> {
    lexeme.parse::<Number>().ok().map(Value::Number)
}

/// `true`, `false` or `null` in progress.
#[derive(Debug, Clone, Copy)]
pub(super) struct LitLexer {
    word: &'static [u8],
    matched: usize,
}

impl LitLexer {
    pub(super) fn start(b: u8) -> Option<Self> {
        let word: &'static [u8] = match b {
            b't' => b"true",
            b'f' => b"false",
            b'n' => b"null",
            _ => return None,
        };
        Some(Self { word, matched: 1 })
    }

    /// Consumes the rest of the literal from `chunk[pos..]`. Returns where to continue and
    /// the value once the word is complete.
    pub(super) fn feed(
        &mut self,
        bytes: &[u8],
        mut pos: usize,
    ) -> Result<(usize, Option<Value>), LexError> {
        while let (Some(&want), Some(&got)) = (self.word.get(self.matched), bytes.get(pos)) {
            if want != got {
                return Err((pos, "invalid literal"));
            }
            self.matched += 1;
            pos += 1;
        }
        if self.matched < self.word.len() {
            return Ok((pos, None));
        }
        let value = match self.word {
            b"true" => Value::Bool(true),
            b"false" => Value::Bool(false),
            _ => Value::Null,
        };
        Ok((pos, Some(value)))
    }
}
