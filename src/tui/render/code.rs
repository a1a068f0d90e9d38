//! A fenced code block's lines: an optional header, then each code line highlighted
//! ([`crate::tui::render::highlight`]), broken at the width rather than word-wrapped, and
//! padded so the background reads as one block.
//!
//! [`CodeLines`] takes the code one line at a time: the markdown renderer feeds it a whole
//! block, the streaming renderer ([`LiveFence`]) each line as its newline arrives, so an
//! open fence is highlighted once per line while it streams and both end on the same
//! lines. Lines come in sanitised and tab-expanded (the markdown renderer does it for the
//! whole text; the live fence per line).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::tui::render::highlight::LineHighlighter;
use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{expand_tabs, str_width, truncate, wrap_chars};

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
        let spans = match self.highlighter.as_mut().map(|h| h.line(text)) {
            Some(Some(spans)) => spans,
            failed => {
                if failed.is_some() {
                    self.highlighter = None;
                }
                vec![Span::styled(text.to_owned(), self.base)]
            }
        };
        let mut rows = wrap_chars(&spans, self.avail);
        for piece in &mut rows {
            let used: usize = piece.iter().map(|s| str_width(&s.content)).sum();
            if used < self.avail {
                piece.push(Span::styled(" ".repeat(self.avail - used), self.base));
            }
        }
        rows
    }
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
                let rows = self.code.line(&clean);
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

    /// The lines, for keeping once the fence is final.
    pub fn into_lines(self) -> Vec<Line<'static>> {
        self.lines
    }
}

#[cfg(test)]
#[path = "code_tests.rs"]
mod tests;
