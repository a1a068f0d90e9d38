//! A tool input as pretty-printed JSON lines, built while the input streams.
//!
//! The model: [`PrettyJson`] owns a [`PartialJson`] and is the sink of its token events
//! ([`JsonEvent`]). Each event appends to the last line or starts a new one, so a fragment
//! costs O(fragment) however long the input already is, and nothing is ever rebuilt (unlike
//! [`PartialJson::current`], which clones the whole value). The layout is serde_json's
//! `to_string_pretty`: two-space indent, one member or element per line, `{}` and `[]` when
//! empty, `"key": value`. A complete input therefore reads exactly like the pretty-printed
//! value, except that numbers and members are shown as written (input order, duplicates
//! kept).
//!
//! Each [`PrettyLine`] is its text and the [`Token`] kind of each run of it, for colouring.
//!
//! Invariants:
//! - Only the last line changes, and only by appending. Earlier lines are final, so a
//!   display may cache anything it derives from them; the last line's old text is always a
//!   prefix of its new text.
//! - A line holds no newline, tab or other control character: strings are shown
//!   JSON-escaped as serde_json writes them (quotes, backslashes, C0 controls), and DEL,
//!   the C1 controls and the bidi controls are written as `\uXXXX` too, so nothing in a
//!   line can act on a terminal. (Displays still pass the text through
//!   [`crate::sanitize`], the one gate.)
//! - After the parser's first error nothing more is added; the lines show the input up
//!   to it.

use std::fmt::Write as _;
use std::ops::Range;

use super::partial_json::{Container, JsonEvent, JsonSink, PartialJson, PartialJsonError};

/// What a run of a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// Leading spaces.
    Indent,
    /// `{ } [ ] , :` (the colon with its space).
    Punct,
    /// An object key, quotes included.
    Key,
    /// A string value, quotes included (only the opening one while it streams).
    String,
    Number,
    /// `true`, `false`, `null`.
    Literal,
}

/// One line of the pretty-printed input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrettyLine {
    text: String,
    /// The end byte and kind of each run, in order; the first run starts at 0. Every token
    /// is a run of its own, even next to one of the same kind.
    runs: Vec<(usize, Token)>,
}

impl PrettyLine {
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The byte range and kind of each run, in order.
    pub fn runs(&self) -> impl Iterator<Item = (Range<usize>, Token)> + '_ {
        let starts = std::iter::once(0).chain(self.runs.iter().map(|&(end, _)| end));
        starts
            .zip(&self.runs)
            .map(|(start, &(end, token))| (start..end, token))
    }

    /// The kind of the run holding byte `at`, if any.
    pub fn token_at(&self, at: usize) -> Option<Token> {
        let i = self.runs.partition_point(|&(end, _)| end <= at);
        self.runs.get(i).map(|&(_, token)| token)
    }

    /// Where the run holding byte `at` ends (the line's length past the last run).
    pub fn run_end(&self, at: usize) -> usize {
        let i = self.runs.partition_point(|&(end, _)| end <= at);
        self.runs.get(i).map_or(self.text.len(), |&(end, _)| end)
    }

    /// Appends to the last run when `continues`, else starts a new one.
    fn push(&mut self, token: Token, text: &str, continues: bool) {
        self.text.push_str(text);
        self.end_run(token, continues);
    }

    fn end_run(&mut self, token: Token, continues: bool) {
        let end = self.text.len();
        match self.runs.last_mut() {
            Some(last) if continues => last.0 = end,
            _ => self.runs.push((end, token)),
        }
    }
}

/// The pretty-printed view of a streaming JSON input. See the module docs.
#[derive(Debug, Default)]
pub struct PrettyJson {
    parser: PartialJson,
    printer: Printer,
    bytes: usize,
}

impl PrettyJson {
    pub fn new() -> Self {
        Self::default()
    }

    /// Consumes the next fragment of the input: O(fragment).
    pub fn push(&mut self, chunk: &str) {
        self.bytes += chunk.len();
        self.parser.push_with(chunk, &mut self.printer);
    }

    /// The lines so far. Only the last one can still change (see the module docs).
    pub fn lines(&self) -> &[PrettyLine] {
        &self.printer.lines
    }

    /// Bytes of input consumed so far.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The parser's first error; the lines stop there.
    pub fn error(&self) -> Option<&PartialJsonError> {
        self.parser.error()
    }

    /// The lines joined with newlines.
    pub fn to_text(&self) -> String {
        let lines: Vec<&str> = self.printer.lines.iter().map(PrettyLine::text).collect();
        lines.join("\n")
    }

    /// The line on which the value at this JSON pointer (RFC 6901, `""` for the whole
    /// input) starts: for an object member, the line of its key. `None` if the pointer is
    /// malformed or names no value shown. One pass over the lines.
    pub fn line_of(&self, pointer: &str) -> Option<usize> {
        let target = parse_pointer(pointer)?;
        let mut path: Vec<Segment> = Vec::new();
        for (n, line) in self.printer.lines.iter().enumerate() {
            for (range, token) in line.runs() {
                let text = line.text.get(range).unwrap_or_default();
                let starts_value = match token {
                    Token::Key => {
                        if let Some(Segment::Key(key)) = path.last_mut() {
                            *key = serde_json::from_str(text).ok();
                        }
                        false
                    }
                    Token::String | Token::Number | Token::Literal => true,
                    Token::Punct => matches!(text, "{" | "["),
                    Token::Indent => false,
                };
                if starts_value && value_starts(&mut path, &target) {
                    return Some(n);
                }
                match text {
                    "{" if token == Token::Punct => path.push(Segment::Key(None)),
                    "[" if token == Token::Punct => path.push(Segment::Index(None)),
                    "}" | "]" if token == Token::Punct => {
                        path.pop();
                    }
                    _ => {}
                }
            }
        }
        None
    }
}

