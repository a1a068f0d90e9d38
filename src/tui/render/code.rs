//! A fenced code block's lines: an optional header, then each code line highlighted
//! ([`crate::tui::render::highlight`]), broken at the width rather than word-wrapped, and
//! padded so the background reads as one block.
//!
//! [`CodeLines`] takes the code one line at a time: the markdown renderer feeds it a whole
//! block, the streaming renderer ([`LiveFence`]) each line as its newline arrives, so an
//! open fence is highlighted once per line while it streams and both end on the same
//! lines. Lines come in sanitised and tab-expanded (the markdown renderer does it for the
//! whole text; the live fence per line).
//!
//! A streamed block is rendered twice: line by line while it streams, then once more in
//! the whole answer's final render. The live fence keeps what each line highlighted to
//! (style runs, not text) and hands it to a [`CodeMemo`] when it closes; the final render
//! looks a block up by its language, theme and exact text and lays the runs out again
//! instead of running syntect a second time. A block it has no runs for (an answer
//! rendered whole from the store, a fence abandoned mid-stream) is highlighted as usual.

use std::collections::HashMap;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::tui::render::highlight::LineHighlighter;
use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{expand_tabs, str_width, truncate, wrap_chars};

/// A line's highlighting, width-independent: each span's style and byte length, in order.
type Runs = Vec<(Style, usize)>;

/// What identifies a block's highlighting: its language, the syntect theme and base
/// style it was highlighted with, and its exact text (lines joined by `\n`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct MemoKey {
    lang: String,
    syntect: Option<String>,
    base: Style,
    text: String,
}

/// Highlighted code blocks kept for another render of the same text. See the module docs.
#[derive(Debug, Default)]
pub struct CodeMemo {
    blocks: HashMap<MemoKey, Vec<Runs>>,
}

impl CodeMemo {
    fn key(lang: &str, theme: &Theme, text: &str) -> MemoKey {
        MemoKey {
            lang: lang.to_owned(),
            syntect: theme.syntect_theme().map(str::to_owned),
            base: theme.style(Role::CodeBlock),
            text: text.to_owned(),
        }
    }

    /// The runs of each line of `text`, if a block with this language, theme and text was
    /// highlighted before.
    fn get(&self, lang: &str, theme: &Theme, text: &str) -> Option<&[Runs]> {
        self.blocks
            .get(&Self::key(lang, theme, text))
            .map(Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

/// A code block's lines, one source line at a time. See the module docs.
#[derive(Debug)]
pub struct CodeLines {
    /// `None` for plain code: no language, an unknown one, no syntect theme, or after
    /// syntect failed on a line (the rest of the block stays plain).
    highlighter: Option<LineHighlighter>,
    base: Style,
    /// Columns for the code (the width after any prefix), at least 1.
    avail: usize,
}

impl CodeLines {
    pub fn new(lang: &str, theme: &Theme, avail: usize) -> Self {
        let base = theme.style(Role::CodeBlock);
        let highlighter = theme
            .syntect_theme()
            .and_then(|t| LineHighlighter::new(lang, t, base));
        CodeLines {
            highlighter,
            base,
            avail: avail.max(1),
        }
    }

    /// The rows of the next code line (without its newline): one, or more when it is
    /// wider than the block.
    pub fn line(&mut self, text: &str) -> Vec<Vec<Span<'static>>> {
        let spans = self.highlight(text);
        self.rows(&spans)
    }

    /// The next code line's spans, before they are broken at the width.
    fn highlight(&mut self, text: &str) -> Vec<Span<'static>> {
        match self.highlighter.as_mut().map(|h| h.line(text)) {
            Some(Some(spans)) => spans,
            failed => {
                if failed.is_some() {
                    self.highlighter = None;
                }
                vec![Span::styled(text.to_owned(), self.base)]
            }
        }
    }

    /// Every line of the block `text` (lines joined by `\n`, no trailing newline):
    /// highlighted from `memo` when it has the block, by syntect otherwise.
    pub fn block(
        lang: &str,
        theme: &Theme,
        avail: usize,
        text: &str,
        memo: Option<&CodeMemo>,
    ) -> Vec<Vec<Span<'static>>> {
        if let Some(runs) = memo.and_then(|m| m.get(lang, theme, text))
            && let Some(spans) = replay(runs, text)
        {
            let plain = CodeLines {
                highlighter: None,
                base: theme.style(Role::CodeBlock),
                avail: avail.max(1),
            };
            return spans.iter().flat_map(|line| plain.rows(line)).collect();
        }
        let mut lines = CodeLines::new(lang, theme, avail);
        text.split('\n').flat_map(|line| lines.line(line)).collect()
    }

    /// A line's spans broken at the block's width, each row padded to it.
    fn rows(&self, spans: &[Span<'static>]) -> Vec<Vec<Span<'static>>> {
        let mut rows = wrap_chars(spans, self.avail);
        for piece in &mut rows {
            let used: usize = piece.iter().map(|s| str_width(&s.content)).sum();
            if used < self.avail {
                piece.push(Span::styled(" ".repeat(self.avail - used), self.base));
            }
        }
        rows
    }
}

/// `text`'s lines as spans cut by `runs` (one per line); `None` when they do not fit it.
fn replay(runs: &[Runs], text: &str) -> Option<Vec<Vec<Span<'static>>>> {
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.len() != runs.len() {
        return None;
    }
    let line_spans = |(line, runs): (&str, &Runs)| {
        let mut at = 0;
        let spans = runs
            .iter()
            .map(|&(style, len)| {
                let piece = line.get(at..at + len)?;
                at += len;
                Some(Span::styled(piece.to_owned(), style))
            })
            .collect::<Option<Vec<_>>>()?;
        (at == line.len()).then_some(spans)
    };
    lines.into_iter().zip(runs).map(line_spans).collect()
}

/// The header line of a code block: `label` (the language, numbered once the answer is
/// whole) dimmed and cut to `avail` columns.
pub fn header(label: &str, theme: &Theme, avail: usize) -> Vec<Span<'static>> {
    let text = truncate(label, avail.max(1));
    vec![Span::styled(text, theme.style(Role::Dim))]
}

