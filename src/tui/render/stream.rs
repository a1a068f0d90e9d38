//! Streaming markdown: text arrives in deltas; only what changed is rendered again.
//!
//! The source is split in three:
//! - *frozen*: everything before the last block boundary (a blank line, outside a code
//!   fence, followed by an unindented line). Rendered once per width and kept.
//! - *active*: from there to the last newline. Complete lines whose block may still grow
//!   (a list, a table, an open code fence); re-rendered when a newline arrives.
//! - *tail*: after the last newline, the line still being written. Drawn as plain wrapped
//!   text on every delta, which is cheap; it becomes markdown once its newline arrives.
//!
//! So a delta without a newline costs one line's wrap, and a newline costs one block's
//! render, however long the message. Rendering blocks apart can differ from rendering the
//! whole text in rare cases (link reference definitions used before they appear); the
//! caller renders the whole text once with [`crate::tui::render::markdown::render`] when the turn ends.

use ratatui::text::{Line, Span};

use crate::tui::render::markdown::render_unnumbered as render;
use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{expand_tabs, wrap_chars, wrap_words};

/// A message being streamed. See the module docs.
#[derive(Debug, Default)]
pub struct StreamingMarkdown {
    source: String,
    /// Byte offset where the active part starts.
    frozen_len: usize,
    /// Byte offset just past the last newline.
    committed_len: usize,
    /// Whether `source[..committed_len]` ends inside a code fence.
    in_fence: bool,
    /// Where the last blank line outside a fence ended, if no line has followed it yet.
    pending_boundary: Option<usize>,
    /// Render of `source[..frozen_rendered]` at `cache_width`, block by block.
    frozen_lines: Vec<Line<'static>>,
    frozen_rendered: usize,
    /// Render of the active part at `cache_width`; `None` when stale.
    active_lines: Option<Vec<Line<'static>>>,
    cache_width: usize,
}

impl StreamingMarkdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// The whole text so far.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Appends a delta.
    pub fn push(&mut self, delta: &str) {
        self.source.push_str(delta);
        let Some(last_newline) = self.source.rfind('\n') else {
            return;
        };
        let end = last_newline + 1;
        if end <= self.committed_len {
            return;
        }
        let mut start = self.committed_len;
        while let Some(rel) = self.source[start..end].find('\n') {
            self.commit_line(start, start + rel + 1);
            start += rel + 1;
        }
        self.committed_len = end;
        self.active_lines = None;
    }

    /// Tracks fences and block boundaries for the complete line `source[start..end]`.
    fn commit_line(&mut self, start: usize, end: usize) {
        let line = &self.source[start..end];
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let fence = indent < 4 && (trimmed.starts_with("```") || trimmed.starts_with("~~~"));
        if self.in_fence {
            // Blank lines inside a fence are code, not block boundaries.
            self.in_fence = !fence;
            return;
        }
        if line.trim().is_empty() {
            self.pending_boundary = Some(end);
            return;
        }
        if let Some(boundary) = self.pending_boundary.take() {
            // A new unindented block after a blank line: what came before is final.
            if indent == 0 && boundary > self.frozen_len {
                self.frozen_len = boundary;
                self.active_lines = None;
            }
        }
        self.in_fence = fence;
    }

    /// The rendered lines of the committed text (everything up to the last newline).
    pub fn committed(&mut self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let width = width.max(1);
        if self.cache_width != width {
            self.frozen_lines.clear();
            self.frozen_rendered = 0;
            self.active_lines = None;
            self.cache_width = width;
        }
        if self.frozen_rendered < self.frozen_len {
            // Only the newly frozen blocks are rendered; earlier ones are kept.
            let more = render(
                &self.source[self.frozen_rendered..self.frozen_len],
                width,
                theme,
            );
            append_block(&mut self.frozen_lines, more);
            self.frozen_rendered = self.frozen_len;
        }
        let active = self.active_lines.get_or_insert_with(|| {
            render(
                &self.source[self.frozen_len..self.committed_len],
                width,
                theme,
            )
        });
        let mut lines = self.frozen_lines.clone();
        append_block(&mut lines, active.clone());
        lines
    }

    /// The unfinished last line, as plain wrapped text (empty right after a newline).
    pub fn tail(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let tail = &self.source[self.committed_len..];
        if tail.is_empty() {
            return Vec::new();
        }
        let clean = crate::sanitize::sanitize(tail);
        let clean = expand_tabs(&clean);
        // Inside a fence the tail is code: every character kept (indentation included) and
        // broken at the width, as the committed code lines are, so nothing shifts when its
        // newline arrives.
        let (style, wrap): (_, fn(&[Span<'_>], usize) -> _) = if self.in_fence {
            (Role::CodeBlock, wrap_chars)
        } else {
            (Role::AssistantText, wrap_words)
        };
        let span = Span::styled(clean.into_owned(), theme.style(style));
        wrap(&[span], width).into_iter().map(Line::from).collect()
    }

    /// Everything: committed lines, then the tail.
    pub fn lines(&mut self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = self.committed(width, theme);
        let tail = self.tail(width, theme);
        // A tail after a blank line starts a new block: keep the gap it will have once
        // its newline arrives, so the text does not jump.
        let new_block = self.source[..self.committed_len].ends_with("\n\n");
        if new_block && !self.in_fence && !tail.is_empty() && !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.extend(tail);
        lines
    }
}

/// Appends rendered blocks, separated from what is there by one blank line.
fn append_block(lines: &mut Vec<Line<'static>>, more: Vec<Line<'static>>) {
    if !lines.is_empty() && !more.is_empty() {
        lines.push(Line::default());
    }
    lines.extend(more);
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