/// One step of the path to the value being read, in [`PrettyJson::line_of`].
enum Segment {
    /// In an object: the key of the member being read, once complete.
    Key(Option<String>),
    /// In an array: the index of the element being read, once one started.
    Index(Option<usize>),
}

/// A value starts at the current path: advances an array's index and says whether the
/// path is now the target.
fn value_starts(path: &mut [Segment], target: &[String]) -> bool {
    if let Some(Segment::Index(i)) = path.last_mut() {
        *i = Some(i.map_or(0, |i| i + 1));
    }
    path.len() == target.len()
        && path.iter().zip(target).all(|(seg, want)| match seg {
            Segment::Key(Some(key)) => key == want,
            Segment::Index(Some(i)) => i.to_string() == *want,
            _ => false,
        })
}

/// The reference tokens of a JSON pointer, unescaped; `None` when it is not one.
fn parse_pointer(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Turns events into lines; see the module docs.
#[derive(Debug, Default)]
struct Printer {
    lines: Vec<PrettyLine>,
    depth: usize,
    /// The next token starts a new line (after `{`, `[` or `,`).
    break_pending: bool,
    /// The innermost container has nothing in it yet, so its close stays on its line.
    just_opened: bool,
    /// The kind of the string being written, while one is open.
    string: Option<Token>,
    /// The last run is a number or literal that the next piece may continue.
    scalar: bool,
}

impl JsonSink for Printer {
    fn event(&mut self, event: JsonEvent<'_>) {
        let continues_scalar = std::mem::take(&mut self.scalar);
        match event {
            JsonEvent::Open(c) => {
                self.start_token();
                self.put(Token::Punct, if c == Container::Object { "{" } else { "[" });
                self.depth += 1;
                self.break_pending = true;
                self.just_opened = true;
            }
            JsonEvent::Close(c) => {
                self.depth = self.depth.saturating_sub(1);
                if !std::mem::take(&mut self.just_opened) {
                    self.new_line();
                }
                self.break_pending = false;
                self.put(Token::Punct, if c == Container::Object { "}" } else { "]" });
            }
            JsonEvent::StringStart { key } => {
                self.start_token();
                let token = if key { Token::Key } else { Token::String };
                self.string = Some(token);
                self.put(token, "\"");
            }
            JsonEvent::StringText(text) => {
                let token = self.string.unwrap_or(Token::String);
                let line = self.last_line();
                escape_into(&mut line.text, text);
                line.end_run(token, true);
            }
            JsonEvent::StringEnd => {
                let token = self.string.take().unwrap_or(Token::String);
                self.last_line().push(token, "\"", true);
            }
            JsonEvent::Number(text) | JsonEvent::Literal(text) => {
                let token = match event {
                    JsonEvent::Number(_) => Token::Number,
                    _ => Token::Literal,
                };
                if !continues_scalar {
                    self.start_token();
                }
                self.last_line().push(token, text, continues_scalar);
                self.scalar = true;
            }
            JsonEvent::Colon => self.put(Token::Punct, ": "),
            JsonEvent::Comma => {
                self.put(Token::Punct, ",");
                self.break_pending = true;
            }
        }
    }
}

impl Printer {
    /// A token begins: on a new line when one is pending (or nothing is written yet).
    fn start_token(&mut self) {
        if self.break_pending || self.lines.is_empty() {
            self.new_line();
            self.break_pending = false;
        }
        self.just_opened = false;
    }

    fn new_line(&mut self) {
        let mut line = PrettyLine::default();
        if self.depth > 0 {
            line.push(Token::Indent, &"  ".repeat(self.depth), false);
        }
        self.lines.push(line);
    }

    fn last_line(&mut self) -> &mut PrettyLine {
        if self.lines.is_empty() {
            self.lines.push(PrettyLine::default());
        }
        let last = self.lines.len() - 1;
        &mut self.lines[last]
    }

    fn put(&mut self, token: Token, text: &str) {
        self.last_line().push(token, text, false);
    }
}

/// Appends `text` JSON-escaped (see the module docs for the extra escapes).
fn escape_into(out: &mut String, text: &str) {
    let mut plain = 0;
    for (i, c) in text.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if needs_unicode_escape(c) => "",
            _ => continue,
        };
        out.push_str(&text[plain..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push_str(escape);
        }
        plain = i + c.len_utf8();
    }
    out.push_str(&text[plain..]);
}

/// Characters shown as `\uXXXX` (those without a short escape above): the output gate's
/// rule, [`crate::sanitize::json_escapes`].
fn needs_unicode_escape(c: char) -> bool {
    crate::sanitize::json_escapes(c)
}

#[cfg(test)]
#[path = "pretty_json_tests.rs"]
mod tests;
