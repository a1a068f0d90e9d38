//! Markdown to styled, wrapped terminal lines.
//!
//! [`render`] walks pulldown-cmark's event stream once and writes `Line<'static>`s for a
//! given width. The model is a stack of *containers* (block quotes, lists, list items) that
//! decide each line's prefix (`│ ` for quotes, the bullet or number on an item's first line
//! and matching indentation after it), an inline buffer of styled spans that is word-wrapped
//! to the width left after the prefix when its block ends, and two blocks that are collected
//! whole and laid out at their end: fenced code (highlighted line by line,
//! broken at the width rather than word-wrapped, see [`crate::tui::render::code`]) and
//! tables (see `table.rs`).
//!
//! Invariants:
//! - The input is sanitised ([`crate::sanitize::sanitize`]) and its tabs expanded before
//!   parsing, so no control character or escape sequence can reach a line.
//! - No line is wider than the width, except when the width is smaller than the prefixes
//!   themselves (deep nesting in a tiny terminal); the pane clips those.
//! - Output is a pure function of (text, width, theme): callers cache it by those.
//!
//! Code blocks of an answer get a one-line header, `[2] rust`: their number in the answer
//! (what `/copy 2` copies) and language. The number needs the whole answer, so it is left
//! out while the answer streams block by block ([`render_unnumbered`]); the header line is
//! there either way, so the layout does not jump when the answer ends.
//!
//! Streaming lives in [`crate::tui::render::stream`].

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::tui::render::code::{self, CodeLines, CodeMemo};
use crate::tui::render::table::TableBuf;
use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{expand_tabs, str_width, wrap_words};

/// Renders a whole answer as markdown to lines at most `width` cells wide, assistant-text
/// styled, its code blocks numbered.
pub fn render(text: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    render_with_memo(text, width, theme, &CodeMemo::default())
}

/// [`render`], laying out the code blocks `memo` has from their kept highlighting rather
/// than highlighting them again (a streamed answer's final render).
pub fn render_with_memo(
    text: &str,
    width: usize,
    theme: &Theme,
    memo: &CodeMemo,
) -> Vec<Line<'static>> {
    let base = theme.style(Role::AssistantText);
    let memo = (!memo.is_empty()).then_some(memo);
    render_with(text, width, theme, base, CodeHeaders::Numbered, memo)
}

/// [`render`] for a piece of an answer that is still streaming: code headers unnumbered.
pub fn render_unnumbered(text: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let base = theme.style(Role::AssistantText);
    render_with(text, width, theme, base, CodeHeaders::Unnumbered, None)
}

/// [`render`] with another base style for prose (user messages, thinking), without code
/// headers (`/copy N` counts the answer's blocks only).
pub fn render_styled(text: &str, width: usize, theme: &Theme, base: Style) -> Vec<Line<'static>> {
    render_with(text, width, theme, base, CodeHeaders::None, None)
}

/// Whether code blocks get a header line, and with their number.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CodeHeaders {
    None,
    Unnumbered,
    Numbered,
}

fn render_with(
    text: &str,
    width: usize,
    theme: &Theme,
    base: Style,
    headers: CodeHeaders,
    memo: Option<&CodeMemo>,
) -> Vec<Line<'static>> {
    let clean = crate::sanitize::sanitize(text);
    let clean = expand_tabs(&clean);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut r = Renderer::new(theme, width.max(1), base);
    r.headers = headers;
    r.memo = memo;
    for event in Parser::new_ext(&clean, options) {
        r.event(event);
    }
    r.flush_inline();
    r.lines
}

/// A block that holds other blocks and contributes to each line's prefix.
enum Container {
    Quote,
    List { next: Option<u64> },
    Item { marker: String, first: bool },
}

struct CodeBuf {
    lang: String,
    text: String,
}

struct Renderer<'t> {
    theme: &'t Theme,
    /// Code blocks already highlighted (`code.rs`).
    memo: Option<&'t CodeMemo>,
    width: usize,
    lines: Vec<Line<'static>>,
    inline: Vec<Span<'static>>,
    styles: Vec<Style>,
    containers: Vec<Container>,
    /// Open links: the URL and where the link's text starts in `inline`.
    links: Vec<(String, usize)>,
    code: Option<CodeBuf>,
    table: Option<TableBuf>,
    /// A block ended: the next block starts after a blank line.
    gap: bool,
    headers: CodeHeaders,
    /// Code blocks seen so far: the next one's number is this plus one.
    code_blocks: usize,
}

