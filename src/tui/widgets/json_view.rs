//! A tool input on screen: the pretty-printed lines of [`PrettyJson`] as coloured rows,
//! broken at the width, through a bounded window.
//!
//! The model: the input's lines come from the library's incremental printer, where only
//! the last line changes and only by appending. This view breaks lines into rows the way
//! code is broken (every character kept, a row ends where the next character would not
//! fit; see `wrap.rs`), and draws only the rows of a [`Window`]: everything, at most `rows`
//! rows from a given line, or the last `rows` rows. So a collapsed view of a 1 MiB input
//! costs a few rows per render, however long the input or any one line of it.
//!
//! Tail windows, drawn on every delta while an input streams, keep where each recently
//! drawn line breaks into rows ([`RowCache`]): a line's breaks are found once, and the
//! growing last line's are extended by the bytes added since, so a delta costs O(delta)
//! plus the rows drawn even when the last line is a string of a megabyte.
//!
//! Every piece of text passes through [`crate::sanitize::sanitize_line`] on its way to a
//! span (the printer already escapes controls; this is the one gate all the same).

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use crate::stream::{PrettyJson, PrettyLine, Token};

use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{str_width, wrap_words};

/// Which rows of the input to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    All,
    /// At most `rows` rows, from the first row of line `line`.
    From {
        line: usize,
        rows: usize,
    },
    /// The last `rows` rows.
    Tail {
        rows: usize,
    },
}

/// A line to mark as wrong, with the message shown beside it.
#[derive(Debug, Clone, Copy)]
pub struct Highlight<'a> {
    pub line: usize,
    pub message: &'a str,
}

/// Where one line breaks into rows at a width: `starts` are the rows' first bytes, for
/// the first `scanned` bytes of the line; `col` is the width of the last row so far.
#[derive(Debug, Clone)]
struct Rows {
    starts: Vec<usize>,
    scanned: usize,
    col: usize,
}

impl Rows {
    fn new() -> Self {
        Rows {
            starts: vec![0],
            scanned: 0,
            col: 0,
        }
    }

    /// Extends the breaks over `text[scanned..]`, stopping once `limit` rows are known
    /// and the next has begun.
    fn extend(&mut self, text: &str, width: usize, limit: usize) {
        let from = self.scanned;
        for (i, c) in text.get(from..).unwrap_or_default().char_indices() {
            let w = UnicodeWidthChar::width(c).unwrap_or(0);
            if self.col > 0 && self.col + w > width {
                if self.starts.len() >= limit {
                    self.scanned = from + i;
                    return;
                }
                self.starts.push(from + i);
                self.col = 0;
            }
            self.col += w;
        }
        self.scanned = text.len();
    }

    /// The byte range of row `r` of `text`.
    fn range(&self, r: usize, text: &str) -> std::ops::Range<usize> {
        let start = self.starts[r];
        let end = self.starts.get(r + 1).copied().unwrap_or(self.scanned);
        start..end.min(text.len())
    }
}

/// Row breaks of recently drawn lines at one width (see the module docs).
#[derive(Debug, Default)]
struct RowCache {
    width: usize,
    /// (line index, its rows), oldest first.
    entries: Vec<(usize, Rows)>,
}

/// More lines than a tail window of any sensible height draws at once.
const CACHED_LINES: usize = 64;

impl RowCache {
    /// The complete row breaks of line `index`, found once and extended as it grows.
    fn rows(&mut self, index: usize, line: &PrettyLine, width: usize) -> &Rows {
        if self.width != width {
            self.entries.clear();
            self.width = width;
        }
        let at = match self.entries.iter().position(|(i, _)| *i == index) {
            Some(at) => at,
            None => {
                if self.entries.len() >= CACHED_LINES {
                    self.entries.remove(0);
                }
                self.entries.push((index, Rows::new()));
                self.entries.len() - 1
            }
        };
        let rows = &mut self.entries[at].1;
        rows.extend(line.text(), width, usize::MAX);
        rows
    }
}

/// A streaming tool input and its row cache.
#[derive(Debug, Default)]
pub struct JsonView {
    pretty: PrettyJson,
    cache: RowCache,
}

impl JsonView {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a fragment of the input: O(fragment).
    pub fn push(&mut self, chunk: &str) {
        self.pretty.push(chunk);
    }

    pub fn pretty(&self) -> &PrettyJson {
        &self.pretty
    }

    /// The rows of `window` at `width`, with a dim marker line for lines left out above or
    /// below, which ends with `hint` (how to see them) when it is not empty. Takes `&mut`
    /// only for the row cache.
    pub fn render(
        &mut self,
        width: usize,
        theme: &Theme,
        window: Window,
        highlight: Option<Highlight<'_>>,
        hint: &str,
    ) -> Vec<Line<'static>> {
        let width = width.max(1);
        let painter = Painter {
            theme,
            width,
            highlight,
            hint,
        };
        let lines = self.pretty.lines();
        match window {
            Window::All => painter.from(lines, 0, usize::MAX),
            Window::From { line, rows } => painter.from(lines, line, rows.max(1)),
            Window::Tail { rows } => painter.tail(lines, &mut self.cache, rows.max(1)),
        }
    }
}

/// What one render draws with.
struct Painter<'a> {
    theme: &'a Theme,
    width: usize,
    highlight: Option<Highlight<'a>>,
    hint: &'a str,
}

