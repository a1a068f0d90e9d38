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
//! render, however long the message. Two blocks cost less still: an active part that is
//! a lone code fence is laid out line by line as its lines commit
//! ([`crate::tui::render::code::LiveFence`], syntect's state carried from line to line), so
//! each code line is highlighted once; and when a block freezes, its active render is
//! kept as its frozen lines instead of being rendered again. The frozen lines are lent to
//! the caller ([`StreamingMarkdown::frozen_lines`]) rather than copied into each frame's
//! lines ([`StreamingMarkdown::live_lines`] is the rest), so a frame costs the live part
//! however long the answer. Rendering blocks apart can differ from rendering the
//! whole text in rare cases (link reference definitions used before they appear); the
//! caller renders the whole text once with [`crate::tui::render::markdown::render`] when the turn ends.

use ratatui::text::{Line, Span};

use crate::tui::render::code::{CodeMemo, LiveFence};
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
    /// Render of the active part at `cache_width`; `None` when stale, or when the active
    /// part is a lone code fence rendered line by line in `fence`.
    active_lines: Option<Vec<Line<'static>>>,
    /// Where the text `active_lines` was rendered from ended (it starts at `frozen_len`).
    active_end: usize,
    /// The active part as a code fence, each committed line highlighted once.
    fence: Option<Box<LiveFence>>,
    /// The closed fences' highlighting, for the final render (`code.rs`).
    memo: CodeMemo,
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
                self.freeze(boundary);
            }
        }
        self.in_fence = fence;
    }

    /// Everything before `boundary` is final. The active part's render becomes frozen
    /// lines as it is when it covers exactly that text (blank lines aside), so a block is
    /// not rendered (nor its code highlighted) again when it freezes.
    fn freeze(&mut self, boundary: usize) {
        let kept = self.frozen_rendered == self.frozen_len && self.cache_width > 0;
        let fence = self
            .fence
            .take()
            .filter(|f| kept && f.start == self.frozen_len && f.width == self.cache_width);
        let lines = match (fence, self.active_lines.take()) {
            (Some(mut fence), _) => {
                let whole = fence.advance(&self.source[fence.start..boundary])
                    && fence.start + fence.done() == boundary
                    && fence.lines().is_some();
                whole.then(|| fence.into_lines(&mut self.memo))
            }
            (None, Some(active)) if kept => {
                let since = self.source.get(self.active_end..boundary).unwrap_or("x");
                since.trim().is_empty().then_some(active)
            }
            _ => None,
        };
        if let Some(lines) = lines {
            append_block(&mut self.frozen_lines, lines);
            self.frozen_rendered = boundary;
        }
        self.frozen_len = boundary;
    }

    /// Brings the live fence up to the committed text. False when the active part is not
    /// a lone code fence with a code line (then it is rendered as markdown).
    fn advance_fence(&mut self, width: usize, theme: &Theme) -> bool {
        let (start, end) = (self.frozen_len, self.committed_len);
        let text = &self.source[start..end];
        let current = self
            .fence
            .as_ref()
            .is_some_and(|f| f.start == start && f.width == width);
        if !current {
            self.fence = LiveFence::open(text, start, width, theme).map(Box::new);
        }
        let Some(fence) = &mut self.fence else {
            return false;
        };
        if !fence.advance(text) {
            self.fence = None;
            return false;
        }
        fence.lines().is_some()
    }

    /// The active part's lines, as of the last [`refresh`](Self::refresh).
    fn active(&self) -> &[Line<'static>] {
        match &self.active_lines {
            Some(lines) => lines,
            None => self
                .fence
                .as_ref()
                .and_then(|f| f.lines())
                .unwrap_or_default(),
        }
    }

    /// Brings the caches up to date for `width`: newly frozen blocks rendered and kept,
    /// the active part rendered if it changed.
    fn refresh(&mut self, width: usize, theme: &Theme) {
        let width = width.max(1);
        if self.cache_width != width {
            self.frozen_lines.clear();
            self.frozen_rendered = 0;
            self.active_lines = None;
            self.fence = None;
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
        if self.active_lines.is_none() && !self.advance_fence(width, theme) {
            let active = render(
                &self.source[self.frozen_len..self.committed_len],
                width,
                theme,
            );
            self.active_lines = Some(active);
            self.active_end = self.committed_len;
        }
    }

    /// The rendered lines of the frozen blocks, as of the last [`live_lines`] (or
    /// [`lines`]) call: final, so a caller may show them without copying.
    ///
    /// [`live_lines`]: Self::live_lines
    /// [`lines`]: Self::lines
    pub fn frozen_lines(&self) -> &[Line<'static>] {
        &self.frozen_lines
    }

    /// The highlighting of the code blocks rendered as they streamed, for the whole
    /// answer's render (`markdown::render_with_memo`); gone from here after.
    pub fn take_code_memo(&mut self) -> CodeMemo {
        std::mem::take(&mut self.memo)
    }

    /// Drops the rendered caches (the text stays): for an answer that is no longer drawn
    /// block by block. A later call renders again from the text.
    pub fn release_cache(&mut self) {
        self.frozen_lines = Vec::new();
        self.frozen_rendered = 0;
        self.active_lines = None;
        self.fence = None;
    }

    /// The rendered lines of the committed text (everything up to the last newline).
    pub fn committed(&mut self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        self.refresh(width, theme);
        let mut lines = self.frozen_lines.clone();
        append_block(&mut lines, self.active().to_vec());
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

    /// What follows [`frozen_lines`](Self::frozen_lines) at `width`: the active part (after
    /// a blank line when both have lines), then the tail. Costs the active block and the
    /// tail, however long the frozen text: this is what a frame renders while streaming.
    pub fn live_lines(&mut self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        self.refresh(width, theme);
        let active = self.active();
        let mut lines = Vec::with_capacity(active.len() + 2);
        if !self.frozen_lines.is_empty() && !active.is_empty() {
            lines.push(Line::default());
        }
        lines.extend_from_slice(active);
        let committed_empty = self.frozen_lines.is_empty() && active.is_empty();
        let tail = self.tail(width, theme);
        // A tail after a blank line starts a new block: keep the gap it will have once
        // its newline arrives, so the text does not jump.
        let new_block = self.source[..self.committed_len].ends_with("\n\n");
        if new_block && !self.in_fence && !tail.is_empty() && !committed_empty {
            lines.push(Line::default());
        }
        lines.extend(tail);
        lines
    }

    /// Everything: committed lines, then the tail.
    pub fn lines(&mut self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let live = self.live_lines(width, theme);
        let mut lines = self.frozen_lines.clone();
        lines.extend(live);
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
