//! The `@`-mention popup: workspace files matching what follows an `@` in the input.
//!
//! The model: the popup holds no files and reads no disk. The app finds the `@` token at
//! the cursor (`app/attach.rs`), asks the workspace's file index for the best matches and
//! hands them over with [`MentionPopup::show`]; the popup keeps the selection, the scroll
//! and the Esc state, and draws the list. While the index is still walking the tree in the
//! background the popup says "indexing…" instead of a list, so typing never waits for it:
//! the app asks again on its next tick and the list appears when the walk is done.
//!
//! Accepting (Tab or Enter) is the app's: it replaces the token with `@path`. The popup
//! closes when the cursor leaves the token, and Esc closes it until the token changes.
//! When the one match is exactly what was typed there is nothing left to complete and the
//! popup hides, so Enter sends.
//!
//! Paths come from the file system: they are sanitised before they are drawn.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

use crate::sanitize::sanitize_line;
use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{str_width, truncate};

/// Rows of matches shown at once; more scroll.
pub const MENTION_ROWS: usize = 8;

/// The popup's state. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct MentionPopup {
    /// The text after the `@` at the cursor; `None` while the cursor is in no mention.
    query: Option<String>,
    /// The best matches, best first (workspace-relative paths).
    paths: Vec<String>,
    /// The index is still walking: the matches are among the files found so far.
    indexing: bool,
    selected: usize,
    offset: usize,
    /// Closed with Esc: stays closed until the query changes.
    dismissed: bool,
}

impl MentionPopup {
    /// Shows `paths` for the mention `query` at the cursor, or with `None` closes;
    /// `indexing` while the index is still walking. The selection follows its path while
    /// the list narrows; a changed query reopens a popup closed with Esc.
    pub fn show(&mut self, query: Option<&str>, paths: Vec<String>, indexing: bool) {
        if self.query.as_deref() != query {
            self.dismissed = false;
        }
        let previous = self.selected_path().map(str::to_owned);
        self.query = query.map(str::to_owned);
        self.paths = if query.is_some() { paths } else { Vec::new() };
        self.indexing = indexing && query.is_some();
        self.selected = previous
            .and_then(|p| self.paths.iter().position(|x| *x == p))
            .unwrap_or(0);
        self.offset = visible_offset(self.offset, self.selected);
    }

    /// The query of the mention at the cursor, when there is one.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// Whether the index was still walking when the list was last asked for.
    pub fn is_indexing(&self) -> bool {
        self.indexing
    }

    fn paths(&self) -> &[String] {
        &self.paths
    }

    /// Whether the popup is drawn: a mention is at the cursor, Esc did not close it, and
    /// something is left to complete.
    pub fn is_open(&self) -> bool {
        let Some(query) = &self.query else {
            return false;
        };
        let done = matches!(self.paths(), [only] if only == query);
        !self.dismissed && !done
    }

    /// Whether Up, Down, Tab and Enter belong to the popup: it is open with a match.
    pub fn has_choice(&self) -> bool {
        self.is_open() && !self.paths().is_empty()
    }

    /// Esc: closed until the query changes.
    pub fn dismiss(&mut self) {
        self.dismissed = true;
    }

    pub fn select_next(&mut self) {
        let n = self.paths().len();
        if n > 0 {
            self.selected = (self.selected + 1) % n;
            self.offset = visible_offset(self.offset, self.selected);
        }
    }

    pub fn select_prev(&mut self) {
        let n = self.paths().len();
        if n > 0 {
            self.selected = (self.selected + n - 1) % n;
            self.offset = visible_offset(self.offset, self.selected);
        }
    }

    /// The path Tab or Enter would insert.
    pub fn selected_path(&self) -> Option<&str> {
        self.paths().get(self.selected).map(String::as_str)
    }

    /// Rows needed including the border; 0 when closed.
    pub fn height(&self) -> u16 {
        if !self.is_open() {
            return 0;
        }
        let rows = self.paths().len().clamp(1, MENTION_ROWS);
        rows as u16 + 2
    }

    /// Columns wanted, border included: the widest path, at least room for the title.
    pub fn width(&self) -> u16 {
        let widest = self.paths().iter().map(|p| str_width(p)).max().unwrap_or(0);
        let title = str_width(&self.title());
        (widest.max(title).max(16) + 4).min(usize::from(u16::MAX)) as u16
    }

    fn title(&self) -> String {
        let query = sanitize_line(self.query.as_deref().unwrap_or_default());
        format!(" files · @{} ", truncate(&query, 40))
    }

    /// Draws the bordered list over whatever `area` held.
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        Clear.render(area, buf);
        let paths = self.paths();
        let rows = usize::from(area.height.saturating_sub(2)).min(MENTION_ROWS);
        // Recomputed for the height actually given, which may be less than asked for.
        let offset = offset_for(self.offset, self.selected, rows);
        let mut block = Block::bordered()
            .border_style(theme.style(Role::Border))
            .title(Span::styled(self.title(), theme.style(Role::Dim)));
        let below = paths.len().saturating_sub(offset + rows);
        let hint = match (offset + below > 0, self.indexing && !paths.is_empty()) {
            (_, true) => Some(" indexing… ".to_owned()),
            (true, false) => Some(format!(
                " {} of {} · ↑↓ Tab ",
                self.selected + 1,
                paths.len()
            )),
            (false, false) => None,
        };
        if let Some(hint) = hint {
            block = block.title_bottom(Span::styled(hint, theme.style(Role::Dim)));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if rows == 0 || inner.width == 0 {
            return;
        }
        let width = usize::from(inner.width);
        let note =
            |text: &str| Line::from(Span::styled(format!(" {text}"), theme.style(Role::Dim)));
        if paths.is_empty() {
            let line = if self.indexing {
                note("indexing…")
            } else {
                note("no file matches: stays text")
            };
            buf.set_line(inner.x, inner.y, &line, inner.width);
            return;
        }
        let shown = paths.iter().enumerate().skip(offset).take(rows);
        for ((index, path), y) in shown.zip(inner.y..) {
            let text = fit_path(&sanitize_line(path), width.saturating_sub(1));
            let line = Line::from(Span::styled(format!(" {text}"), theme.style(Role::Text)));
            buf.set_line(inner.x, y, &line, inner.width);
            if index == self.selected {
                buf.set_style(
                    Rect::new(inner.x, y, inner.width, 1),
                    theme.style(Role::Selection),
                );
            }
        }
    }
}

/// The first row to draw so the selection is in view, moving as little as possible.
fn visible_offset(offset: usize, selected: usize) -> usize {
    offset_for(offset, selected, MENTION_ROWS)
}

/// The first of `rows` rows drawn so that `selected` is among them.
fn offset_for(offset: usize, selected: usize, rows: usize) -> usize {
    offset
        .min(selected)
        .max((selected + 1).saturating_sub(rows.max(1)))
}

/// A path cut to `width` columns from the left, so the file name stays: `…/src/main.rs`.
fn fit_path(path: &str, width: usize) -> String {
    if str_width(path) <= width {
        return path.to_owned();
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 1;
    for c in path.chars().rev() {
        let w = str_width(c.encode_utf8(&mut [0; 4]));
        if used + w > width {
            break;
        }
        used += w;
        tail.push(c);
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("…{tail}")
}

#[cfg(test)]
#[path = "mention_tests.rs"]
mod tests;