impl Painter<'_> {
    /// Up to `max_rows` rows from the start of line `first`.
    fn from(&self, lines: &[PrettyLine], first: usize, max_rows: usize) -> Vec<Line<'static>> {
        let first = first.min(lines.len().saturating_sub(1));
        let mut out = Vec::new();
        if first > 0 {
            out.push(self.marker(more_lines(first, " above")));
        }
        let mut left = max_rows;
        let mut next = first;
        for (index, line) in lines.iter().enumerate().skip(first) {
            if left == 0 {
                break;
            }
            let mut rows = Rows::new();
            rows.extend(line.text(), self.width, left);
            let count = rows.starts.len();
            let whole = rows.scanned == line.text().len();
            self.push_rows(&mut out, index, line, &rows, 0..count, whole);
            left -= count.min(left);
            next = if whole { index + 1 } else { index };
        }
        let after = lines.len().saturating_sub(next);
        if after > 0 {
            out.push(self.marker(more_lines(after, "")));
        }
        out
    }

    /// The last `max_rows` rows, through the row cache.
    fn tail(
        &self,
        lines: &[PrettyLine],
        cache: &mut RowCache,
        max_rows: usize,
    ) -> Vec<Line<'static>> {
        // Collected newest first, then turned around.
        let mut blocks: Vec<Vec<Line<'static>>> = Vec::new();
        let mut left = max_rows;
        let mut index = lines.len();
        let mut cut = false;
        while left > 0 && index > 0 {
            index -= 1;
            let line = &lines[index];
            let rows = cache.rows(index, line, self.width);
            let count = rows.starts.len();
            let take = count.min(left);
            cut = take < count;
            let mut block = Vec::new();
            self.push_rows(&mut block, index, line, rows, count - take..count, true);
            blocks.push(block);
            left -= take;
        }
        let hidden = index + usize::from(cut);
        let mut out = Vec::new();
        if hidden > 0 {
            out.push(self.marker(more_lines(hidden, " above")));
        }
        out.extend(blocks.into_iter().rev().flatten());
        out
    }

    /// Draws rows `range` of line `index`; `whole` says the line's last row is among them,
    /// which is where a highlight's message goes.
    fn push_rows(
        &self,
        out: &mut Vec<Line<'static>>,
        index: usize,
        line: &PrettyLine,
        rows: &Rows,
        range: std::ops::Range<usize>,
        whole: bool,
    ) {
        let marked = self.highlight.filter(|h| h.line == index);
        let last = rows.starts.len().saturating_sub(1);
        for r in range {
            let mut spans = self.row_spans(line, rows.range(r, line.text()), marked.is_some());
            let message = marked.filter(|_| whole && r == last).map(|h| h.message);
            let Some(message) = message else {
                out.push(Line::from(spans));
                continue;
            };
            let note = format!("← {}", crate::sanitize::sanitize_line(message));
            let style = self.theme.style(Role::Error);
            let used: usize = spans.iter().map(|s| str_width(&s.content)).sum();
            if used + 2 + str_width(&note) <= self.width {
                spans.push(Span::styled(format!("  {note}"), style));
                out.push(Line::from(spans));
            } else {
                out.push(Line::from(spans));
                let note = [Span::styled(note, style)];
                out.extend(wrap_words(&note, self.width).into_iter().map(Line::from));
            }
        }
    }

    /// The styled spans of bytes `range` of a line.
    fn row_spans(
        &self,
        line: &PrettyLine,
        range: std::ops::Range<usize>,
        marked: bool,
    ) -> Vec<Span<'static>> {
        let text = line.text();
        let mut spans = Vec::new();
        let mut at = range.start;
        while at < range.end {
            let end = line.run_end(at).min(range.end).max(at + 1);
            let token = line.token_at(at);
            let piece = text.get(at..end).unwrap_or_default();
            let clean = crate::sanitize::sanitize_line(piece).into_owned();
            spans.push(Span::styled(clean, self.style(token, marked)));
            at = end;
        }
        spans
    }

    fn style(&self, token: Option<Token>, marked: bool) -> Style {
        let role = match token {
            Some(Token::Key) => Role::JsonKey,
            Some(Token::String) => Role::JsonString,
            Some(Token::Number | Token::Literal) => Role::JsonNumber,
            Some(Token::Punct) => Role::JsonPunct,
            Some(Token::Indent) | None => return Style::default(),
        };
        if marked {
            // Underlined as well as coloured, so the field stands out without colour too.
            return self
                .theme
                .style(Role::Error)
                .add_modifier(Modifier::UNDERLINED);
        }
        self.theme.style(role)
    }

    fn marker(&self, mut text: String) -> Line<'static> {
        if !self.hint.is_empty() {
            text = format!("{text} · {}", self.hint);
        }
        let text = crate::tui::render::wrap::truncate(&text, self.width);
        Line::from(Span::styled(text, self.theme.style(Role::Dim)))
    }
}

/// `… 1 more line`, `… 12 more lines above`.
pub fn more_lines(n: usize, suffix: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("… {n} more line{s}{suffix}")
}

/// `1 line`, `12 lines`.
pub fn lines_count(n: usize) -> String {
    if n == 1 {
        "1 line".to_owned()
    } else {
        format!("{n} lines")
    }
}

#[cfg(test)]
#[path = "json_view_tests.rs"]
mod tests;