impl<'t> Renderer<'t> {
    fn new(theme: &'t Theme, width: usize, base: Style) -> Self {
        Renderer {
            theme,
            memo: None,
            width,
            lines: Vec::new(),
            inline: Vec::new(),
            styles: vec![base],
            containers: Vec::new(),
            links: Vec::new(),
            code: None,
            table: None,
            gap: false,
            headers: CodeHeaders::None,
            code_blocks: 0,
        }
    }

    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, patch: Style) {
        self.styles.push(self.style().patch(patch));
    }

    fn pop_style(&mut self) {
        if self.styles.len() > 1 {
            self.styles.pop();
        }
    }

    fn role(&self, role: Role) -> Style {
        self.theme.style(role)
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.text(&t),
            Event::Code(t) => {
                if let Some(table) = &mut self.table {
                    table.push_text(&t);
                } else {
                    let style = self.style().patch(self.role(Role::InlineCode));
                    self.inline.push(Span::styled(t.into_string(), style));
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => self.text(&t),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.flush_inline(),
            Event::Rule => {
                self.start_block();
                let prefix_width = self.prefix_width();
                let rule = "─".repeat(self.width.saturating_sub(prefix_width).max(1));
                let spans = vec![Span::styled(rule, self.role(Role::Rule))];
                self.emit(spans);
                self.gap = true;
            }
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::HtmlBlock => self.start_block(),
            Tag::Heading { level, .. } => {
                self.start_block();
                self.push_style(self.role(Role::Heading));
                let hashes = "#".repeat(heading_depth(level));
                self.inline
                    .push(Span::styled(format!("{hashes} "), self.style()));
            }
            Tag::BlockQuote(_) => {
                self.start_block();
                self.containers.push(Container::Quote);
                self.push_style(self.role(Role::Quote));
            }
            Tag::CodeBlock(kind) => {
                self.start_block();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some(CodeBuf {
                    lang,
                    text: String::new(),
                });
            }
            Tag::List(start) => {
                if self.in_item() {
                    self.flush_inline();
                } else {
                    self.start_block();
                }
                self.containers.push(Container::List { next: start });
            }
            Tag::Item => {
                self.flush_inline();
                let marker = self.next_marker();
                self.containers.push(Container::Item {
                    marker,
                    first: true,
                });
            }
            Tag::Emphasis => self.push_style(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.push_style(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self.push_style(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.push_style(self.role(Role::Link));
                self.links.push((dest_url.into_string(), self.inline.len()));
            }
            Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell => {
                self.start_table_part(tag);
            }
            _ => {}
        }
    }

    /// The start of a table or of one of its rows or cells.
    fn start_table_part(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Table(aligns) => {
                self.start_block();
                self.table = Some(TableBuf::new(aligns));
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.start_row();
                }
            }
            Tag::TableCell => {
                if let Some(t) = &mut self.table {
                    t.start_cell();
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => {
                self.flush_inline();
                self.gap = true;
            }
            TagEnd::Heading(_) => {
                self.flush_inline();
                self.pop_style();
                self.gap = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inline();
                self.containers.pop();
                self.pop_style();
                self.gap = true;
            }
            TagEnd::CodeBlock => {
                if let Some(code) = self.code.take() {
                    self.emit_code(&code);
                }
                self.gap = true;
            }
            TagEnd::List(_) => {
                self.flush_inline();
                self.containers.pop();
                if !self.in_item() {
                    self.gap = true;
                }
            }
            TagEnd::Item => {
                self.flush_inline();
                self.containers.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.pop_style(),
            TagEnd::Link | TagEnd::Image => self.end_link(),
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    let avail = self.width.saturating_sub(self.prefix_width());
                    let (border, header, body) = (
                        self.role(Role::Rule),
                        self.role(Role::TableHeader),
                        self.styles[0],
                    );
                    for spans in table.layout(avail, border, header, body) {
                        self.emit(spans);
                    }
                }
                self.gap = true;
            }
            _ => {}
        }
    }

    fn text(&mut self, t: &str) {
        if let Some(code) = &mut self.code {
            code.text.push_str(t);
        } else if let Some(table) = &mut self.table {
            table.push_text(t);
        } else if t.contains('\n') {
            // Only HTML blocks carry newlines in text; keep their lines apart.
            let mut parts = t.split('\n').peekable();
            while let Some(part) = parts.next() {
                if !part.is_empty() {
                    self.inline
                        .push(Span::styled(part.to_owned(), self.style()));
                }
                if parts.peek().is_some() {
                    self.flush_inline();
                }
            }
        } else {
            self.inline.push(Span::styled(t.to_owned(), self.style()));
        }
    }

    fn end_link(&mut self) {
        self.pop_style();
        let Some((url, start)) = self.links.pop() else {
            return;
        };
        let shown: String = self.inline[start.min(self.inline.len())..]
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        // Autolinks show their URL as text already; repeating it is noise.
        if !url.is_empty() && shown != url && !url.starts_with('#') {
            let style = self.styles[0].patch(self.role(Role::LinkUrl));
            self.inline.push(Span::styled(format!(" ({url})"), style));
        }
    }

    fn in_item(&self) -> bool {
        self.containers
            .iter()
            .any(|c| matches!(c, Container::Item { .. }))
    }

    /// The marker for a new item of the innermost list: `1. ` or a bullet by depth.
    fn next_marker(&mut self) -> String {
        let depth = self
            .containers
            .iter()
            .filter(|c| matches!(c, Container::List { .. }))
            .count();
        match self.containers.last_mut() {
            Some(Container::List { next: Some(n) }) => {
                let marker = format!("{n}. ");
                *n += 1;
                marker
            }
            _ => ["• ", "◦ ", "▪ "][depth.saturating_sub(1) % 3].to_owned(),
        }
    }

    /// Called when a block starts: separate it from the previous one by a blank line.
    fn start_block(&mut self) {
        self.flush_inline();
        if self.gap && !self.lines.is_empty() {
            let prefix = self.prefix(false);
            self.lines.push(Line::from(prefix));
        }
        self.gap = false;
    }

    fn prefix_width(&self) -> usize {
        self.containers
            .iter()
            .map(|c| match c {
                Container::Quote => 2,
                Container::List { .. } => 0,
                Container::Item { marker, .. } => str_width(marker),
            })
            .sum()
    }

    /// The prefix spans of the next line. `consume` marks items' first lines as used.
    fn prefix(&mut self, consume: bool) -> Vec<Span<'static>> {
        let (quote, marker_style) = (self.role(Role::Quote), self.role(Role::ListMarker));
        let mut spans = Vec::new();
        for c in &mut self.containers {
            match c {
                Container::Quote => spans.push(Span::styled("│ ", quote)),
                Container::List { .. } => {}
                Container::Item { marker, first } => {
                    if *first && consume {
                        spans.push(Span::styled(marker.clone(), marker_style));
                        *first = false;
                    } else {
                        spans.push(Span::raw(" ".repeat(str_width(marker))));
                    }
                }
            }
        }
        spans
    }

    /// Pushes one line: the prefix, then `spans`.
    fn emit(&mut self, spans: Vec<Span<'static>>) {
        let mut line = self.prefix(true);
        line.extend(spans);
        self.lines.push(Line::from(line));
    }

    /// Word-wraps the inline buffer into lines.
    fn flush_inline(&mut self) {
        if self.inline.is_empty() {
            return;
        }
        let spans = std::mem::take(&mut self.inline);
        let avail = self.width.saturating_sub(self.prefix_width());
        for line in wrap_words(&spans, avail) {
            self.emit(line);
        }
    }

    fn emit_code(&mut self, code: &CodeBuf) {
        self.code_blocks += 1;
        let lang = if code.lang.is_empty() {
            "code"
        } else {
            code.lang.as_str()
        };
        let header = match self.headers {
            CodeHeaders::None => None,
            CodeHeaders::Unnumbered => Some(lang.to_owned()),
            CodeHeaders::Numbered => Some(format!("[{}] {lang}", self.code_blocks)),
        };
        let avail = self.width.saturating_sub(self.prefix_width()).max(1);
        if let Some(header) = header {
            let spans = code::header(&header, self.theme, avail);
            self.emit(spans);
        }
        let text = code.text.strip_suffix('\n').unwrap_or(&code.text);
        for piece in CodeLines::block(&code.lang, self.theme, avail, text, self.memo) {
            self.emit(piece);
        }
    }
}

fn heading_depth(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
pub(crate) mod tests;