/// The fence character and length of `line` as an opening fence at indent 0 (three or
/// more backticks whose info has none, or tildes), with its info string.
fn opening(line: &str) -> Option<(char, usize, &str)> {
    let c = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = line.len() - line.trim_start_matches(c).len();
    let info = &line[n..];
    (n >= 3 && !(c == '`' && info.contains('`'))).then_some((c, n, info))
}

/// Whether `line` closes a fence of `n` `c`s: up to three spaces, at least `n` of them,
/// then only spaces or tabs.
fn closes(line: &str, c: char, n: usize) -> bool {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return false;
    }
    let rest = trimmed.trim_start_matches(c);
    trimmed.len() - rest.len() >= n && rest.trim_matches([' ', '\t']).is_empty()
}

/// An open fence at the start of a streaming answer's active part, rendered line by line
/// as its lines are committed: what the markdown renderer makes of the same text (an
/// unnumbered header, then the code lines), without rendering a line twice. After its
/// closing fence only blank lines may follow; anything else is not a lone fence, and the
/// caller renders the text as markdown instead.
#[derive(Debug)]
pub struct LiveFence {
    /// Where the fence starts in the answer, and the width it is laid out for.
    pub start: usize,
    pub width: usize,
    fence: (char, usize),
    code: CodeLines,
    /// The block's [`CodeMemo`] key, its text the code so far (lines joined by `\n`), and
    /// each line's runs: the memo's entry once the fence closes.
    key: MemoKey,
    runs: Vec<Runs>,
    /// The header, then every code line's rows so far.
    lines: Vec<Line<'static>>,
    code_lines: usize,
    /// Bytes of the source (from `start`) taken in so far: whole lines only.
    done: usize,
    closed: bool,
}

impl LiveFence {
    /// A fence if `text`'s first line (complete, at indent 0) opens one.
    pub fn open(text: &str, start: usize, width: usize, theme: &Theme) -> Option<Self> {
        let end = text.find('\n')?;
        // As the markdown renderer sees it: sanitised and tab-expanded, then parsed for
        // the language (escapes and entities in the info string), its first word.
        let clean = crate::sanitize::sanitize(&text[..=end]);
        let clean = expand_tabs(&clean);
        let (c, n, _) = opening(clean.trim_end_matches(['\n', '\r']))?;
        let lang = pulldown_cmark::Parser::new(&clean).find_map(|e| match e {
            pulldown_cmark::Event::Start(pulldown_cmark::Tag::CodeBlock(
                pulldown_cmark::CodeBlockKind::Fenced(info),
            )) => Some(info.split_whitespace().next().unwrap_or("").to_owned()),
            _ => None,
        })?;
        let label = if lang.is_empty() { "code" } else { &lang };
        let header = Line::from(header(label, theme, width));
        Some(LiveFence {
            start,
            width,
            fence: (c, n),
            code: CodeLines::new(&lang, theme, width),
            key: CodeMemo::key(&lang, theme, ""),
            runs: Vec::new(),
            lines: vec![header],
            code_lines: 0,
            done: end + 1,
            closed: false,
        })
    }

    /// Takes in the complete lines of `text` (the source from `start`, up to a line end)
    /// past what it has. False when the text is no longer a lone fence.
    pub fn advance(&mut self, text: &str) -> bool {
        while let Some(rel) = text.get(self.done..).and_then(|t| t.find('\n')) {
            let line = &text[self.done..self.done + rel];
            self.done += rel + 1;
            if self.closed {
                if !line.trim().is_empty() {
                    return false;
                }
            } else if closes(line, self.fence.0, self.fence.1) {
                self.closed = true;
            } else {
                let clean = crate::sanitize::sanitize(line);
                let clean = expand_tabs(&clean);
                let spans = self.code.highlight(&clean);
                self.runs
                    .push(spans.iter().map(|s| (s.style, s.content.len())).collect());
                if self.code_lines > 0 {
                    self.key.text.push('\n');
                }
                self.key.text.push_str(&clean);
                let rows = self.code.rows(&spans);
                self.lines.extend(rows.into_iter().map(Line::from));
                self.code_lines += 1;
            }
        }
        self.done <= text.len()
    }

    /// Bytes of the source (from `start`) taken in.
    pub fn done(&self) -> usize {
        self.done
    }

    /// The lines so far, once there is a code line (an opening line alone renders as
    /// markdown does, with an empty code line; the caller renders that itself).
    pub fn lines(&self) -> Option<&[Line<'static>]> {
        (self.code_lines > 0).then_some(&self.lines[..])
    }

    /// The lines, for keeping once the fence is final; its highlighting goes to `memo`
    /// (for the answer's final render) when the fence closed.
    pub fn into_lines(self, memo: &mut CodeMemo) -> Vec<Line<'static>> {
        if self.closed {
            memo.blocks.insert(self.key, self.runs);
        }
        self.lines
    }
}

#[cfg(test)]
#[path = "code_tests.rs"]
mod tests;
